"""llama-cpp-python's OpenAI-compatible server on loopback, as a remote engine would run it: the
given model with a q8_0 K and q4_0 V cache and flash attention on. Used by the tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ALIAS = "smollm2-q8k-q4v"
START_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def llama_cpp_server(model: Path | str, log_path: Path, n_ctx: int = 2048):
    """Start the server, wait until it answers, yield its URL; stop it on leaving."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(n_ctx), "--flash_attn", "true", "--model_alias", ALIAS,
               "--type_k", "8", "--type_v", "2"]  # ggml type numbers: 8 = q8_0, 2 = q4_0
    # The server logs llama.cpp's load report (hundreds of KiB): to a file, so a pipe never fills and blocks it.
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                try:
                    urllib.request.urlopen(url + "/v1/models", timeout=2).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the server did not start: "
                                           + log_path.read_text(errors="replace")[-2000:]) from None
                    time.sleep(0.3)
            report = log_path.read_text(errors="replace")
            if "K (q8_0)" not in report or "V (q4_0)" not in report:
                raise RuntimeError("the server's KV cache is not the q8_0/q4_0 one asked for")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
