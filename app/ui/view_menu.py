"""View → Theme and Language. The theme changes at once (and follows the system while set to
"Follow the system"); a new language is used from the next start, which the app offers to do now."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from app.ui.i18n import LANGUAGES
from app.ui.settings_keeper import SettingsKeeper
from app.ui.theme import apply_theme


def restart_command() -> tuple[str, list[str]]:
    """How this process was started, to start it again (frozen app or `python -m app`)."""
    if getattr(sys, "frozen", False):
        return sys.executable, sys.argv[1:]
    return sys.executable, list(sys.orig_argv[1:])


class ViewMenu(QObject):
    sig_restart_requested = Signal()
    """The user asked to restart now, to see the new language."""

    def __init__(self, settings: SettingsKeeper, menu: QMenu, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self._settings = settings
        self._dialog_parent = dialog_parent
        self.restart_offered: QMessageBox | None = None
        theme_menu = menu.addMenu(self.tr("&Theme"))
        self.theme_actions = self._choices(theme_menu, {
            "system": self.tr("Follow the &system"), "light": self.tr("&Light"), "dark": self.tr("&Dark")},
            settings.values.theme, self.set_theme)
        language_menu = menu.addMenu(self.tr("&Language"))
        self.language_actions = self._choices(
            language_menu, {"system": self.tr("Follow the system"), **LANGUAGES}, settings.values.language,
            self.set_language)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)

    def _choices(self, menu: QMenu, choices: dict[str, str], current: str, handler) -> dict[str, QAction]:
        group = QActionGroup(self)
        actions = {}
        for key, text in choices.items():
            action = QAction(text, self)
            action.setCheckable(True)
            action.setChecked(key == current)
            action.triggered.connect(lambda _checked=False, k=key: handler(k))
            group.addAction(action)
            menu.addAction(action)
            actions[key] = action
        return actions

    @Slot(str)
    def set_theme(self, theme: str) -> None:
        self._settings.change(theme=theme)
        self.theme_actions[theme].setChecked(True)
        apply_theme(QApplication.instance(), theme)

    @Slot()
    def _on_system_scheme_changed(self, *_args) -> None:
        if self._settings.values.theme == "system":
            apply_theme(QApplication.instance(), "system")

    @Slot(str)
    def set_language(self, language: str) -> None:
        if language == self._settings.values.language:
            return
        self._settings.change(language=language)
        self.language_actions[language].setChecked(True)
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Language"),
                          self.tr("The new language is used when KV Chat starts again. Restart now? "
                                  "Conversations and settings are saved first."),
                          QMessageBox.StandardButton.NoButton, self._dialog_parent)
        restart = box.addButton(self.tr("Restart now"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: self.sig_restart_requested.emit() if button is restart else None)
        box.open()  # not exec(): a nested event loop would stall a streaming reply
        self.restart_offered = box
