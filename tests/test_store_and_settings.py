"""The SQLite conversation store and the JSON settings file, on real files."""

import json
import sqlite3

import pytest

from app.engine.config import LoadConfig
from app.engine.records import ReplyStats, SamplingParams
from app.settings import Settings, load_settings, save_settings
from app.store import ConversationStore, StoreError


def test_conversations_and_messages_round_trip(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    a = store.create_conversation("Alpha", "Be brief.", SamplingParams(temperature=0.7, seed=3))
    b = store.create_conversation("Beta")
    store.add_message(a.id, "user", "hi")
    stats = ReplyStats(prompt_tokens=5, generated_tokens=2, tokens_per_second=40.0, type_k="q8_0", type_v="q4_0")
    store.add_message(a.id, "assistant", "hello", stats, "stop")
    store.close()

    store = ConversationStore(tmp_path / "c.sqlite3")
    assert [c.title for c in store.conversations()] == ["Alpha", "Beta"]  # most recently used first
    alpha = store.conversation(a.id)
    assert alpha.system_prompt == "Be brief." and alpha.sampling == SamplingParams(temperature=0.7, seed=3)
    messages = store.messages(a.id)
    assert [(m.role, m.content) for m in messages] == [("user", "hi"), ("assistant", "hello")]
    assert messages[1].stats == stats and messages[1].finish_reason == "stop"
    assert store.conversations("bet")[0].id == b.id
    assert store.conversations("100%") == []  # LIKE wildcards in a search are literal
    store.truncate_from(a.id, messages[1].id)
    assert len(store.messages(a.id)) == 1
    store.delete(a.id)
    assert store.conversation(a.id) is None and store.messages(a.id) == []


def test_the_store_uses_write_ahead_logging(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_a_database_that_is_not_one_is_a_clear_error(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        ConversationStore(path)


def test_settings_round_trip_per_model(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.remember_load(LoadConfig("/m/a.gguf", n_ctx=2048, type_k="q8_0", type_v="q4_0"))
    settings.remember_load(LoadConfig("/m/b.gguf", compact_window=True))
    save_settings(settings, path)
    loaded = load_settings(path)
    assert loaded.last_model == "/m/b.gguf" and loaded.recent_models == ["/m/b.gguf", "/m/a.gguf"]
    assert loaded.for_model("/m/a.gguf").load_config("/m/a.gguf") == LoadConfig("/m/a.gguf", 2048, "q8_0", "q4_0")
    assert loaded.for_model("/m/b.gguf").compact_window
    assert loaded.for_model("/m/unknown.gguf").type_k == "f16"


def test_look_language_and_server_are_remembered(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(Settings(theme="dark", language="zh_CN", remote_url="http://10.0.0.2:8080"), path)
    loaded = load_settings(path)
    assert (loaded.theme, loaded.language, loaded.remote_url) == ("dark", "zh_CN", "http://10.0.0.2:8080")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", json.dumps({"models": {"/m": {"n_ctx": "x", "bad": 1}}}),
                                     json.dumps({"last_conversation": "seven"}), json.dumps({"theme": "purple"}),
                                     json.dumps({"language": "klingon"})])
def test_a_broken_settings_file_is_kept_aside_and_defaults_used(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_text(content)
    settings = load_settings(path)
    assert settings == Settings()
    assert "defaults are used" in settings.recovered_from
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("settings.broken-")]
    assert len(kept) == 1 and kept[0].read_text() == content
    assert not path.exists()
