"""EngineHost on its real thread with the real models: streaming, cancel, reload, errors."""

from __future__ import annotations

import asyncio
import threading
from contextlib import aclosing

import pytest

from app.engine import host as host_module
from app.engine import llm as llm_module
from app.engine.config import LoadConfig
from app.engine.errors import (
    ContextOverflowError,
    KvConfigError,
    ModelFileError,
    ModelLoadError,
    NoChatTemplateError,
    NoModelLoadedError,
)
from app.engine.host import EngineHost
from app.engine.lab.results import LabPair
from app.engine.lab.run import LabProgress, LabSpec
from app.engine.records import ChatMessage, SamplingParams
from tests import model_files

pytestmark = pytest.mark.slow  # every test here loads a model

SEEDED = SamplingParams(seed=42, max_tokens=64)
GREEDY = SamplingParams(temperature=0.0, max_tokens=8)


def run(test_coro):
    """Run one test body with a fresh host that is always closed."""

    async def wrapper():
        host = EngineHost()
        try:
            return await test_coro(host)
        finally:
            await host.close()

    return asyncio.run(wrapper())


async def collect(stream):
    async with aclosing(stream) as chunks:
        return [chunk async for chunk in chunks]


def text_of(chunks):
    return "".join(c.text for c in chunks)


def user(text):
    return [ChatMessage("user", text)]


def test_streams_a_reply_with_stats(starter_model):
    async def body(host):
        report = await host.load(LoadConfig(str(starter_model), n_ctx=2048, type_k="q8_0", type_v="q4_0"))
        assert report.flash_attn and report.kv_exact
        chunks = await collect(host.chat(user("What is the capital of France?"), SEEDED))
        assert chunks[0].phase == "prompt"
        assert {c.phase for c in chunks[1:-1]} == {"generating"}
        done = chunks[-1]
        assert done.phase == "done" and done.finish_reason == "stop"
        assert "Paris" in text_of(chunks)
        stats = done.stats
        assert stats.generated_tokens == len(chunks) - 2
        assert stats.prompt_tokens > 10 and stats.cached_tokens == 0
        assert stats.time_to_first_token > 0 and stats.tokens_per_second > 0
        assert (stats.type_k, stats.type_v) == ("q8_0", "q4_0")
        cells = [c.usage.cells_used for c in chunks]
        assert cells == sorted(cells) and cells[-1] >= stats.prompt_tokens

    run(body)


