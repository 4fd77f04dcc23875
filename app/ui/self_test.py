"""`kvchat --self-test`: prove an installed app works end to end, then exit 0 (or 1 with the reason).

It opens the real window on a throw-away profile (offscreen unless a platform is set), loads
the bundled starter model, streams a few tokens, and checks that the memory report is exact.
The result goes to a JSON file as well as stdout: a windowed app on Windows has no stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

import psutil

from app import __version__
from app.paths import starter_model_path

REPLY_TOKENS = 8
TIMEOUT_SECONDS = 300


def default_report_path() -> Path:
    return Path(tempfile.gettempdir()) / "kvchat-self-test.json"


def _since_process_start() -> float:
    return round(time.time() - psutil.Process().create_time(), 3)


async def _check(result: dict) -> None:
    from app.engine.host import EngineHost
    from app.store import ConversationStore
    from app.ui.main_window import MainWindow

    model = starter_model_path()
    result["model"] = str(model) if model else None
    if model is None:
        raise RuntimeError("the bundled starter model is missing")
    with tempfile.TemporaryDirectory() as profile:
        window = MainWindow(EngineHost(), ConversationStore(Path(profile) / "c.sqlite3"), Path(profile) / "s.json")
        window.show()
        result["window_shown_s"] = _since_process_start()
        try:
            await window.start()
            report = window.host.report
            if report is None:
                raise RuntimeError(f"the model did not load: {window.banner.label.text()}")
            result["model_loaded_s"] = _since_process_start()
            result["kv_bytes"] = report.kv.total
            result["kv_exact"] = report.kv_exact
            if not report.kv_exact or report.kv != report.estimate.kv:
                raise RuntimeError("llama.cpp's KV allocation does not match the estimate")
            if window.gauge.report is not report:
                raise RuntimeError("the memory gauge does not show the loaded model")
            window.conversation_settings.max_tokens.setValue(REPLY_TOKENS)
            window.conversation_settings.seed.setValue(1)
            window.conversation_settings.flush()
            window.composer.edit.setPlainText("Say hello.")
            window.composer.button.click()
            deadline = time.monotonic() + TIMEOUT_SECONDS
            while not window.session.messages or window.session.replying:
                if time.monotonic() > deadline:
                    raise RuntimeError("no reply within the time limit")
                await asyncio.sleep(0.02)
            reply = window.session.messages[-1]
            if reply.role != "assistant" or not reply.content.strip() or reply.stats is None:
                raise RuntimeError(f"no reply was generated ({window.banner.label.text()})")
            result["reply"] = reply.content
            result["generated_tokens"] = reply.stats.generated_tokens
            result["tokens_per_second"] = reply.stats.tokens_per_second
        finally:
            await window.shutdown()


def _check_translations(result: dict) -> None:
    """The Chinese catalogue ships with the app (and Qt's own, for its standard dialogs)."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    from app.ui.i18n import translations_dir

    ours, qt = QTranslator(), QTranslator()
    result["translations"] = {
        "kvchat_zh_CN": ours.load("kvchat_zh_CN", str(translations_dir())),
        "qtbase_zh_CN": qt.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    }
    if ours.translate("Menus", "&File") != "文件(&F)":
        raise RuntimeError(f"the Chinese translation is missing from {translations_dir()}")


def run_self_test(report_path: str | None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    path = Path(report_path) if report_path else default_report_path()
    result: dict = {"ok": False, "version": __version__, "frozen": bool(getattr(sys, "frozen", False))}
    try:
        from app.ui.application import make_qapp, run_with_loop

        run_with_loop(make_qapp(), _check(result))
        _check_translations(result)
        result["ok"] = True
    except BaseException as exc:  # every failure must reach the report file
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    result["total_s"] = _since_process_start()
    try:
        path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    except OSError as exc:
        result["report_error"] = str(exc)
    if sys.stdout is not None:
        verdict = "passed" if result["ok"] else f"FAILED: {result.get('error')}"
        print(f"KV Chat {__version__} self-test {verdict} (report: {path})")
    return 0 if result["ok"] else 1
