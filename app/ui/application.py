"""Start the desktop app: a QApplication driven by the qasync event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import qasync
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.core.paths import APP_ID, config_dir, data_dir, resources_dir
from app.core.settings import Settings, load_settings
from app.core.store import open_store
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCaches
from app.ui.i18n import install_language
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme


def make_qapp(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, named and iconned; the window quits the loop itself, after saving."""
    if sys.platform == "win32":  # group the taskbar button with the installer's shortcuts
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(APP_ID)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("KV Chat")
    app.setOrganizationName("KVChat")
    app.setDesktopFileName(APP_ID)
    icon = resources_dir() / "icons" / "kvchat.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    app.setQuitOnLastWindowClosed(False)
    return app


def run_with_loop(app: QApplication, coro) -> object:
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(coro)


def settings_path():
    return config_dir() / "settings.json"


def prepare_look(app: QApplication, language: str, theme: str) -> None:
    """Language and theme, before the first widget is made (widgets read their text when built)."""
    install_language(language)
    apply_theme(app, theme)


def kept_caches_dir():
    return data_dir() / "kept-caches"


def create_window(settings: Settings | None = None) -> MainWindow:
    settings = settings if settings is not None else load_settings(settings_path())
    store = open_store(data_dir() / "conversations.sqlite3")
    kept = KeptCaches(kept_caches_dir(), *settings.kept_budgets())  # each conversation's cache, across restarts
    return MainWindow(EngineHost(kept=kept), store, settings_path(), settings)


async def _run(window: MainWindow, open_model: str | None) -> None:
    closed = asyncio.get_running_loop().create_future()
    window.sig_closed.connect(lambda: closed.done() or closed.set_result(None))
    window.show()
    try:
        await window.start(open_model)
    except Exception as exc:  # start() shows its own failures; this is the last line of defence
        window.show_error(exc)
    await closed


def run_app(argv: list[str] | None = None, open_model: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = make_qapp(argv)
    settings = load_settings(settings_path())
    prepare_look(app, settings.language, settings.theme)
    window = create_window(settings)  # read once: a broken file is moved aside, and its notice kept
    run_with_loop(app, _run(window, os.path.abspath(open_model) if open_model else None))
    return 0
