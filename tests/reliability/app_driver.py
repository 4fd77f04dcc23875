"""Runs the real window in a child process for fault tests: chats, then is killed or closed.

    python -m tests.reliability.app_driver DATA_DIR MODE     (MODE: kill | close)

Prints "SAVED n cache=SOURCE" after each completed exchange (SOURCE: where its conversation's kept cache
was restored from, "ram" or "disk", or "none"), "STREAMING" once the last reply is under way;
in "close" mode it then closes the window and prints "CLOSED <seconds>". A fixed seed makes the
replies the same on every run; should the long reply still end before it is under way, the driver
says "ENDED" and exits instead of waiting for a reply that will not come.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from app.core.store import open_store
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCaches
from app.ui.application import make_qapp, run_with_loop
from app.ui.main_window import MainWindow

EXCHANGES = ("Name a colour.", "Name a fruit.", "Name a city.")
SEED = 1


async def drive(data: Path, mode: str) -> None:
    host = EngineHost(KeptCaches(data / "kept-caches"))
    window = MainWindow(host, open_store(data / "conversations.sqlite3"), data / "settings.json")
    window.show()
    await window.start()
    window.conversation_settings.max_tokens.setValue(16)
    window.conversation_settings.seed.setValue(SEED)
    window.conversation_settings.flush()
    for i, text in enumerate(EXCHANGES, 1):
        window.composer.edit.setPlainText(text)
        window.composer.button.click()
        while window.session.replying or len(window.session.messages) < 2 * i:
            await asyncio.sleep(0.02)
        stats = window.session.messages[-1].stats
        await asyncio.to_thread(host.kept.flush)  # on disk before the next step, which may be a kill
        print(f"SAVED {len(window.session.messages)} cache={stats.cache_source or 'none'}", flush=True)
    window.conversation_settings.max_tokens.setValue(2000)
    window.conversation_settings.flush()
    window.composer.edit.setPlainText("Write a very long story about the sea, with many chapters.")
    window.composer.button.click()
    while window.session.replying and (window.chat_view.streaming is None or len(window.chat_view.reply_text) < 40):
        await asyncio.sleep(0.01)
    if not window.session.replying:
        print(f"ENDED {window.session.messages[-1].finish_reason}", flush=True)
        sys.exit(3)
    print("STREAMING", flush=True)
    if mode == "kill":
        await asyncio.sleep(600)  # the test kills the process meanwhile
    closed = asyncio.get_running_loop().create_future()
    window.sig_closed.connect(lambda: closed.done() or closed.set_result(None))
    started = time.monotonic()
    window.close()
    await closed
    print(f"CLOSED {time.monotonic() - started:.3f}", flush=True)


if __name__ == "__main__":
    run_with_loop(make_qapp(), drive(Path(sys.argv[1]), sys.argv[2]))
