"""The remote engine against real servers on loopback: llama-cpp-python's server running the starter
model with a quantized cache, and stand-ins that answer as llama-server and Ollama do."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import aclosing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

import pytest

from app.engine.records import ChatMessage, SamplingParams
from app.engine.remote import RemoteError, RemoteHost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_cpp_server(starter_model, tmp_path_factory):
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(starter_model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--type_k", "8", "--type_v", "2", "--flash_attn", "true",
               "--model_alias", "smollm2-q8k-q4v"]
    env = {**os.environ, "CMAKE_ARGS": ""}
    # The server logs llama.cpp's load report (hundreds of KiB): to a file, so a pipe never fills and blocks it.
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = open(log_path, "wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
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
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


def run(coro):
    return asyncio.run(coro)


def test_connect_and_stream_a_reply(llama_cpp_server):
    async def body():
        host = RemoteHost(llama_cpp_server + "/v1")  # a /v1 suffix is understood
        report = await host.connect()
        assert report.model == "smollm2-q8k-q4v" and report.models == ("smollm2-q8k-q4v",)
        assert "--type_k" in report.where_settings_live  # it says where the cache is configured
        async with aclosing(host.chat([ChatMessage("user", "What is the capital of France?")],
                                      SamplingParams(max_tokens=24, seed=1))) as stream:
            chunks = [c async for c in stream]
        assert chunks[0].phase == "prompt" and chunks[-1].phase == "done"
        text = "".join(c.text for c in chunks)
        assert text.strip() and chunks[-1].stats.generated_tokens == len(chunks) - 2
        assert chunks[-1].finish_reason in ("stop", "length")
        await host.close()

    run(body())


def test_cancel_stops_within_a_token(llama_cpp_server):
    async def body():
        host = RemoteHost(llama_cpp_server)
        await host.connect()
        chunks, after = [], 0
        async with aclosing(host.chat([ChatMessage("user", "Write a long story about a ship.")],
                                      SamplingParams(max_tokens=300, seed=2))) as stream:
            async for chunk in stream:
                chunks.append(chunk)
                if len(chunks) == 6:
                    host.cancel()
                elif len(chunks) > 6 and chunk.phase == "generating":
                    after += 1
        assert chunks[-1].finish_reason == "cancelled" and after <= 1
        assert not host.busy

    run(body())


def test_an_unreachable_server_is_a_clear_error():
    async def body():
        with pytest.raises(RemoteError, match="cannot be reached"):
            await RemoteHost(f"http://127.0.0.1:{free_port()}").connect()

    run(body())


class _StandIn:
    """Answers as a server kind does, for the parts of its API the probe reads."""

    def __init__(self, routes: dict[str, object]):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_GET(self):
                data = routes.get(self.path.split("?")[0])
                body = json.dumps(data).encode()
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("routes, kind, fact", [
    ({"/v1/models": {"data": [{"id": "qwen"}]},
      "/props": {"default_generation_settings": {"n_ctx": 32768}, "total_slots": 4}},
     "llama.cpp server", ("context", "32,768 tokens per slot")),
    ({"/v1/models": {"data": [{"id": "llama3:8b"}]},
      "/api/ps": {"models": [{"name": "llama3:8b", "size": 6442450944, "context_length": 8192}]}},
     "Ollama", ("context", "8,192 tokens")),
    ({"/v1/models": {"data": [{"id": "phi"}]},
      "/api/v0/models": {"data": [{"id": "phi", "max_context_length": 131072, "quantization": "Q4_K_M"}]}},
     "LM Studio", ("weights", "Q4_K_M")),
])
def test_what_each_kind_of_server_reports(routes, kind, fact):
    stand_in = _StandIn(routes)
    try:
        report = run(RemoteHost(stand_in.url).connect())
    finally:
        stand_in.close()
    assert report.server == kind and report.facts[fact[0]] == fact[1]
