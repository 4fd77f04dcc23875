"""A row of small widgets that wraps onto more lines when it is too narrow, each line aligned right.

A message's actions (its versions, Edit, Regenerate, Copy) sit in one: in a narrow chat column they
wrap under each other instead of pushing the message wider than the column.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidgetItem


class RightFlowLayout(QLayout):
    def __init__(self, parent=None, spacing: int = 2):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    # -- QLayout ----------------------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        visible = self._visible()
        width = sum(i.sizeHint().width() for i in visible) + self.spacing() * max(0, len(visible) - 1)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:
        """As narrow as the widest item: the others wrap."""
        visible = self._visible()
        return QSize(max((i.minimumSize().width() for i in visible), default=0),
                     max((i.minimumSize().height() for i in visible), default=0))

    # -- the lines ----------------------------------------------------------------------------

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not (isinstance(i, QWidgetItem) and i.widget().isHidden())]

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Put the items in lines as wide as `rect`, each right-aligned; returns the height they take."""
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._visible():
            width = item.sizeHint().width()
            if lines[-1] and used + self.spacing() + width > rect.width():
                lines.append([])
                used = 0
            used += (self.spacing() if lines[-1] else 0) + width
            lines[-1].append(item)
        y = rect.y()
        for line in lines:
            if not line:
                continue
            height = max(i.sizeHint().height() for i in line)
            if move:
                x = rect.right() + 1
                for item in reversed(line):
                    size = item.sizeHint()
                    x -= size.width()
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
                    x -= self.spacing()
            y += height + self.spacing()
        return max(0, y - rect.y() - self.spacing())
