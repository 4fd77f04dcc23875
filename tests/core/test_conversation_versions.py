"""Regenerate keeps versions: every reply a regenerate replaced stays stored with the conversation, the
one shown is the one the conversation goes on from, and flipping between them survives a restart.
A real SQLite file and the fake backend of test_conversation.py, whose replies the test writes."""

from __future__ import annotations

import asyncio
import sqlite3

from app.core.conversation import ConversationModel
from app.core.store import ConversationStore
from tests.core.test_conversation import FakeBackend, Recorder, settle


async def reply(model, backend, text: str) -> None:
    """The reply under way writes `text` and ends."""
    await settle()
    backend.last.text(text)
    backend.last.done()
    await model.wait_reply()


def test_two_regenerates_keep_three_versions_the_shown_one_counts_and_survives_a_restart(tmp_path):
    path = tmp_path / "c.sqlite3"
    backend, events = FakeBackend(), Recorder()

    async def first_session():
        store = ConversationStore(path)
        model = ConversationModel(store, backend, events)
        await model.open(None)
        model.send("Name a colour.")
        await reply(model, backend, "Red.")
        model.regenerate()
        await reply(model, backend, "Blue.")
        model.regenerate()
        await settle()
        assert backend.calls[-1][1] == [("user", "Name a colour.")]  # the reply being replaced is not in the prompt
        await reply(model, backend, "Green.")
        last = model.messages[-1]
        assert (last.content, last.version, last.versions) == ("Green.", 2, 3)
        assert [v.content for v in store.versions(last.id)] == ["Red.", "Blue.", "Green."]
        assert events.of("message_changed")[-1] == (1, last)
        model.show_version(last.id, 0)
        assert model.messages[-1].content == "Red." and model.messages[-1].version == 0
        assert events.of("message_changed")[-1] == (1, model.messages[-1])
        store.close()
        return model.conversation.id, last.id

    conversation_id, reply_id = asyncio.run(first_session())

    async def second_session():
        store = ConversationStore(path)  # the app started again
        model = ConversationModel(store, backend, Recorder())
        await model.open(conversation_id)
        shown = model.messages[-1]
        assert (shown.id, shown.content, shown.version, shown.versions) == (reply_id, "Red.", 0, 3)
        model.send("And another?")
        await settle()
        assert backend.calls[-1][1] == [("user", "Name a colour."), ("assistant", "Red."), ("user", "And another?")]
        await reply(model, backend, "Yellow.")
        model.show_version(reply_id, 1)  # an earlier reply may be flipped too: the next prompt has that version
        model.send("Thanks.")
        await settle()
        assert backend.calls[-1][1][1] == ("assistant", "Blue.")
        await reply(model, backend, "You're welcome.")
        assert [m.content for m in store.messages(conversation_id)] == [
            "Name a colour.", "Blue.", "And another?", "Yellow.", "Thanks.", "You're welcome."]
        store.close()

    asyncio.run(second_session())


def test_a_regenerate_that_writes_nothing_puts_the_reply_back(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    backend, events = FakeBackend(), Recorder()

    async def main():
        model = ConversationModel(store, backend, events)
        await model.open(None)
        model.send("Hello")
        await reply(model, backend, "Hi.")
        earlier = model.messages[-1]
        model.regenerate()
        model.stop()  # before a word of it
        await model.wait_reply()
        assert model.messages[-1] == earlier and events.of("message_added")[-1] == (earlier,)
        assert store.messages(model.conversation.id)[-1] == earlier and store.versions(earlier.id) == [
            store.versions(earlier.id)[0]]
        model.regenerate()
        await settle()
        backend.last.text("Hel")
        await settle()
        model.stop()  # a stopped version is kept as far as it got, like any stopped reply
        await model.wait_reply()
        assert [(v.content, v.finish_reason) for v in store.versions(earlier.id)] == [
            ("Hi.", "stop"), ("Hel", "cancelled")]

    asyncio.run(main())
    store.close()


def test_an_edit_and_resend_drops_the_versions_of_what_it_replaces(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    backend = FakeBackend()

    async def main():
        model = ConversationModel(store, backend, Recorder())
        await model.open(None)
        model.send("Question")
        await reply(model, backend, "One.")
        model.regenerate()
        await reply(model, backend, "Two.")
        model.start_edit(model.messages[0].id)
        model.send("Another question")
        await reply(model, backend, "Three.")
        assert [(m.content, m.versions) for m in store.messages(model.conversation.id)] == [
            ("Another question", 1), ("Three.", 1)]
        assert store._db.execute("SELECT COUNT(*) FROM message_versions").fetchone()[0] == 0

    asyncio.run(main())
    store.close()


def test_a_database_of_schema_2_keeps_everything_and_gains_versions(tmp_path):
    path = tmp_path / "v2.sqlite3"
    with sqlite3.connect(path) as db:  # schema 2, as the release before versions wrote it
        db.executescript("""
            CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,
                system_prompt TEXT NOT NULL DEFAULT '', sampling TEXT NOT NULL DEFAULT '{}',
                created REAL NOT NULL, updated REAL NOT NULL);
            CREATE TABLE messages (id INTEGER PRIMARY KEY,
                conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                role TEXT NOT NULL, content TEXT NOT NULL, stats TEXT, finish_reason TEXT, created REAL NOT NULL);
            CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
            INSERT INTO conversations VALUES (1, 'kept', 'be brief', '{}', 1, 1);
            INSERT INTO messages VALUES (1, 1, 'user', 'hello', NULL, NULL, 1),
                (2, 1, 'assistant', 'hi', '{"generated_tokens": 1}', 'stop', 2);
            PRAGMA user_version=2;
        """)
    store = ConversationStore(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == 3
    messages = store.messages(1)
    assert [(m.role, m.content, m.finish_reason, m.version, m.versions) for m in messages] == [
        ("user", "hello", None, 0, 1), ("assistant", "hi", "stop", 0, 1)]
    assert messages[1].stats.generated_tokens == 1
    again = store.add_version(2, "hello there", None, "stop")
    assert (again.content, again.version, again.versions) == ("hello there", 1, 2)
    assert store.show_version(2, 0).content == "hi"
    store.close()
    store = ConversationStore(path)  # opened again: nothing is migrated twice
    assert [(v.content, v.finish_reason) for v in store.versions(2)] == [("hi", "stop"), ("hello there", "stop")]
    assert store.messages(1)[1].content == "hi" and store.messages(1)[1].stats.generated_tokens == 1
    store.delete(1)  # the cascade reaches the versions
    assert store._db.execute("SELECT COUNT(*) FROM message_versions").fetchone()[0] == 0
    assert store._db.execute("PRAGMA foreign_key_check").fetchall() == []
    store.close()


def test_a_version_that_is_not_stored_is_not_shown(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create_conversation()
    store.add_message(conversation.id, "user", "Hello")
    answer = store.add_message(conversation.id, "assistant", "Hi.")
    assert store.show_version(answer.id, 1) is None  # written once: no version 1
    assert store.show_version(answer.id, 2**70) is None and store.show_version(10**6, 0) is None
    assert store.messages(conversation.id)[-1].content == "Hi."
    store.close()
