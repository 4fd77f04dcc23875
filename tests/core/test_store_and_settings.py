"""The SQLite conversation store and the JSON settings file, on real files."""

import json
import sqlite3
from dataclasses import fields

import pytest

from app.core.record_fields import (
    _STATS_RULES,
    RecordFieldError,
    read_sampling,
    read_stats,
    sampling_or_defaults,
    stats_or_none,
)
from app.core.settings import MAX_KEPT_MIB, Settings, load_settings, save_settings
from app.core.store import IMPORT_BATCH, ConversationGoneError, ConversationStore, StoreError
from app.core.store_schema import SCHEMA_VERSION
from app.engine.config import LoadConfig
from app.engine.history_fit import OVERFLOW_POLICIES
from app.engine.kept.caches import DEFAULT_DISK_BUDGET, DEFAULT_RAM_BUDGET
from app.engine.records import ReplyStats, SamplingParams
from app.engine.sampling_check import SamplingError, check_sampling


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


def test_gpu_settings_are_remembered_per_model(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.remember_load(LoadConfig("/m/a.gguf", gpu_layers=17, kv_offload=False, split_mode="none"))
    settings.remember_load(LoadConfig("/m/b.gguf", gpu_layers="all"))
    save_settings(settings, path)
    loaded = load_settings(path)
    a = loaded.for_model("/m/a.gguf").load_config("/m/a.gguf")
    assert (a.gpu_layers, a.kv_offload, a.split_mode) == (17, False, "none")
    assert loaded.for_model("/m/b.gguf").load_config("/m/b.gguf").gpu_layers == "all"
    assert loaded.for_model("/m/new.gguf").load_config("/m/new.gguf").gpu_layers == "auto"


@pytest.mark.parametrize("model", [{"gpu_layers": 12}, {"gpu_layers": "lots"}, {"gpu_layers": "99999"},
                                   {"gpu_layers": "-3"}, {"kv_offload": "yes"}, {"split_mode": "rows"},
                                   {"main_gpu": -1}, {"main_gpu": 10**6}])
def test_impossible_gpu_settings_are_refused_as_a_whole(tmp_path, model):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"models": {"/m/a.gguf": model}}))
    settings = load_settings(path)
    assert settings == Settings() and "defaults are used" in settings.recovered_from


def test_look_language_and_server_are_remembered(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(Settings(theme="dark", language="zh_CN", remote_url="http://10.0.0.2:8080"), path)
    loaded = load_settings(path)
    assert (loaded.theme, loaded.language, loaded.remote_url) == ("dark", "zh_CN", "http://10.0.0.2:8080")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", json.dumps({"models": {"/m": {"n_ctx": "x", "bad": 1}}}),
                                     json.dumps({"last_conversation": "seven"}), json.dumps({"theme": "purple"}),
                                     json.dumps({"language": "klingon"}), json.dumps({"kept_ram_mib": -1}),
                                     json.dumps({"kept_disk_mib": "4096"}), json.dumps({"kept_ram_mib": True}),
                                     json.dumps({"kept_disk_mib": 2048.5}), json.dumps({"kept_disk_mib": 10**12})])
def test_a_broken_settings_file_is_kept_aside_and_defaults_used(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_text(content)
    settings = load_settings(path)
    assert settings == Settings()
    assert "defaults are used" in settings.recovered_from
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("settings.broken-")]
    assert len(kept) == 1 and kept[0].read_text() == content
    assert not path.exists()


def test_kept_cache_budgets_default_to_the_engines_and_zero_keeps_none(tmp_path):
    path = tmp_path / "settings.json"
    defaults = Settings()
    assert defaults.kept_budgets() == (DEFAULT_RAM_BUDGET, DEFAULT_DISK_BUDGET)
    path.write_text(json.dumps({"theme": "dark"}))  # a file from before the budgets existed
    assert load_settings(path).kept_budgets() == (DEFAULT_RAM_BUDGET, DEFAULT_DISK_BUDGET)
    save_settings(Settings(kept_ram_mib=0, kept_disk_mib=MAX_KEPT_MIB), path)
    loaded = load_settings(path)
    assert (loaded.kept_ram_mib, loaded.kept_disk_mib) == (0, MAX_KEPT_MIB) and loaded.recovered_from is None
    assert loaded.kept_budgets() == (0, MAX_KEPT_MIB * 1024 * 1024)


