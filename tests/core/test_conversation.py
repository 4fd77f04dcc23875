"""The conversation model without a window or a model: a real SQLite store, and a fake backend whose
replies the test writes chunk by chunk, so every moment (a stop mid-reply, an error, a deletion) is exact."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import SimpleNamespace

import pytest

from app.core.conversation import ERROR_FINISH, TITLE_LENGTH, ConversationModel
from app.core.conversation_events import ConversationEvents
from app.core.prompt_progress import PromptProgress
from app.core.store import DEFAULT_TITLE, ConversationStore
from app.engine.backend import ChatBackend, ThreadStream
from app.engine.history_fit import DROP_OLDEST
from app.engine.records import CacheUsage, ReplyChunk, ReplyStats, SamplingParams


def chunk(phase: str, text: str = "", stats: ReplyStats | None = None, finish_reason: str | None = None,
          usage: CacheUsage | None = None) -> ReplyChunk:
    return ReplyChunk(phase=phase, text=text, stats=stats or ReplyStats(), finish_reason=finish_reason, usage=usage)


class FakeReply:
    """One reply the test writes: each call puts one chunk; a cancel ends it with a "cancelled" chunk,
    as a real backend does (unless `answers_cancel` is False: an engine that hangs)."""

    def __init__(self, answers_cancel: bool = True) -> None:
        self.stream: ThreadStream[ReplyChunk] = ThreadStream()
        self.tokens = 0
        if answers_cancel:
            self.stream.on_cancel(lambda: self.done("cancelled"))

    @property
    def cancelled(self) -> bool:
        return self.stream.cancelled.is_set()

    def prompt(self, tokens: int, dropped: int = 0, read: int = 0) -> None:
        self.stream.put(replace(chunk("prompt", stats=ReplyStats(prompt_tokens=tokens, dropped_messages=dropped)),
                                prompt_read=read))

    def text(self, text: str) -> None:
        self.tokens += 1
        self.stream.put(chunk("generating", text, ReplyStats(generated_tokens=self.tokens),
                              usage=CacheUsage(cells_used=self.tokens, n_ctx=128)))

    def done(self, finish_reason: str = "stop") -> None:
        self.stream.put(chunk("done", stats=ReplyStats(generated_tokens=self.tokens), finish_reason=finish_reason))
        self.stream.end()

    def fail(self, error: BaseException) -> None:
        self.stream.end(error)


class FakeBackend:
    """Meets ChatBackend; every chat() or complete() is a FakeReply the test drives."""

    def __init__(self, chat_template: bool = True, answers_cancel: bool = True) -> None:
        self.report = SimpleNamespace(chat_template=chat_template)
        self.calls: list[tuple] = []
        self.conversations: list[str | None] = []  # the name each reply's conversation was given
        self.replies: list[FakeReply] = []
        self.cancelled_all = 0
        self._answers_cancel = answers_cancel

    def _reply(self) -> ThreadStream[ReplyChunk]:
        self.replies.append(FakeReply(self._answers_cancel))
        return self.replies[-1].stream

    def chat(self, messages, sampling=None, overflow=DROP_OLDEST, conversation=None):
        self.calls.append(("chat", [(m.role, m.content) for m in messages], sampling, overflow))
        self.conversations.append(conversation)
        return self._reply()

    def complete(self, prompt, sampling=None, conversation=None):
        self.calls.append(("complete", prompt, sampling))
        self.conversations.append(conversation)
        return self._reply()

    def cancel(self) -> None:
        self.cancelled_all += 1
        for reply in self.replies:
            reply.stream.cancel()

    async def usage(self):
        return None

    async def close(self) -> None:
        self.cancel()

    @property
    def last(self) -> FakeReply:
        return self.replies[-1]


class Recorder(ConversationEvents):
    """Every event, in order, as (name, *arguments)."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def __getattribute__(self, name):
        if name.startswith("_") or name in ("seen", "names", "of"):
            return object.__getattribute__(self, name)
        return lambda *args: self.seen.append((name, *args))

    def names(self) -> list[str]:
        return [event[0] for event in self.seen]

    def of(self, name: str) -> list[tuple]:
        return [event[1:] for event in self.seen if event[0] == name]


