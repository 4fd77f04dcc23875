"""A theme switched at run time reaches everything already on screen: the gauge's figures, the chat
bubbles and their code blocks are drawn in the new theme's colours, as they are when the app starts in it."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget

from app.ui import style
from app.ui.theme import apply_theme, is_dark
from tests.ui.conftest import send

CONTRAST = 100  # lightness steps (of 255) between text and what is behind it; the palettes give ~200


def as_drawn(window, widget: QWidget) -> tuple[QColor, QColor]:
    """The widget as the window draws it: its background (the commonest colour) and the text colour least
    like it."""
    image = window.grab(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())).toImage()
    counts = Counter(image.pixel(x, y) for x in range(image.width()) for y in range(image.height()))
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    text = max((QColor.fromRgb(p) for p in counts), key=lambda c: abs(c.lightness() - background.lightness()))
    return background, text


def assert_readable(window, widget: QWidget, dark: bool) -> QColor:
    background, text = as_drawn(window, widget)
    assert (background.lightness() < 128) == dark, f"{widget.objectName()}: background {background.name()}"
    assert abs(text.lightness() - background.lightness()) >= CONTRAST, \
        f"{widget.objectName() or type(widget).__name__}: {text.name()} on {background.name()}"
    return background


def test_switching_the_theme_at_run_time_redraws_the_gauge_and_the_bubbles(window, loop, qtbot):
    window.conversation_settings.max_tokens.setValue(8)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Name a colour.")
    user, reply = window.chat_view.messages
    window.chat_view.add_message("assistant", "```python\nprint('hello')\n```", None, None, None)
    code = window.chat_view.messages[-1]
    gauge = window.gauge
    figures = (gauge.kv_label, gauge.f16_label, gauge.context_label)
    assert "MiB" in gauge.kv_label.text() and "/ 4,096 tokens" in gauge.context_label.text()
    window.banner.show_message("A notice to dismiss", error=False, key="theme-test")
    try:
        for theme in ("light", "dark", "light"):
            window.menus.view.theme_actions[theme].trigger()
            QApplication.processEvents()  # Qt hands the new palette to the widgets in posted events
            dark = theme == "dark"
            assert is_dark() == dark
            for label in figures:
                assert_readable(window, label, dark)
            for bubble in (user, reply):
                background = assert_readable(window, bubble, dark)
                assert background.name() == style.MESSAGE_BACKGROUND[dark][bubble.role]
            assert style.CODE_BACKGROUND[dark] in code.body.toHtml()
            for part in (window.banner.label, window.banner.close_button):  # a light tint in both themes
                background, text = as_drawn(window, part)
                assert abs(text.lightness() - background.lightness()) >= CONTRAST, f"{text.name()} on {background.name()}"
            assert style.CODE_BACKGROUND[not dark] not in code.body.toHtml()
    finally:
        window.banner.clear("theme-test")
        apply_theme(QApplication.instance(), "light")
