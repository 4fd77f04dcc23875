"""Translatable text for code that must not import Qt (the engine, the store, the CLI).

`translate(context, text)` is spelled like QCoreApplication.translate so that pyside6-lupdate
collects these strings into the same .ts files as the window's. Until the app installs Qt's
translator as the backend (app.ui.i18n), text comes back unchanged, in English.
"""

from __future__ import annotations

from collections.abc import Callable

_backend: Callable[[str, str, str | None, int], str] | None = None


def set_backend(backend: Callable[[str, str, str | None, int], str] | None) -> None:
    global _backend
    _backend = backend


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name lupdate looks for
    """Marks text for translation where it is defined (a table of labels); it is translated where shown."""
    return text


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    if _backend is None:
        return text.replace("%n", str(n)) if n >= 0 else text
    return _backend(context, text, disambiguation, n)
