"""Start the desktop app: a QApplication driven by the qasync event loop."""

from __future__ import annotations

import asyncio
import logging
import sys

import qasync
from PySide6.QtWidgets import QApplication

from app.engine.host import EngineHost
from app.paths import config_dir, data_dir
from app.store import ConversationStore, StoreError
from app.ui.main_window import MainWindow

APP_ID = "io.github.kvchat.KVChat"


def create_window() -> MainWindow:
    store = ConversationStore(data_dir() / "conversations.sqlite3")
    return MainWindow(EngineHost(), store, config_dir() / "settings.json")


async def _run(window: MainWindow) -> None:
    closed = asyncio.get_running_loop().create_future()
    window.sig_closed.connect(lambda: closed.done() or closed.set_result(None))
    window.show()
    await window.start()
    await closed


def run_app(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("KV Chat")
    app.setOrganizationName("KVChat")
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)  # the window quits the loop itself, after saving
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        window = create_window()
    except StoreError as exc:
        print(f"KV Chat cannot start: {exc}", file=sys.stderr)
        return 1
    with loop:
        loop.run_until_complete(_run(window))
    return 0
