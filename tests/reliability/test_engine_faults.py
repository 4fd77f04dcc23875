"""The engine thread never wedges: a load that fails in any way gives the previous model back,
llama.cpp's log callback survives being re-entered, chat templates that are broken, huge or
empty are refused with a reason, odd sampling values are refused before llama.cpp sees them,
and close() returns even when the engine thread is stuck."""

from __future__ import annotations

import asyncio
import gc
import threading
import tracemalloc
from contextlib import aclosing

import pytest

import app.engine.host as host_module
import app.engine.model_load as model_load
from app.engine import llama_log
from app.engine.config import LoadConfig
from app.engine.errors import ModelLoadError, NoChatTemplateError
from app.engine.host import EngineHost
from app.engine.records import ChatMessage, SamplingParams
from app.engine.sampling_check import SamplingError
from tests.hostile_gguf import STRING, rewrite_fields

HANG_GUARD = 300  # seconds; only so that a regression fails instead of blocking the run


def with_template(starter_model, tmp_path, name: str, template: str):
    return rewrite_fields(starter_model, tmp_path / f"{name}.gguf", {"tokenizer.chat_template": (STRING, template)})


async def reply(host: EngineHost, text: str = "Say hi.", **sampling) -> str:
    params = SamplingParams(**{"max_tokens": 8, "seed": 1, **sampling})
    async with aclosing(host.chat([ChatMessage("user", text)], params)) as chunks:
        return "".join([c.text async for c in chunks])


def run(body):
    asyncio.run(asyncio.wait_for(body(), HANG_GUARD))


def test_a_broken_template_neither_wedges_the_engine_nor_loses_the_model(starter_model, tmp_path):
    """Before: Llama() compiled the template, failed after building the model, and the half-built
    Llama freed inside llama.cpp's log callback deadlocked the engine thread on the next load."""
    broken = with_template(starter_model, tmp_path, "broken", "{% if %}broken")

    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(starter_model), n_ctx=512))
            report = await host.load(LoadConfig(str(broken), n_ctx=512))
            assert not report.chat_template and "cannot be read" in report.chat_template_problem
            with pytest.raises(NoChatTemplateError, match="cannot format a conversation"):
                await reply(host)
            async with aclosing(host.complete("Once upon a time", SamplingParams(max_tokens=4, seed=1))) as chunks:
                assert [c async for c in chunks][-1].phase == "done"  # plain completion still works
            await host.load(LoadConfig(str(starter_model), n_ctx=512))
            assert await reply(host)
        finally:
            await host.close()

    run(body)


def test_the_log_callback_survives_a_model_freed_inside_it(starter_model, monkeypatch):
    """The deadlock's mechanism, made to happen on purpose: the garbage collector runs inside the
    log callback and frees a Llama there, whose teardown logs through the same callback."""
    from llama_cpp import Llama

    llama_log.install()
    llm = Llama(model_path=str(starter_model), n_ctx=256, verbose=True)
    cycle = [llm]
    cycle.append(cycle)  # only the collector can free it now
    del llm, cycle
    feed = llama_log.LogCapture.feed
    collected = []

    def feed_and_collect(self, level, text):
        feed(self, level, text)
        if not collected:
            collected.append(True)
            gc.collect()  # frees the Llama: llama.cpp logs from inside this callback

    monkeypatch.setattr(llama_log.LogCapture, "feed", feed_and_collect)
    done = threading.Event()

    def load_again():
        with llama_log.capture():
            other = Llama(model_path=str(starter_model), n_ctx=256, verbose=True)
            other.close()
        done.set()

    worker = threading.Thread(target=load_again, name="log-reentry", daemon=True)
    worker.start()
    assert done.wait(HANG_GUARD), "llama.cpp's log callback deadlocked"
    assert collected


@pytest.mark.parametrize("error", [KeyError("n_vocab"), MemoryError(), RuntimeError("bad state"),
                                   TypeError("odd value")])
def test_a_load_failing_with_any_exception_gives_the_previous_model_back(starter_model, tmp_path, monkeypatch,
                                                                          error):
    other = tmp_path / "other.gguf"
    other.write_bytes(starter_model.read_bytes())
    real_llama = model_load.Llama

    def llama(*args, **kwargs):
        if kwargs.get("model_path") == str(other):
            raise error
        return real_llama(*args, **kwargs)

    monkeypatch.setattr(model_load, "Llama", llama)

    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(starter_model), n_ctx=512))
            with pytest.raises(ModelLoadError, match="previous model was loaded again"):
                await host.load(LoadConfig(str(other), n_ctx=512))
            assert host.report.model.path == str(starter_model)
            assert await reply(host)
        finally:
            await host.close()

    run(body)