def test_same_seed_same_reply(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        first = text_of(await collect(host.chat(user("Name three fruits."), SEEDED)))
        await host.load(LoadConfig(str(starter_model)))  # a fresh context, nothing cached
        second = text_of(await collect(host.chat(user("Name three fruits."), SEEDED)))
        assert first == second and first

    run(body)


def cancel_at(stream, token: int) -> list:
    """Cancel `stream` from the engine thread as it hands over its `token`-th generated token, and collect
    the tokens it hands over after that: the moment is the engine's, whatever the reader's pace."""
    after = []
    handed = 0
    hand_over = stream.put

    def put(chunk):
        nonlocal handed
        if stream.cancelled.is_set() and chunk.phase == "generating":
            after.append(chunk)
        accepted = hand_over(chunk)
        if chunk.phase == "generating":
            handed += 1
            if handed == token:
                stream.cancel()
        return accepted

    stream.put = put
    return after


def test_cancel_mid_reply_stops_within_one_token(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        release, holder = await _engine_held(host)  # the stream is watched before its first token
        story = host.chat(user("Write a very long story about a dragon."),
                          SamplingParams(temperature=0.0, seed=1, max_tokens=400))
        after_cancel = cancel_at(story, 10)
        release.set()
        await holder
        chunks = await collect(story)
        assert chunks[-1].finish_reason == "cancelled"
        assert len(after_cancel) <= 1
        # The host carries on: the next reply is whole.
        after = await collect(host.chat(user("Hi!"), SEEDED))
        assert after[-1].finish_reason == "stop" and text_of(after)

    run(body)


def test_cancel_interrupts_a_long_prompt(starter_model, monkeypatch):
    real_should_abort = llm_module.ChatEngine._should_abort
    armed = [True]

    def cancelled_while_reading(self, data):
        """llama.cpp asks whether to stop, part-way through the prompt: the user cancels at that moment."""
        if armed[0]:
            armed[0] = False
            self._abort_event.set()  # the reply's `cancelled` event, as its cancel() sets it
        return real_should_abort(self, data)

    # Bound when the engine is made, so patched before the host exists.
    monkeypatch.setattr(llm_module.ChatEngine, "_should_abort", cancelled_while_reading)

    async def body(host):
        await host.load(LoadConfig(str(starter_model), n_ctx=8192))
        long_prompt = "Summarize this: " + "the quick brown fox jumps over the lazy dog. " * 600
        chunks = await collect(host.chat(user(long_prompt), SEEDED))
        assert not armed[0] and chunks[-1].finish_reason == "cancelled"
        assert not [c for c in chunks if c.phase == "generating"]
        usage = await host.usage()
        assert usage.cells_used < chunks[0].stats.prompt_tokens  # stopped part-way through the prompt
        after = await collect(host.chat(user("What is 2 + 2?"), SEEDED))
        assert after[-1].finish_reason in ("stop", "length") and text_of(after)

    run(body)


def test_a_second_turn_reuses_the_cached_prefix(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        history = user("What is the capital of France?")
        first = await collect(host.chat(history, SEEDED))
        history += [ChatMessage("assistant", text_of(first)), ChatMessage("user", "And of Germany?")]
        second = await collect(host.chat(history, SEEDED))
        assert second[-1].stats.cached_tokens >= first[-1].stats.prompt_tokens
        assert second[-1].stats.prompt_tokens > second[-1].stats.cached_tokens

    run(body)


def test_reload_with_new_settings_shows_new_measured_bytes(starter_model):
    async def body(host):
        f16 = await host.load(LoadConfig(str(starter_model), n_ctx=4096))
        q4 = await host.load(LoadConfig(str(starter_model), n_ctx=4096, type_k="q4_0", type_v="q4_0"))
        assert host.report is q4
        assert q4.kv.total == f16.kv.total * 0.28125 == q4.estimate.kv_bytes
        assert q4.saving_percent == pytest.approx(71.875)
        chunks = await collect(host.chat(user("Say hello."), SEEDED))
        assert chunks[-1].stats.type_k == "q4_0" and text_of(chunks)

    run(body)


def test_unload_then_load_again(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        await host.unload()
        assert host.report is None and await host.usage() is None
        with pytest.raises(NoModelLoadedError):
            await collect(host.chat(user("Hello?")))
        await host.load(LoadConfig(str(starter_model)))
        assert text_of(await collect(host.chat(user("Hello?"), SEEDED)))

    run(body)


@pytest.mark.parametrize(
    "make",
    [
        lambda m, d: d / "missing.gguf",
        lambda m, d: model_files.empty(d / "empty.gguf"),
        lambda m, d: model_files.random_bytes(d / "noise.gguf"),
        lambda m, d: model_files.truncated_copy(m, d / "half.gguf"),
        lambda m, d: model_files.vocab_only(d / "vocab.gguf"),
    ],
    ids=["missing", "empty", "random", "truncated", "vocab-only"],
)
def test_a_bad_file_is_refused_and_the_current_model_stays(starter_model, tmp_path, make):
    bad = make(starter_model, tmp_path)

    async def body(host):
        good = await host.load(LoadConfig(str(starter_model)))
        with pytest.raises(ModelFileError):
            await host.load(LoadConfig(str(bad)))
        assert host.report is good
        assert text_of(await collect(host.chat(user("Hello"), SEEDED)))

    run(body)


def test_a_refused_setting_leaves_the_current_model_loaded(starter_model):
    async def body(host):
        good = await host.load(LoadConfig(str(starter_model)))
        with pytest.raises(KvConfigError, match="flash attention"):
            await host.load(LoadConfig(str(starter_model), type_v="q4_0", flash_attn="off"))
        with pytest.raises(KvConfigError, match="context length"):
            await host.load(LoadConfig(str(starter_model), n_ctx=0))
        assert host.report is good
        assert text_of(await collect(host.chat(user("Hello"), SEEDED)))

    run(body)


def test_llama_cpp_refusal_shows_its_words_and_restores_the_previous_model(starter_model, tmp_path):
    alien = model_files.unknown_architecture(tmp_path / "alien.gguf")

    async def body(host):
        good = await host.load(LoadConfig(str(starter_model), type_k="q8_0"))
        with pytest.raises(ModelLoadError) as caught:
            await host.load(LoadConfig(str(alien)))
        message = str(caught.value)
        assert "unknown model architecture: 'nosucharch'" in message
        assert "previous model was loaded again" in message
        assert host.report.config == good.config and host.report.kv == good.kv
        assert text_of(await collect(host.chat(user("Hello"), SEEDED)))

    run(body)


def test_a_model_without_chat_template_is_reported_not_misformatted(gemma_model):
    async def body(host):
        report = await host.load(LoadConfig(str(gemma_model), n_ctx=1024))
        assert not report.chat_template
        with pytest.raises(NoChatTemplateError, match="no chat template"):
            await collect(host.chat(user("Hello")))
        chunks = await collect(host.complete("The capital of France is", GREEDY))
        # Greedy: the model's single most likely continuation, eight tokens of it.
        assert text_of(chunks) == " the capital of France. It is located" and chunks[-1].finish_reason == "length"

    run(body)


def test_prompt_longer_than_the_context_is_refused(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model), n_ctx=256))
        with pytest.raises(ContextOverflowError, match="context holds 256"):
            await collect(host.chat(user("word " * 400)))
        assert text_of(await collect(host.chat(user("Hi"), SEEDED)))

    run(body)


def test_a_reply_stops_when_the_context_is_full(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model), n_ctx=256))
        # Greedy counting goes on counting: the reply can end only where the context does.
        counting = " ".join(str(i) for i in range(1, 80)) + " "
        chunks = await collect(host.complete(counting, SamplingParams(temperature=0.0, seed=0, max_tokens=1000,
                                                                      repeat_penalty=1.0)))
        done = chunks[-1]
        assert done.finish_reason == "context_full"
        assert 0 < done.stats.prompt_tokens < 256 and done.usage.cells_used == 256

    run(body)


