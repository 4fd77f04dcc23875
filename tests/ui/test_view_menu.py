"""View → Theme changes the palette at once and is remembered; View → Language is remembered and
offers a restart (the window's text is built in one language); which language a locale gets."""

from __future__ import annotations

import json
import sys

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.ui.i18n import ENVIRONMENT_OVERRIDE, resolve_language
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


@pytest.mark.parametrize("setting, locale, shown", [
    ("system", QLocale(QLocale.Language.Chinese, QLocale.Country.China), "zh_CN"),
    ("system", QLocale(QLocale.Language.Chinese, QLocale.Country.Taiwan), "zh_CN"),  # closer than English
    ("system", QLocale(QLocale.Language.German, QLocale.Country.Germany), "en"),
    ("en", QLocale(QLocale.Language.Chinese, QLocale.Country.China), "en"),
    ("zh_CN", QLocale(QLocale.Language.English, QLocale.Country.UnitedStates), "zh_CN"),
])
def test_which_language_is_shown(monkeypatch, setting, locale, shown):
    monkeypatch.delenv(ENVIRONMENT_OVERRIDE, raising=False)
    assert resolve_language(setting, locale) == shown
