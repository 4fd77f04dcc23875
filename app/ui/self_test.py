"""`kvchat --self-test`: prove an installed app works end to end, then exit 0 (or 1 with the reason).

It opens the real window on a throw-away profile (offscreen unless a platform is set), loads
the bundled starter model, streams a few tokens, and checks that the memory report is exact.
The report also says what it ran on: the devices this llama.cpp build has, how many layers went
to a GPU, and what each device holds. The result goes to a JSON file as well as stdout: a
windowed app on Windows has no stdout.
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
from typing import TYPE_CHECKING

import psutil

from app import __version__
from app.core.paths import starter_model_path
from app.i18n import translate

if TYPE_CHECKING:
    from app.engine.devices.registry import Device
    from app.engine.records import LoadReport

REPLY_TOKENS = 8
TIMEOUT_SECONDS = 300


def default_report_path() -> Path:
    return Path(tempfile.gettempdir()) / "kvchat-self-test.json"


def _since_process_start() -> float:
    return round(time.time() - psutil.Process().create_time(), 3)


def _device_facts(result: dict) -> dict[str, Device]:
    """The devices of this llama.cpp build, into the report; returns them by name."""
    from app.engine.devices.registry import gpu_offload_supported, list_devices

    devices = list_devices()
    result["gpu_offload_supported"] = gpu_offload_supported()
    result["devices"] = [
        {"name": d.name, "description": d.description, "backend": d.backend, "kind": d.kind,
         "free_bytes": d.free_bytes, "total_bytes": d.total_bytes}
        for d in devices
    ]
    return {d.name: d for d in devices}


def _check_allocation(result: dict, report: LoadReport, devices: dict[str, Device]) -> None:
    """Where the model went, into the report; each device's K and V must add up to the cache's."""
    result["gpu_layers"] = report.config.gpu_layers
    result["offloaded_layers"] = report.offloaded_layers
    result["layers"] = report.model.n_layer
    result["allocation"] = [
        {"name": d.name, "description": d.description or (devices[d.name].description if d.name in devices else ""),
         "is_gpu": d.is_gpu, "weights_bytes": d.weights_bytes, "k_bytes": d.k_bytes, "v_bytes": d.v_bytes,
         "compute_bytes": d.compute_bytes}
        for d in report.devices
    ]
    # The GPUs that hold layers, or the CPU alone when none does.
    used = [d.name for d in report.gpu_devices if d.weights_bytes or d.kv_bytes] if report.offloaded_layers else []
    used = used or ["CPU"]
    result["ran_on"] = {
        "backend": devices[used[0]].backend if used[0] in devices else used[0],
        "devices": [{"name": name, "description": devices[name].description if name in devices else ""}
                    for name in used],
    }
    k = sum(d.k_bytes for d in report.devices)
    v = sum(d.v_bytes for d in report.devices)
    if (k, v) != (report.kv.k_bytes, report.kv.v_bytes):
        raise RuntimeError(translate(
            "SelfTest", "The devices hold {k} K and {v} V bytes, but the cache has {total_k} K and {total_v} V "
            "bytes.").format(k=k, v=v, total_k=report.kv.k_bytes, total_v=report.kv.v_bytes))
    estimated = {d.name: (d.k_bytes, d.v_bytes) for d in report.estimate.devices}
    if estimated:
        measured = {d.name: (d.k_bytes, d.v_bytes) for d in report.devices if d.kv_bytes}
        if measured != {name: kv for name, kv in estimated.items() if any(kv)}:
            raise RuntimeError(translate(
                "SelfTest", "The KV bytes on each device differ from the estimate: {measured} against "
                "{estimated}.").format(measured=measured, estimated=estimated))


async def _check(result: dict) -> None:
    from app.core.store import ConversationStore
    from app.engine.host import EngineHost
    from app.ui.main_window import MainWindow

    devices = _device_facts(result)
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
            _check_allocation(result, report, devices)
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