def _edit_far_back(host, text, edit_at):
    """Complete `text`, then complete an edited version that shares only its first `edit_at` chars."""

    async def go():
        await collect(host.complete(text, GREEDY))
        edited = text[:edit_at] + " Meanwhile, in a completely different story,"
        return await collect(host.complete(edited, GREEDY))

    return go()


STORY = " ".join(f"Sentence number {i} of a long text about rivers, hills and towns." for i in range(140))


def test_compact_window_reevaluates_an_edit_behind_the_window(gemma_model):
    async def body(host):
        compact = LoadConfig(str(gemma_model), n_ctx=4096, compact_window=True)
        await host.load(compact)
        edited_reply = await _edit_far_back(host, STORY, 800)
        assert edited_reply[-1].stats.cached_tokens == 0  # re-evaluated, not silently reused
        # ...and the reply equals one from a fresh context.
        await host.load(compact)
        fresh = await collect(host.complete(STORY[:800] + " Meanwhile, in a completely different story,", GREEDY))
        assert text_of(edited_reply) == text_of(fresh)
        # Appending is still served from the cache.
        appended = await collect(host.complete(STORY[:800] + " Meanwhile, in a completely different story, the", GREEDY))
        assert appended[-1].stats.cached_tokens > 0

    run(body)


def test_full_window_reuses_the_prefix_of_an_edit(gemma_model):
    async def body(host):
        await host.load(LoadConfig(str(gemma_model), n_ctx=4096))
        edited_reply = await _edit_far_back(host, STORY, 800)
        assert edited_reply[-1].stats.cached_tokens > 100

    run(body)


