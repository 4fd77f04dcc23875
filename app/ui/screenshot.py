"""`kvchat screenshot`: drive the real window on a fresh profile and save a picture of it.

Used for the README's pictures (under Xvfb) and to check that a window really comes up. As in the
app, each conversation's KV cache is kept (in the throw-away profile). Several messages are sent in
a conversation each, so that the list shows several kept caches. On a real screen (Xvfb) the window
takes the screen's size; offscreen it is 1400 x 860.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea

from app.core.store import ConversationStore
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCaches
from app.engine.remote.host import RemoteHost
from app.ui.application import make_qapp, prepare_look, run_with_loop
from app.ui.main_window import MainWindow


async def _send(window: MainWindow, message: str) -> None:
    window.composer.edit.setPlainText(message)
    window.composer.button.click()
    while not window.session.replying:
        await asyncio.sleep(0.02)
    while window.session.replying:
        await asyncio.sleep(0.05)


async def _capture(out: Path, model: str | None, messages: list[str], type_k: str, type_v: str, n_ctx: int,
                   compact_window: bool, tab: str, server: str | None) -> None:
    with tempfile.TemporaryDirectory() as profile:
        kept = KeptCaches(Path(profile) / "kept-caches")
        window = MainWindow(EngineHost(kept=kept), ConversationStore(Path(profile) / "c.sqlite3"),
                            Path(profile) / "s.json")
        screen = QGuiApplication.primaryScreen()
        if QGuiApplication.platformName() != "offscreen" and screen is not None:
            window.resize(screen.availableGeometry().size())
        else:
            window.resize(1400, 860)
        window.show()
        try:
            await window.start()
            panel = window.kv_panel
            if model:
                panel.select_model(os.path.abspath(model))
            panel.set_types(type_k, type_v)
            panel.ctx_length.spin.setValue(n_ctx)
            panel.window_check.setChecked(compact_window)
            await panel.refresh_plan()
            if panel.summary.apply_button.isEnabled():
                await window.apply(panel.config())
            if server:
                remote = RemoteHost(server)
                await remote.connect()
                await window.remote_mode.use(remote)
            for i, message in enumerate(messages):
                if i:
                    await window.new_conversation()
                window.conversation_settings.seed.setValue(7)
                window.conversation_settings.flush()
                await _send(window, message)
            kept.flush(30.0)  # every kept cache on disk, as the list and the gauge will say
            window.kept_caches.refresh()
            window.side.show_tab("conversation" if tab == "conversation" else "kv")
            shown = window
            if tab == "gpu":  # the KV panel scrolled to its GPU settings
                area = panel.gpu_box.parentWidget()
                while area is not None and not isinstance(area, QScrollArea):
                    area = area.parentWidget()
                if area is not None:
                    area.ensureWidgetVisible(panel.gpu_box, 0, 0)
            if tab == "lab":
                shown = window.open_lab()
                await shown.run()
            elif tab == "models":
                shown = window.open_models()
                shown.resize(1100, 640)
                await shown.refresh()
            elif tab == "connect":
                shown = window.connect_to_server()
            elif tab == "about":
                shown = window.show_about()
            await asyncio.sleep(0.4)  # let the last render and the gauge timer land
            if not shown.grab().save(str(out)):
                raise OSError(f"could not write {out}")
        finally:
            await window.shutdown()


def run_screenshot(out: str, model: str | None, message: str | list[str] | None, type_k: str, type_v: str,
                   n_ctx: int, compact_window: bool, tab: str, language: str = "en", theme: str = "light",
                   server: str | None = None) -> int:
    """`message`: one message, or several (each in a conversation of its own, the last one shown)."""
    messages = [message] if isinstance(message, str) else list(message or [])
    app = make_qapp()
    prepare_look(app, language, theme)
    run_with_loop(
        app, _capture(Path(os.path.abspath(out)), model, messages, type_k, type_v, n_ctx, compact_window, tab,
                      server))
    print(out)
    return 0
