"""The mouse wheel scrolls settings, it does not change them: a slider, spin box or combo box
takes wheel turns only once it has focus (clicked or tabbed to).

Without this, scrolling a settings panel moves whichever field passes under the pointer --
a context of 4,096 tokens became 256 without the user noticing."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QComboBox, QScrollBar, QWidget

GUARDED = (QAbstractSlider, QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """Installed on setting widgets: a wheel event reaching one without focus scrolls the nearest
    scroll area around it instead (or nothing, where there is none)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = _enclosing_scroll_area(watched)
        if area is not None:
            # Sent on explicitly: Qt passes an event a widget refused to its parent only when it came
            # from the window system, and the viewport is the part of a scroll area that scrolls.
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


def _enclosing_scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every slider, spin box and combo box inside `root` (scroll bars excepted). StrongFocus:
    a wheel turn alone does not give them focus (their default, WheelFocus, would)."""
    guard = WheelGuard(root)
    for widget in root.findChildren(QWidget):
        if isinstance(widget, GUARDED) and not isinstance(widget, QScrollBar):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(guard)
    return guard
