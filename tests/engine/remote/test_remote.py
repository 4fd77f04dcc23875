"""The remote engine against real servers on loopback: llama-cpp-python's server running the starter
model with a quantized cache, and stand-ins that answer as llama-server and Ollama do."""

from __future__ import annotations

import asyncio
import json
import threading
from contextlib import aclosing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.engine.records import ChatMessage, SamplingParams
from app.engine.remote.host import RemoteError, RemoteHost
from tests.llama_server import free_port


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


# -- what real servers also do, on a loopback stand-in (tests/hostile_server.py) ----------------


@pytest.fixture
def hostile():
    from tests.hostile_server import HostileServer

    server = HostileServer()
    yield server
    server.close()


async def _reply_text(host: RemoteHost):
    async with aclosing(host.chat([ChatMessage("user", "Hi")], SamplingParams(max_tokens=16))) as stream:
        chunks = [c async for c in stream]
    return "".join(c.text for c in chunks), chunks[-1]


def test_a_last_event_with_no_choices_carries_the_usage(hostile):
    async def body():
        host = RemoteHost(hostile.url_for("usage_last"))
        await host.connect()
        return await _reply_text(host)

    text, last = run(body())
    assert text == "Hi" and last.finish_reason == "stop" and last.stats.prompt_tokens == 7


def test_a_moved_model_list_on_the_same_server_is_followed(hostile):
    report = run(RemoteHost(hostile.url_for("models_moved"), "sk-key").connect())
    assert report.models == ("hostile",)
    moved = [r for r in hostile.requests if r.path == "/plain/v1/models"]
    assert len(moved) == 1 and moved[0].headers["Authorization"] == "Bearer sk-key"  # same origin: the key goes


def test_an_api_key_that_cannot_be_sent_is_refused_without_echoing_it(hostile):
    async def body():
        with pytest.raises(RemoteError) as raised:
            await RemoteHost(hostile.url, "sk-one\nsk-two").connect()
        return str(raised.value)

    message = run(body())
    assert "API key holds characters that cannot be sent" in message and "sk-" not in message
    assert hostile.requests == []


def test_a_json_error_answer_is_shown_by_its_message():
    from app.engine.remote.http import readable_error

    body = json.dumps({"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}})
    assert readable_error(body.encode(), "application/json") == "Invalid API Key"
    assert readable_error(b"<html><body><h1>Bad Gateway</h1></body></html>", "text/html") == "Bad Gateway"
    assert readable_error(b"x" * 10_000, "text/plain").endswith("…")


def test_a_replys_own_cancel_ends_it_and_no_other(hostile):
    """Two replies blocked in reads the server never completes: cancelling one ends it at once, with what
    arrived, while the other carries on until it is cancelled in turn."""

    async def first_text(stream):
        chunks = []
        async for chunk in stream:
            chunks.append(chunk)
            if chunk.text:
                return chunks

    async def body():
        host = RemoteHost(hostile.url_for("slowloris"))
        await host.connect()
        first = host.chat([ChatMessage("user", "Hi")], SamplingParams(max_tokens=64))
        second = host.chat([ChatMessage("user", "Hi")], SamplingParams(max_tokens=64))
        async with aclosing(first), aclosing(second):
            first_chunks = await first_text(first)
            first.cancel()
            first_chunks += [c async for c in first]
            second_chunks = await first_text(second)  # the server's one whole event reached it after all
            assert not second.cancelled.is_set()
            second.cancel()
            second_chunks += [c async for c in second]
        await host.close()
        return first_chunks, second_chunks

    for chunks in run(asyncio.wait_for(body(), 60)):
        assert "".join(c.text for c in chunks) == "Partial reply. "
        assert chunks[-1].phase == "done" and chunks[-1].finish_reason == "cancelled"
        assert chunks[-1].stats.generated_tokens == 1  # the stats of what arrived are kept
