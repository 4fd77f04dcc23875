"""View → Theme changes the palette at once and is remembered; View → Language is remembered and
offers a restart (the window's text is built in one language)."""

from __future__ import annotations

import json
import sys

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.ui.theme import apply_theme
from app.ui.view_menu import restart_command


def window_colour():
    return QApplication.instance().palette().color(QPalette.ColorRole.Window)


def test_theme_changes_at_once_and_is_remembered(windows):
    window = windows.new(start=False)
    try:
        window.menus.view.theme_actions["dark"].trigger()
        assert window_colour().lightness() < 80
        assert window.menus.view.theme_actions["dark"].isChecked()
        assert json.loads(windows.settings_path.read_text())["theme"] == "dark"
        window.menus.view.theme_actions["light"].trigger()
        assert window_colour().lightness() > 200
    finally:
        apply_theme(QApplication.instance(), "light")
    windows.close(window)
    reopened = windows.new(start=False)
    assert reopened.menus.view.theme_actions["light"].isChecked()


def test_choosing_a_language_is_saved_and_offers_a_restart(windows):
    window = windows.new(start=False)
    assert window.menus.view.language_actions["system"].isChecked()
    window.menus.view.language_actions["zh_CN"].trigger()
    assert json.loads(windows.settings_path.read_text())["language"] == "zh_CN"
    box = window.menus.view.restart_offered
    assert box.isVisible() and "starts again" in box.text()
    assert [b.text() for b in box.buttons()] == ["Restart now", "Later"]
    box.buttons()[1].click()  # Later
    assert window.isVisible()  # nothing else happens until the next start


def test_restart_starts_the_same_program_again():
    program, args = restart_command()
    assert program == sys.executable
    assert args == list(sys.orig_argv[1:])
