"""The app's language: English (the source text) or Simplified Chinese, from Qt's translation files.

"system" follows the OS locale. Qt's own dialogs (file pickers, standard buttons) are translated by
the qtbase catalogue that ships with Qt; the engine's messages go through the same translator
(app.i18n's backend). A language chosen in the app takes effect at the next start.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n as engine_i18n
from app.core.paths import resources_dir

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}  # each in its own language, as language menus show them
ENVIRONMENT_OVERRIDE = "KVCHAT_LANGUAGE"  # for screenshots and tests: "en" or "zh_CN"

_installed: list[QTranslator] = []


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
    catalogues = [(str(translations_dir()), f"kvchat_{language}"),
                  (QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath), f"qtbase_{language}")]
    for folder, name in catalogues:
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            _installed.append(translator)
    return language
