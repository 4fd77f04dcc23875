"""The real window, offscreen, on a qasync loop, with the real starter model and a real SQLite file."""

from __future__ import annotations

import asyncio
import time

import pytest
import qasync
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.core.store import ConversationStore, open_store
from app.engine.host import EngineHost
from app.ui.main_window import MainWindow
from app.ui.tasks import wait_all


class HarnessLoop(qasync.QEventLoop):
    """A qasync loop that stays the running loop between the test's `run_until_complete` slices.

    In the app the loop runs for the whole session. A test runs it in slices, and Qt processes
    events between them too (qtbot waits, key clicks, and qasync's own last round of events after
    each slice): a coroutine step that Qt runs there would find no running loop ("no running event
    loop"), or find its asyncio objects bound to another ("bound to a different event loop")."""

    def run_forever(self):
        try:
            return super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)  # qasync clears it on the way out


@pytest.fixture
def loop(qapp):
    qapp.setQuitOnLastWindowClosed(False)  # as in run_app: the window ends the loop itself, after saving
    loop = HarnessLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
        loop.run_until_complete(wait_all())
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)


class WindowFactory:
    """Makes windows over one set of files, so a test can close one and open the next."""

    def __init__(self, tmp_path, loop):
        self.db_path = tmp_path / "data" / "conversations.sqlite3"
        self.settings_path = tmp_path / "config" / "settings.json"
        self.loop = loop
        self.windows: list[MainWindow] = []

    def new(self, start: bool = True, use_open_store: bool = False) -> MainWindow:
        store = open_store(self.db_path) if use_open_store else ConversationStore(self.db_path)
        window = MainWindow(EngineHost(), store, self.settings_path)
        window.conversations.confirm_delete = False
        self.windows.append(window)
        window.show()
        window.activateWindow()  # window shortcuts (Ctrl+N, ...) fire only in the active window
        QTest.qWaitForWindowActive(window, 5000)
        if start:
            self.loop.run_until_complete(window.start())
        return window

    def close(self, window: MainWindow) -> None:
        if not window._closed:
            self.loop.run_until_complete(window.shutdown())
        if shiboken6.isValid(window):
            shiboken6.delete(window)  # now, on this thread: never by a collector running on another one


@pytest.fixture
def windows(tmp_path, loop, qtbot):
    factory = WindowFactory(tmp_path, loop)
    yield factory
    for window in factory.windows:
        factory.close(window)


@pytest.fixture
def window(windows):
    return windows.new()


async def until(predicate, timeout: float = 300.0, what: str = "condition"):
    """Wait for `predicate`; the timeout guards against a hang only (a reply on a busy 2-core machine can
    take minutes), never against slowness."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def send(loop, qtbot, window, text: str, wait: bool = True) -> None:
    """Type into the composer and press Enter, as a user does."""
    window.composer.edit.setPlainText(text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    if wait:
        loop.run_until_complete(until(lambda: not window.session.replying, timeout=300, what="the reply"))
