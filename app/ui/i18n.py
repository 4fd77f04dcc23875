"""The app's language: English (the source text) or Simplified Chinese, from Qt's translation files.

"system" follows the OS locale. Qt's own dialogs (file pickers, standard buttons) are translated by
the qtbase catalogue that ships with Qt (its gaps filled by QtCatalogueGaps); the engine's messages go
through the same translator (app.i18n's backend). install_language may be called again to switch: the
dialogs made afterwards speak the new language; the window offers a restart for the widgets already built.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n as engine_i18n
from app.core.paths import resources_dir
from app.ui.qt_catalogue_gaps import QtCatalogueGaps

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}  # each in its own language, as language menus show them
ENVIRONMENT_OVERRIDE = "KVCHAT_LANGUAGE"  # for screenshots and tests: "en" or "zh_CN"

_installed: list[QTranslator] = []
_log = logging.getLogger(__name__)


def translations_dir():
    return resources_dir() / "translations"


def resolve_language(setting: str, locale: QLocale | None = None) -> str:
    """The language to show for a setting of "system", "en" or "zh_CN"."""
    override = os.environ.get(ENVIRONMENT_OVERRIDE, "")
    if override in LANGUAGES:
        return override
    if setting in LANGUAGES:
        return setting
    locale = locale or QLocale.system()
    # Any Chinese locale reads Simplified Chinese better than English (there is no Traditional yet).
    return "zh_CN" if locale.language() == QLocale.Language.Chinese else "en"


def _engine_backend(context: str, text: str, disambiguation: str | None, n: int) -> str:
    return QCoreApplication.translate(context, text, disambiguation, n)


def install_language(setting: str) -> str:
    """Install the translators for `setting` into the running app; returns the language used."""
    app = QCoreApplication.instance()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    language = resolve_language(setting)
    engine_i18n.set_backend(_engine_backend)
    if language == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return language
    QLocale.setDefault(QLocale(language))
    qt_folder = qt_translations_dir()
    qtbase = QTranslator(app)
    qt_loaded = qtbase.load(f"qtbase_{language}", qt_folder)
    if qt_loaded:
        # Installed first, so asked last: only for Qt's texts that neither catalogue below has.
        _install(app, QtCatalogueGaps(qtbase, app))
    else:
        _log.warning("Qt's own %s catalogue was not found in %s: its dialogs stay in English", language, qt_folder)
    app_catalogue = QTranslator(app)
    if app_catalogue.load(f"kvchat_{language}", str(translations_dir())):
        _install(app, app_catalogue)
    if qt_loaded:
        _install(app, qtbase)
    return language


def qt_translations_dir() -> str:
    """Where Qt's own catalogues are (PySide6's copy, which a frozen build carries in the same place)."""
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def _install(app, translator: QTranslator) -> None:
    app.installTranslator(translator)
    _installed.append(translator)