def test_a_failure_after_the_model_is_built_frees_it_and_restores(starter_model, monkeypatch):
    calls = []
    real_rows = model_load.cache_rows

    def measure(llm, n_caches):
        calls.append(llm)
        if len(calls) == 2:
            raise RuntimeError("llama_decode returned -1")
        return real_rows(llm, n_caches)

    monkeypatch.setattr(model_load, "cache_rows", measure)

    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(starter_model), n_ctx=512))
            with pytest.raises(ModelLoadError, match="llama_decode returned -1"):
                await host.load(LoadConfig(str(starter_model), n_ctx=1024, type_k="q8_0"))
            assert host.report.n_ctx == 512 and await reply(host)
        finally:
            await host.close()

    run(body)
    assert calls[1]._ctx.ctx is None  # the model that failed to be measured was freed, not left behind


def test_close_returns_even_when_the_engine_thread_is_stuck(monkeypatch):
    monkeypatch.setattr(host_module, "CLOSE_TIMEOUT_SECONDS", 0.5)
    release = threading.Event()

    async def body():
        host = EngineHost()
        stuck = asyncio.ensure_future(host._call(lambda: release.wait(HANG_GUARD)))
        await asyncio.sleep(0)  # the request is queued; the engine thread is now waiting on `release`
        await host.close()  # returns although the thread is still inside the request
        assert host._thread.is_alive()
        release.set()
        await stuck
        host._thread.join(HANG_GUARD)

    run(body)


def test_a_template_that_would_take_gigabytes_loads_in_bounded_memory(starter_model, tmp_path):
    """Before: Llama() folded `'x' * 4000000000` while compiling: 35 s, 3.9 GB, then MemoryError."""
    huge = with_template(starter_model, tmp_path, "huge", "{{ 'x' * 4000000000 }}")

    async def body():
        host = EngineHost()
        try:
            tracemalloc.start()
            report = await host.load(LoadConfig(str(huge), n_ctx=512))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert peak < 200 << 20
            assert report.chat_template
            with pytest.raises(NoChatTemplateError, match="a value of 4,000,000,000 items"):
                await reply(host)
        finally:
            await host.close()

    run(body)


@pytest.mark.parametrize("template, says", [
    ("{% for m in messages %}{% endfor %}", "empty prompt"),
    ("{{ '   ' }}", "empty prompt"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x", "runs too long"),
    ("{{ undefined_function() }}", "rejected this conversation"),
])
def test_a_template_that_cannot_make_a_prompt_says_why(starter_model, tmp_path, template, says):
    """Before: an empty prompt ended in a bare AssertionError."""
    model = with_template(starter_model, tmp_path, "odd", template)

    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(model), n_ctx=512))
            with pytest.raises(NoChatTemplateError, match=says):
                await reply(host)
        finally:
            await host.close()

    run(body)


@pytest.mark.parametrize("sampling, says", [
    ({"temperature": "hot"}, "temperature must be a number"),
    ({"max_tokens": "5"}, "max_tokens must be a number"),
    ({"max_tokens": 0}, "max_tokens must be between 1"),
    ({"max_tokens": -5}, "max_tokens must be between 1"),
    ({"seed": 2**32}, "seed must be between 0 and 4294967294"),
    ({"seed": 2**64}, "seed must be between"),
    ({"top_k": 2.5}, "top_k must be a whole number"),
    ({"top_p": float("nan")}, "top_p must be a finite number"),
])
def test_odd_sampling_is_refused_before_llama_cpp_sees_it(starter_model, sampling, says):
    """Before: a raw TypeError, one token for max_tokens 0, seed 2**32 silently became seed 0."""

    async def body():
        host = EngineHost()
        try:
            await host.load(LoadConfig(str(starter_model), n_ctx=512))
            with pytest.raises(SamplingError, match=says):
                await reply(host, **sampling)
            assert await reply(host)  # the engine carries on
        finally:
            await host.close()

    run(body)