def test_an_import_is_one_transaction_with_progress_per_batch(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    n = 2 * IMPORT_BATCH + 1
    rows = [("user", f"m{i}", ReplyStats(generated_tokens=i) if i % 2 else None, "stop" if i % 2 else None)
            for i in range(n)]
    commits, progress = [], []
    store._db.set_trace_callback(lambda sql: sql.startswith("COMMIT") and commits.append(sql))
    new_id = store.import_conversation("Imported", "sys", SamplingParams(seed=4), rows,
                                       lambda done, total: progress.append((done, total)))
    assert len(commits) == 1
    assert progress == [(IMPORT_BATCH, n), (2 * IMPORT_BATCH, n), (n, n)]
    messages = store.messages(new_id)
    assert [(m.role, m.content, m.stats, m.finish_reason) for m in messages] == rows
    assert store.conversation(new_id).sampling == SamplingParams(seed=4)


def test_a_failure_inside_an_import_leaves_nothing(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    rows = [("user", f"m{i}", None, None) for i in range(3 * IMPORT_BATCH)]

    def interrupted(done, total):
        if done > IMPORT_BATCH:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        store.import_conversation("Half", "", SamplingParams(), rows, interrupted)
    assert store.conversations() == []


def test_text_sqlite_cannot_store_is_a_store_error(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create_conversation()
    with pytest.raises(StoreError, match="failed"):
        store.add_message(conversation.id, "user", "a lone \ud800 surrogate")
    with pytest.raises(StoreError, match="failed"):
        store.rename(conversation.id, "\udfff")
    assert store.messages(conversation.id) == []


def test_a_message_for_a_deleted_conversation_is_a_typed_error(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create_conversation()
    store.delete(conversation.id)
    with pytest.raises(ConversationGoneError, match="no longer exists"):
        store.add_message(conversation.id, "user", "hello")
    with pytest.raises(ConversationGoneError):
        store.add_message(2**70, "user", "hello")


def test_every_reply_statistic_has_a_rule():
    assert set(_STATS_RULES) == {f.name for f in fields(ReplyStats)}


@pytest.mark.parametrize("name, value", [("temperature", "hot"), ("seed", 2**64), ("seed", 2**32), ("top_p", 2.0),
                                         ("max_tokens", 0), ("temperature", float("nan")), ("top_k", True)])
def test_a_sampling_setting_the_engine_refuses_is_refused_on_import_and_defaulted_from_the_database(name, value):
    with pytest.raises(SamplingError):
        check_sampling(SamplingParams(**{name: value}))
    with pytest.raises(RecordFieldError, match=name):
        read_sampling({name: value})
    assert sampling_or_defaults({name: value, "top_k": 7}) == SamplingParams(top_k=7)


def test_reply_statistics_are_checked_field_by_field():
    assert read_stats({"time_to_first_token": 1, "type_k": "q8_0", "unknown": "ignored"}) == ReplyStats(
        time_to_first_token=1.0, type_k="q8_0")
    for bad in ({"generated_tokens": 1.5}, {"seed": -1}, {"tokens_per_second": float("inf")}, {"type_v": 5},
                {"cached_tokens": 2**63}, {"time_to_first_token": 10**400}, {"prompt_tokens_per_second": -0.5},
                {"tokens_per_second": float("nan")}):
        with pytest.raises(RecordFieldError):
            read_stats(bad)
        assert stats_or_none(bad) == ReplyStats()
    assert stats_or_none([1]) is None and stats_or_none("x") is None


def test_a_settings_file_the_app_wrote_is_read_back_unchanged(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings(last_conversation=12, window_geometry="01d9d0cb", remote_url="http://127.0.0.1:8080",
                        overflow_policy=OVERFLOW_POLICIES[-1], kept_ram_mib=256, kept_disk_mib=0)
    settings.remember_load(LoadConfig("/m/模型 a.gguf", n_ctx=32768, type_k="q4_0", type_v="iq4_nl",
                                      flash_attn="on", compact_window=True))
    save_settings(settings, path)
    assert load_settings(path) == settings


def test_a_conversation_id_is_never_given_twice(tmp_path):
    """Another KV Chat with a deleted conversation still open must never write into a newer one."""
    store = ConversationStore(tmp_path / "c.sqlite3")
    first = store.create_conversation("first")
    newest = store.create_conversation("newest")
    store.delete(newest.id)
    assert store.create_conversation("next").id > newest.id > first.id


def test_a_database_of_the_first_schema_keeps_everything_and_stops_reusing_ids(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # schema 1, as the first release wrote it
        db.executescript("""
            CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL,
                system_prompt TEXT NOT NULL DEFAULT '', sampling TEXT NOT NULL DEFAULT '{}',
                created REAL NOT NULL, updated REAL NOT NULL);
            CREATE TABLE messages (id INTEGER PRIMARY KEY,
                conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                role TEXT NOT NULL, content TEXT NOT NULL, stats TEXT, finish_reason TEXT, created REAL NOT NULL);
            INSERT INTO conversations VALUES (1, 'kept', 'be brief', '{}', 1, 1), (2, 'newest', '', '{}', 2, 2);
            INSERT INTO messages VALUES (1, 1, 'user', 'hello', NULL, NULL, 1), (2, 2, 'user', 'bye', NULL, NULL, 2);
            PRAGMA user_version=1;
        """)
    store = ConversationStore(path)
    assert [(c.id, c.title) for c in store.conversations()] == [(2, "newest"), (1, "kept")]
    assert [m.content for m in store.messages(1)] == ["hello"]
    store.delete(2)  # the cascade still works
    assert store._db.execute("SELECT COUNT(*) FROM messages WHERE conversation_id = 2").fetchone()[0] == 0
    assert store.create_conversation("new").id == 3
    assert store._db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # and on through the later ones
    assert [(m.version, m.versions) for m in store.messages(1)] == [(0, 1)]
