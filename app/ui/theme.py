"""Light and dark: follow the system's colour scheme (or the user's choice), on every platform.

Qt's Fusion style with an explicit palette looks the same everywhere; widgets that draw with
their own colours re-style themselves when the palette changes (QEvent.PaletteChange), and ask
`is_dark()` which theme is on: a widget's own palette may carry its style sheet's background.

Qt does not hand a new application palette to a widget with a style sheet, nor to anything inside
one: the sheet froze the palette it was polished with, so a theme switched at run time left their
text dark on dark. Switching therefore polishes every style sheet again, with the new palette.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def is_dark() -> bool:
    """Whether the application's palette (the theme in use) is a dark one."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def system_prefers_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    if dark:
        colors = {
            QPalette.ColorRole.Window: "#202327", QPalette.ColorRole.WindowText: "#e6e8eb",
            QPalette.ColorRole.Base: "#17191c", QPalette.ColorRole.AlternateBase: "#24272c",
            QPalette.ColorRole.Text: "#e6e8eb", QPalette.ColorRole.Button: "#2b2f35",
            QPalette.ColorRole.ButtonText: "#e6e8eb", QPalette.ColorRole.Highlight: "#3d7be0",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b2f35",
            QPalette.ColorRole.ToolTipText: "#e6e8eb", QPalette.ColorRole.PlaceholderText: "#8a9099",
            QPalette.ColorRole.Link: "#7aa7ff", QPalette.ColorRole.Mid: "#4a4f57",
            QPalette.ColorRole.Midlight: "#3a3f47", QPalette.ColorRole.Dark: "#121417",
        }
    else:
        colors = {
            QPalette.ColorRole.Window: "#eff0f2", QPalette.ColorRole.WindowText: "#1d1f23",
            QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f5f6f8",
            QPalette.ColorRole.Text: "#1d1f23", QPalette.ColorRole.Button: "#f3f4f6",
            QPalette.ColorRole.ButtonText: "#1d1f23", QPalette.ColorRole.Highlight: "#2f6fdb",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#ffffe1",
            QPalette.ColorRole.ToolTipText: "#1d1f23", QPalette.ColorRole.PlaceholderText: "#8a9099",
            QPalette.ColorRole.Link: "#2f6fdb", QPalette.ColorRole.Mid: "#b9bec6",
            QPalette.ColorRole.Midlight: "#d9dce1", QPalette.ColorRole.Dark: "#9aa3ad",
        }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#8a9099"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#8a9099"))
    return p


def apply_theme(app: QApplication, theme: str) -> bool:
    """Set the palette for `theme` ("system" follows the OS); returns whether it is dark."""
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
    _polish_style_sheets_again(app)
    return dark


def _polish_style_sheets_again(app: QApplication) -> None:
    """Each widget with a style sheet takes the application's palette again (and so does all inside it)."""
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)
