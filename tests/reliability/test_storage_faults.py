"""A damaged, locked, unwritable or full conversation database, and files read at start that hold
anything at all: a clear message, the app starts, nothing saved is lost."""

from __future__ import annotations

import json
import sqlite3

import pytest

import app.core.store_schema as store_schema
from app.core.settings import Settings, load_settings
from app.core.store import ConversationStore, StoreError, open_store
from app.engine.records import ReplyStats, SamplingParams
from tests.ui.conftest import send


def seed(path, n=3):
    store = ConversationStore(path)
    conversation = store.create_conversation("Kept")
    for i in range(n):
        store.add_message(conversation.id, "user", f"question {i}")
        store.add_message(conversation.id, "assistant", f"answer {i}")
    store.close()
    return conversation.id


def test_a_damaged_database_is_kept_aside_and_a_new_one_started(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    seed(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\x00garbage" * ((4096 - 100) // 8) + b"\x00" * ((4096 - 100) % 8)
    path.write_bytes(bytes(data))
    store = open_store(path)
    assert "damaged" in store.notice and "kept as conversations.broken-" in store.notice
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("conversations.broken-") and p.suffix == ".sqlite3"]
    assert kept and kept[0].read_bytes() == bytes(data)  # the damaged file itself, untouched
    assert store.conversations() == []
    store.add_message(store.create_conversation().id, "user", "still works")


def test_an_unwritable_data_folder_gives_a_working_session_and_says_so(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    store = open_store(blocker / "conversations.sqlite3")
    assert "cannot be saved" in store.notice
    conversation = store.create_conversation()
    store.add_message(conversation.id, "user", "kept for this session")
    assert store.messages(conversation.id)[0].content == "kept for this session"


def test_a_database_locked_by_another_program(tmp_path, monkeypatch):
    monkeypatch.setattr(store_schema, "LOCK_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "conversations.sqlite3"
    conversation_id = seed(path)
    store = ConversationStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.add_message(conversation_id, "user", "while locked")
        assert "cannot be saved" in open_store(path).notice  # a second app cannot take the file either
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.add_message(conversation_id, "user", "after the lock")
    assert [m.content for m in store.messages(conversation_id)][-1] == "after the lock"
    assert len(store.messages(conversation_id)) == 7  # nothing saved before was lost


def test_a_full_disk_fails_the_write_and_keeps_everything_saved(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    conversation_id = seed(path)
    store = ConversationStore(path)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages + 1}")  # SQLite's own "database or disk is full"
    with pytest.raises(StoreError, match="full"):
        store.add_message(conversation_id, "assistant", "x" * 200_000)
    assert len(store.messages(conversation_id)) == 6
    store.close()
    assert len(ConversationStore(path).messages(conversation_id)) == 6


def test_the_window_tells_the_user_and_keeps_the_text_when_saving_fails(window, loop, qtbot):
    conversation = window.session.conversation
    pages = window.store._db.execute("PRAGMA page_count").fetchone()[0]
    window.store._db.execute(f"PRAGMA max_page_count={pages}")
    long_message = "Please summarise: " + "the sea is wide and deep. " * 2000
    send(loop, qtbot, window, long_message, wait=False)
    assert "full" in window.banner.label.text() and window.banner.isVisible()
    assert window.composer.edit.toPlainText() == long_message.strip()  # nothing typed is lost
    assert window.store.messages(conversation.id) == []
    window.store._db.execute("PRAGMA max_page_count=1073741823")
    send(loop, qtbot, window, "Hello again.")
    assert [m.role for m in window.store.messages(conversation.id)] == ["user", "assistant"]


def test_the_window_starts_with_a_damaged_database(windows, loop):
    windows.db_path.parent.mkdir(parents=True, exist_ok=True)
    windows.db_path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    window = windows.new(use_open_store=True)
    assert "damaged" in window.banner.label.text()
    assert window.host.report is not None  # and the model loaded all the same


# -- files read at start: whatever they hold, the app starts -------------------------------------

HOSTILE_SETTINGS = {
    "100k-brackets": "[" * 100_000,
    "last-conversation-2**70": json.dumps({"last_conversation": 2**70}),
    "last-conversation-true": json.dumps({"last_conversation": True}),
    "invalid-utf-8": b"{\"last_model\": \"\xff\xfe\"}",
    "n-ctx-2**70": json.dumps({"models": {"/m.gguf": {"n_ctx": 2**70}}}),
    "unknown-cache-type": json.dumps({"models": {"/m.gguf": {"type_k": "q9_9"}}}),
    "recent-models-a-string": json.dumps({"recent_models": "/m.gguf"}),
    "last-model-null": json.dumps({"last_model": None}),
    "nul-in-a-path": json.dumps({"recent_models": ["/m\u0000.gguf"]}),
    "lone-surrogate": '{"remote_url": "http://\\ud800"}',
    "5-mb": json.dumps({"window_geometry": "00" * 2_500_000}),
}


@pytest.mark.parametrize("case", list(HOSTILE_SETTINGS))
def test_any_settings_file_gives_defaults_kept_aside_with_a_notice(tmp_path, case):
    path = tmp_path / "settings.json"
    content = HOSTILE_SETTINGS[case]
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    settings = load_settings(path)
    assert settings == Settings()
    assert "defaults are used" in settings.recovered_from and "kept as settings.broken-" in settings.recovered_from
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("settings.broken-")]
    assert kept.read_bytes() == (content if isinstance(content, bytes) else content.encode())


@pytest.mark.parametrize("case", ["100k-brackets", "last-conversation-2**70"])
def test_the_window_starts_whatever_the_settings_file_holds(windows, case):
    windows.settings_path.parent.mkdir(parents=True, exist_ok=True)
    windows.settings_path.write_text(HOSTILE_SETTINGS[case])
    window = windows.new()
    assert "defaults are used" in window.banner.label.text()
    assert window.session.conversation is not None and window.host.report is not None


def spoil_rows(path, conversation_id: int) -> None:
    """Values an older or hand-edited database may hold: wrong types, out of range, not JSON."""
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE conversations SET sampling = ? WHERE id = ?",
                   (json.dumps({"temperature": "hot", "seed": 2**64, "top_k": 20}), conversation_id))
        ids = [r[0] for r in db.execute("SELECT id FROM messages WHERE conversation_id = ? ORDER BY id",
                                        (conversation_id,))]
        spoiled = [json.dumps({"time_to_first_token": "x", "generated_tokens": 5}), "[1, 2]", "not json",
                   "[" * 100_000, json.dumps({"tokens_per_second": float("nan"), "prompt_tokens": -3})]
        for message_id, stats in zip(ids[1::2], spoiled):
            db.execute("UPDATE messages SET stats = ?, finish_reason = 'stop' WHERE id = ?", (stats, message_id))
    db.close()


def test_rows_of_the_wrong_type_read_back_as_defaults(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    conversation_id = seed(path, n=5)
    spoil_rows(path, conversation_id)
    store = ConversationStore(path)
    conversation = store.conversation(conversation_id)
    assert conversation.sampling == SamplingParams(top_k=20)  # the good setting kept, the bad ones default
    stats = [m.stats for m in store.messages(conversation_id)][1::2]
    assert stats[0] == ReplyStats(generated_tokens=5)
    assert stats[1:4] == [None, None, None]
    assert stats[4] == ReplyStats()
    assert store.conversation(2**70) is None and store.messages(2**70) == []
    store.close()


def test_the_window_starts_on_a_conversation_whose_rows_are_of_the_wrong_type(windows):
    windows.db_path.parent.mkdir(parents=True, exist_ok=True)
    conversation_id = seed(windows.db_path, n=5)
    spoil_rows(windows.db_path, conversation_id)
    window = windows.new()
    assert window.session.conversation.id == conversation_id
    assert len(window.chat_view.messages) == 10
    assert window.session.conversation.sampling.temperature == SamplingParams().temperature