async def settle() -> None:
    """Let the loop deliver what was put (no time passes: only callbacks already due run)."""
    for _ in range(10):
        await asyncio.sleep(0)


@pytest.fixture
def store(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    yield store
    store.close()


def run(store, body, **backend_options):
    backend = FakeBackend(**backend_options)
    events = Recorder()

    async def main():
        model = ConversationModel(store, backend, events)
        await model.open(None)
        await body(model, backend, events)
        await model.stop_and_wait(timeout=1)

    asyncio.run(main())
    return backend, events


def test_the_fake_meets_the_backend_contract():
    assert isinstance(FakeBackend(), ChatBackend)


def test_send_streams_the_reply_and_saves_both_messages(store):
    async def body(model, backend, events):
        model.overflow_policy = "stop"
        assert model.send("  What   is the capital of Italy, and why is it the capital of Italy?  ")
        await settle()
        assert model.replying
        backend.last.prompt(12)
        backend.last.text("Rome")
        backend.last.text(".")
        await settle()
        assert model.reply_text == "Rome."
        backend.last.done("stop")
        await model.wait_reply()
        assert not model.replying and model.reply_text == ""

        stored = store.messages(model.conversation.id)
        assert [(m.role, m.content, m.finish_reason) for m in stored] == [
            ("user", "  What   is the capital of Italy, and why is it the capital of Italy?  ", None),
            ("assistant", "Rome.", "stop")]
        assert stored[1].stats.generated_tokens == 2
        assert model.messages == stored
        title = store.conversation(model.conversation.id).title
        assert title == "What is the capital of Italy, and why is it the capital of Italy?"[:TITLE_LENGTH].strip()
        assert backend.calls == [("chat", [("user", stored[0].content)], SamplingParams(), "stop")]
        assert backend.conversations == [f"conversation-{model.conversation.id}"]  # its cache is kept under it
        assert events.of("reply_reading_prompt") == [(PromptProgress(12, 0, None),)]
        assert events.of("reply_text") == [("Rome",), (".",)]
        assert events.of("reply_finished") == [(stored[1].stats, "stop", stored[1].id)]
        assert events.of("replying_changed") == [(True,), (False,)]
        assert len(events.of("usage")) == 2 and "titles_changed" in events.names()
        assert events.names().index("message_added") < events.names().index("reply_started")

    run(store, body)


def test_a_second_message_keeps_the_title_and_sends_the_system_prompt(store):
    async def body(model, backend, events):
        model.update_settings("Be brief.", SamplingParams(temperature=0.5))
        model.send("First")
        await settle()
        backend.last.text("One.")
        backend.last.done()
        await model.wait_reply()
        model.send("Second")
        await settle()
        assert model.conversation.title == "First"
        assert backend.calls[-1][1] == [("system", "Be brief."), ("user", "First"), ("assistant", "One."),
                                        ("user", "Second")]
        assert backend.calls[-1][2] == SamplingParams(temperature=0.5)
        assert not model.send("Third")  # not while a reply is being written
        backend.last.done()

    run(store, body)


def test_stop_saves_the_reply_as_far_as_it_got(store):
    async def body(model, backend, events):
        model.send("Count to ten.")
        await settle()
        backend.last.text("One, two,")
        await settle()
        model.stop()
        await model.wait_reply()
        assert backend.last.cancelled and backend.cancelled_all == 0
        reply = store.messages(model.conversation.id)[-1]
        assert (reply.content, reply.finish_reason) == ("One, two,", "cancelled")

    run(store, body)


def test_a_stop_before_the_stream_exists_cancels_it_as_soon_as_it_does(store):
    async def body(model, backend, events):
        model.send("Hello")
        model.stop()  # the reply's task has not run yet: the stream is opened there, on the running loop
        await model.wait_reply()
        assert backend.last.cancelled
        assert [m.role for m in store.messages(model.conversation.id)] == ["user"]  # nothing written, nothing kept
        assert events.of("message_removed_from") == [(1,)]  # the empty reply goes from the view

    run(store, body)


def test_a_stop_cancels_only_its_own_stream(store):
    backend = FakeBackend()

    async def main():
        first, second = ConversationModel(store, backend), ConversationModel(store, backend)
        await first.open(None)
        await second.open(None)
        first.send("A")
        second.send("B")
        await settle()
        a, b = backend.replies
        a.text("a1")
        b.text("b1")
        await settle()
        first.stop()
        await first.wait_reply()
        assert a.cancelled and not b.cancelled and backend.cancelled_all == 0
        assert second.replying
        b.text(" b2")
        b.done()
        await second.wait_reply()
        assert store.messages(first.conversation.id)[-1].finish_reason == "cancelled"
        assert (store.messages(second.conversation.id)[-1].content,
                store.messages(second.conversation.id)[-1].finish_reason) == ("b1 b2", "stop")

    asyncio.run(main())


def test_stop_and_wait_abandons_an_engine_that_does_not_answer(store):
    async def body(model, backend, events):
        model.send("Hello")
        await settle()
        backend.last.text("Partial")
        await settle()
        await model.stop_and_wait(timeout=0)
        assert not model.replying
        assert store.messages(model.conversation.id)[-1].content == "Partial"
        assert store.messages(model.conversation.id)[-1].finish_reason == "cancelled"

    run(store, body, answers_cancel=False)


def test_regenerate_replaces_the_last_reply(store):
    async def body(model, backend, events):
        model.send("Name a colour.")
        await settle()
        backend.last.text("Red.")
        backend.last.done()
        await model.wait_reply()
        model.regenerate()
        await settle()
        assert [m.content for m in model.messages] == ["Name a colour."]
        assert events.of("message_removed_from") == [(1,)]
        assert backend.calls[-1][1] == [("user", "Name a colour.")]
        backend.last.text("Blue.")
        backend.last.done()
        await model.wait_reply()
        assert [m.content for m in store.messages(model.conversation.id)] == ["Name a colour.", "Blue."]

    run(store, body)


def test_edit_and_resend_replaces_the_message_and_what_followed(store):
    async def body(model, backend, events):
        for text in ("First question", "Second question"):
            model.send(text)
            await settle()
            backend.last.text(f"Answer to {text}")
            backend.last.done()
            await model.wait_reply()
        second = model.messages[2]
        model.start_edit(model.messages[1].id)  # an assistant message is not edited
        assert model.editing is None
        model.start_edit(second.id)
        assert model.editing == 2 and events.of("editing_changed")[-1] == ("Second question",)
        model.cancel_edit()
        assert model.editing is None and events.of("editing_changed")[-1] == (None,)
        model.start_edit(second.id)
        model.send("Another question")
        await settle()
        assert model.editing is None and events.of("editing_changed")[-1] == (None,)
        assert events.of("message_removed_from")[-1] == (2,)
        assert backend.calls[-1][1][-1] == ("user", "Another question") and len(backend.calls[-1][1]) == 3
        backend.last.text("New answer")
        backend.last.done()
        await model.wait_reply()
        assert [m.content for m in store.messages(model.conversation.id)] == [
            "First question", "Answer to First question", "Another question", "New answer"]
        assert model.conversation.title == "First question"

    run(store, body)


def test_without_a_chat_template_the_last_message_is_continued(store):
    async def body(model, backend, events):
        model.send("Once upon a time")
        await settle()
        assert backend.calls == [("complete", "Once upon a time", SamplingParams())]
        assert events.of("reply_status") == [("No chat template: continuing the text as plain completion…",)]
        assert events.names().index("reply_started") < events.names().index("reply_status")
        backend.last.text(" there was a fox.")
        backend.last.done("length")
        await model.wait_reply()
        assert store.messages(model.conversation.id)[-1].finish_reason == "length"

    run(store, body, chat_template=False)


def test_a_reply_an_error_ended_is_saved_and_marked_as_such(store):
    failure = RuntimeError("llama.cpp failed while generating")

    async def body(model, backend, events):
        model.send("Hello")
        await settle()
        backend.last.text("Hel")
        backend.last.fail(failure)
        await model.wait_reply()
        reply = store.messages(model.conversation.id)[-1]
        assert (reply.content, reply.finish_reason) == ("Hel", ERROR_FINISH)
        assert events.of("error") == [(failure,)]
        assert events.of("reply_finished")[-1][1] == ERROR_FINISH
        assert events.names().index("replying_changed", 1) < events.names().index("error")

    run(store, body)


def test_a_backend_that_refuses_at_once_is_an_error_not_a_hang(store):
    async def body(model, backend, events):
        def refuse(*args, **kwargs):
            raise RuntimeError("no model is loaded")
        backend.chat = refuse
        model.send("Hello")
        await settle()
        await model.wait_reply()
        assert not model.replying and [m.role for m in model.messages] == ["user"]
        assert str(events.of("error")[0][0]) == "no model is loaded"

    run(store, body)


def test_dropped_messages_are_told_once_a_reply_however_many_steps_its_prompt_takes(store):
    async def body(model, backend, events):
        model.send("Hello")
        await settle()
        backend.last.prompt(100, dropped=1)
        backend.last.prompt(100, dropped=1, read=50)
        backend.last.done()
        await model.wait_reply()
        model.send("Again")
        await settle()
        backend.last.prompt(100, dropped=3)
        backend.last.done()
        await model.wait_reply()
        one, three = events.of("notice")
        assert "the oldest message was left out" in one[0] and "the 3 oldest messages" in three[0]

    run(store, body)


def test_the_prompt_s_reading_is_followed_step_by_step(store):
    async def body(model, backend, events):
        model.send("Hello")
        await settle()
        for read in (0, 512, 1024):
            backend.last.prompt(1500, read=read)
        backend.last.done()
        await model.wait_reply()
        progress = [p for (p,) in events.of("reply_reading_prompt")]
        assert [(p.total, p.read, p.percent) for p in progress] == [(1500, 0, 0), (1500, 512, 34), (1500, 1024, 68)]

    run(store, body)


def test_a_conversation_deleted_elsewhere_is_saved_again_as_a_new_one(store):
    async def body(model, backend, events):
        model.send("Hello")
        await settle()
        backend.last.text("Hi.")
        backend.last.done()
        await model.wait_reply()
        old_id, old_ids = model.conversation.id, [m.id for m in model.messages]
        store.delete(old_id)  # another KV Chat deletes it
        model.send("Still there?")
        await settle()
        assert model.conversation.id != old_id and store.conversation(old_id) is None
        (notice,) = events.of("saved_again")
        assert "“Hello” was deleted outside this window" in notice[0]
        (new_ids,) = events.of("renumbered")
        assert list(new_ids[0]) == old_ids and list(new_ids[0].values()) == [m.id for m in model.messages[:2]]
        store.delete(model.conversation.id)  # and again, while the reply is being written
        backend.last.text("Yes.")
        backend.last.done()
        await model.wait_reply()
        assert len(events.of("saved_again")) == 2
        assert [m.content for m in store.messages(model.conversation.id)] == ["Hello", "Hi.", "Still there?", "Yes."]
        assert model.messages == store.messages(model.conversation.id)

    run(store, body)


def test_sending_with_no_conversation_gives_the_text_back(store):
    async def main():
        events = Recorder()
        model = ConversationModel(store, FakeBackend(), events)
        assert not model.send("Lost?")
        assert events.names() == ["error", "text_returned"] and events.of("text_returned") == [("Lost?",)]

    asyncio.run(main())


def test_opening_a_conversation_shows_its_messages_and_a_swapped_backend_is_used(store):
    conversation = store.create_conversation("Kept")
    store.add_message(conversation.id, "user", "Old question")

    async def body(model, backend, events):
        await model.open(conversation.id)
        assert events.of("opened")[-1] == (store.messages(conversation.id),)
        model.backend = other = FakeBackend()
        model.send("New question")
        await settle()
        assert not backend.calls and other.calls[0][1] == [("user", "Old question"), ("user", "New question")]
        other.last.done()
        await model.wait_reply()
        assert model.conversation.title == "Kept"

    run(store, body)


def test_a_new_conversation_starts_with_the_default_title(store):
    async def body(model, backend, events):
        assert model.conversation.title == DEFAULT_TITLE and model.messages == []
        model.rename("  ")
        assert model.conversation.title == DEFAULT_TITLE
        model.rename("Mine")
        assert store.conversation(model.conversation.id).title == "Mine"

    run(store, body)