def test_plan_answers_while_a_reply_streams(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        planned = None
        reply = host.chat(user("Tell me a long story."), SamplingParams(temperature=0.0, seed=5, max_tokens=200))
        async with aclosing(reply) as s:
            async for chunk in s:
                if chunk.phase == "generating":
                    planned = await host.plan(LoadConfig(str(starter_model), n_ctx=8192, type_k="q4_0",
                                                         type_v="q4_0"))
                    break
        assert planned is not None and planned.ok and planned.estimate.kv_bytes == 8192 * 30 * 2 * 192 * 18 // 32
        assert reply.cancelled.is_set()  # leaving early stopped the reply...
        assert text_of(await collect(host.chat(user("Hi!"), SEEDED)))  # ...and freed the engine for the next

    run(body)


async def _engine_held(host):
    """Hold the engine thread until the returned event is set: streams asked for meanwhile wait their turn."""
    release = threading.Event()
    held = threading.Event()

    def hold():
        held.set()
        release.wait()

    holder = asyncio.ensure_future(host._call(hold))
    assert await asyncio.to_thread(held.wait, 60)
    return release, holder


def test_a_queued_reply_cancelled_ends_at_once_without_running(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        release, holder = await _engine_held(host)
        first = host.chat(user("Hello"), GREEDY)
        second = host.chat(user("Hello"), GREEDY)
        first.cancel()
        chunks = await collect(first)  # ends while the engine is still held
        assert [(c.phase, c.finish_reason) for c in chunks] == [("done", "cancelled")]
        assert chunks[0].stats.prompt_tokens == 0  # it never read its prompt
        release.set()
        await holder
        after = await collect(second)
        assert not second.cancelled.is_set() and after[-1].finish_reason == "length" and text_of(after)

    run(body)


def test_a_streams_own_cancel_stops_it_and_no_other(starter_model):
    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        release, holder = await _engine_held(host)
        story = host.chat(user("Write a very long story about a dragon."),
                          SamplingParams(temperature=0.0, seed=1, max_tokens=400))
        queued = host.chat(user("Hi!"), GREEDY)
        after_cancel = cancel_at(story, 1)
        release.set()
        await holder
        chunks = await collect(story)
        assert chunks[-1].finish_reason == "cancelled" and len(after_cancel) <= 1
        after = await collect(queued)
        assert not queued.cancelled.is_set()
        assert after[0].phase == "prompt" and after[-1].finish_reason == "length" and text_of(after)

    run(body)


def test_a_cancelled_lab_ends_its_stream_without_a_report(starter_model, monkeypatch):
    streams = []
    known = threading.Event()  # the test holds the lab's stream
    real_run_lab = host_module.run_lab

    def run_lab_cancelled_at_the_second_step(llm, resolved, prompts, spec, cancel, on_progress):
        def progress(step):
            on_progress(step)
            if step.done == 2:
                assert known.wait(60)
                streams[0].cancel()  # as the lab window's Cancel button does, from another thread

        return real_run_lab(llm, resolved, prompts, spec, cancel, progress)

    monkeypatch.setattr(host_module, "run_lab", run_lab_cancelled_at_the_second_step)

    async def body(host):
        await host.load(LoadConfig(str(starter_model)))
        lab = host.lab(LabSpec(pairs=(LabPair("q8_0", "q8_0"),), scored_tokens=64))
        streams.append(lab)
        known.set()
        queued = host.chat(user("Hi!"), GREEDY)
        items = await collect(lab)  # no error: a cancelled lab is no failure
        assert items and all(isinstance(i, LabProgress) for i in items)
        assert items[-1].done <= 3  # the step under way when cancel came, and no other
        after = await collect(queued)
        assert after[-1].finish_reason == "length" and text_of(after)

    run(body)


def test_close_while_streaming_ends_the_stream(starter_model):
    async def body():
        host = EngineHost()
        await host.load(LoadConfig(str(starter_model)))
        chunks = []
        async with aclosing(host.chat(user("Tell me a long story."), SamplingParams(seed=5, max_tokens=300))) as s:
            async for chunk in s:
                chunks.append(chunk)
                if len(chunks) == 5:
                    closing = asyncio.ensure_future(host.close())
        await closing
        assert chunks[-1].finish_reason == "cancelled"
        await host.close()  # twice is fine

    asyncio.run(body())
