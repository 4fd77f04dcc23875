"""Hostile conversation files imported through File → Import: each is refused as a whole with the
reason (which message, which field), nothing is written, and big files import off the GUI thread
in one transaction, with progress."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading

import pytest
from PySide6.QtWidgets import QWidget

from app.core.conversation_io import ConversationFileError, from_store, read_conversation, write_conversation
from app.core.store import ConversationStore
from app.engine.records import ReplyStats
from app.ui.chat.conversation_files import ConversationFiles
from tests.ui.conftest import until

HANG_GUARD_MS = 120_000  # only so that a hang fails instead of blocking


def good_conversation() -> dict:
    return {
        "format": "kvchat-conversation", "version": 1, "title": "Hostile", "system_prompt": "Be brief.",
        "sampling": {"temperature": 0.5, "seed": 7},
        "messages": [
            {"role": "user", "content": "Hello?", "finish_reason": None, "stats": None},
            {"role": "assistant", "content": "Hi.", "finish_reason": "stop",
             "stats": {"prompt_tokens": 3, "generated_tokens": 2, "time_to_first_token": 0.1}},
            {"role": "user", "content": "And then?", "finish_reason": None, "stats": None},
        ],
    }


def changed(change) -> str:
    data = good_conversation()
    change(data)
    return json.dumps(data)  # ensure_ascii: a lone surrogate is written as a \ud800 escape, as in the wild


def set_message(index: int, key: str, value):
    return lambda data: data["messages"][index].__setitem__(key, value)


def set_stats(index: int, key: str, value):
    return lambda data: data["messages"][index]["stats"].__setitem__(key, value)


HOSTILE = {
    "version-string": (changed(lambda d: d.__setitem__("version", "2")), ["format version", "'2'"]),
    "version-null": (changed(lambda d: d.__setitem__("version", None)), ["format version", "None"]),
    "stats-list": (changed(set_message(1, "stats", [1, 2])), ["message 2, stats", "object"]),
    "stats-string": (changed(set_message(1, "stats", "fast")), ["message 2, stats", "object"]),
    "sampling-list": (changed(lambda d: d.__setitem__("sampling", [0.2])), ["sampling", "object"]),
    "deep-nesting": ('{"format": "kvchat-conversation", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
                     ["nests too deeply"]),
    "lone-surrogate-title": (changed(lambda d: d.__setitem__("title", "bad \ud800 title")), ["title", "Unicode"]),
    "lone-surrogate-message": (changed(set_message(2, "content", "bad \udc00 text")), ["message 3", "Unicode"]),
    "finish-reason-object": (changed(set_message(1, "finish_reason", {})), ["message 2", "finish_reason"]),
    "temperature-hot": (changed(lambda d: d["sampling"].__setitem__("temperature", "hot")),
                        ["sampling", "temperature", "'hot'"]),
    "seed-2**64": (changed(lambda d: d["sampling"].__setitem__("seed", 2**64)), ["sampling", "seed"]),
    "time-to-first-token-x": (changed(set_stats(1, "time_to_first_token", "x")),
                              ["message 2, stats", "time_to_first_token", "'x'"]),
    "content-null": (changed(set_message(0, "content", None)), ["message 1", "content", "None"]),
    "messages-object": (changed(lambda d: d.__setitem__("messages", {"a": 1})), ["messages", "list"]),
}


@pytest.fixture
def files(tmp_path, qtbot):
    """The real File → Import machinery over a real database file, its signals recorded."""
    parent = QWidget()
    qtbot.addWidget(parent)
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    files = ConversationFiles(store, parent)
    files.seen = {"imported": [], "error": []}
    files.sig_imported.connect(files.seen["imported"].append)
    files.sig_error.connect(files.seen["error"].append)
    yield files
    store.close()


def import_and_wait(files, qtbot, path) -> None:
    files.import_from(str(path))
    qtbot.waitUntil(lambda: bool(files.seen["imported"] or files.seen["error"]), timeout=HANG_GUARD_MS)


def rows(store, table: str) -> int:
    db = sqlite3.connect(store.path)
    try:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_with_the_reason_and_nothing_written(files, qtbot, tmp_path, case):
    text, says = HOSTILE[case]
    path = tmp_path / f"{case}.json"
    path.write_text(text, encoding="utf-8")
    import_and_wait(files, qtbot, path)
    (error,) = files.seen["error"]
    assert isinstance(error, ConversationFileError) and files.seen["imported"] == []
    message = str(error)
    assert message.startswith(f"{case}.json cannot be imported: ")
    for part in says:
        assert part in message
    assert rows(files.store, "conversations") == 0 and rows(files.store, "messages") == 0  # not even a part


def test_a_100_mb_message_is_refused_before_anything_is_written(files, qtbot, tmp_path):
    data = good_conversation()
    data["messages"][1]["content"] = "x" * 100_000_000  # more than any model's context holds
    path = tmp_path / "huge-message.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    import_and_wait(files, qtbot, path)
    (error,) = files.seen["error"]
    assert "message 2" in str(error) and "100,000,000 characters" in str(error)
    assert rows(files.store, "messages") == 0


def test_a_file_larger_than_any_conversation_is_not_even_read(files, qtbot, tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(200_000_000)  # sparse: nothing to read unless the importer tries
    import_and_wait(files, qtbot, path)
    (error,) = files.seen["error"]
    assert "200,000,000 bytes" in str(error)


def test_a_fifo_is_refused_without_blocking(files, qtbot, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # reading it would block forever
    import_and_wait(files, qtbot, fifo)
    assert "not a regular file" in str(files.seen["error"][0])


def test_a_store_that_fills_up_halfway_through_an_import_keeps_nothing_of_it(tmp_path):
    """A real fault in the middle of the write: the whole import is one transaction."""
    from app.core.conversation_io import into_store
    from app.core.store import StoreError

    store = ConversationStore(tmp_path / "conversations.sqlite3")
    data = good_conversation()
    data["messages"] = [{"role": "user", "content": f"message {i} " + "x" * 2000} for i in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    conversation = read_conversation(path)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages + 200}")  # room for a few hundred messages only
    with pytest.raises(StoreError, match="full"):
        into_store(store, conversation)
    store._db.execute("PRAGMA max_page_count=1073741823")
    assert store.conversations() == [] and rows(store, "messages") == 0
    store.close()


def test_a_reply_with_a_heading_like_line_comes_back_from_markdown_as_one_message(tmp_path):
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    c = store.create_conversation("Headings", "Answer in Markdown.\n## You\nis not a heading here")
    store.add_message(c.id, "user", "Show me a transcript.")
    store.add_message(c.id, "assistant", "Here:\n\n## You\nhello\n\n## Assistant\nhi\n\\## System\n## You   ")
    store.add_message(c.id, "user", "Thanks.")
    original = from_store(store, c.id)
    path = tmp_path / "chat.md"
    write_conversation(original, path)
    back = read_conversation(path)
    assert [(m.role, m.content) for m in back.messages] == [(m.role, m.content) for m in original.messages]
    assert back.system_prompt == original.system_prompt
    store.close()


def markdown_file(path, n: int) -> None:
    parts = ["# Long", ""]
    for i in range(n):
        parts += ["## You" if i % 2 == 0 else "## Assistant", "", f"message {i}", ""]
    path.write_text("\n".join(parts), encoding="utf-8")


def json_file(path, n: int) -> None:
    data = good_conversation()
    data["messages"] = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}",
                         "stats": None if i % 2 == 0 else {"generated_tokens": i}} for i in range(n)]
    path.write_text(json.dumps(data), encoding="utf-8")


class StatementLog:
    """Every SQL statement any connection runs, with the thread that ran it (sqlite3's trace hook)."""

    def __init__(self, monkeypatch):
        self.statements: list[tuple[str, str]] = []
        real_connect = sqlite3.connect

        def connect(*args, **kwargs):
            db = real_connect(*args, **kwargs)
            db.set_trace_callback(lambda sql: self.statements.append(
                (threading.current_thread().name, sql.split(None, 1)[0].upper())))
            return db

        monkeypatch.setattr(sqlite3, "connect", connect)

    def count(self, thread: str, verb: str) -> int:
        return sum(1 for t, v in self.statements if t == thread and v == verb)


@pytest.mark.parametrize("kind, n", [("md", 100_000), ("json", 200_000)])
def test_a_big_file_imports_off_the_gui_thread_in_one_transaction_with_progress(
        tmp_path, qtbot, monkeypatch, kind, n):
    from app.core.store import IMPORT_BATCH

    statements = StatementLog(monkeypatch)
    parent = QWidget()
    qtbot.addWidget(parent)
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    files = ConversationFiles(store, parent)
    imported, errors, progress, notes = [], [], [], []
    files.sig_imported.connect(imported.append)
    files.sig_error.connect(errors.append)
    files.sig_progress.connect(lambda done, total: progress.append((done, total)))
    files.sig_done.connect(notes.append)
    path = tmp_path / f"long.{kind}"
    (markdown_file if kind == "md" else json_file)(path, n)
    before = len(statements.statements)
    files.import_from(str(path))
    assert imported == [] and statements.count("MainThread", "INSERT") == 0  # the GUI thread went on at once
    qtbot.waitUntil(lambda: bool(imported or errors), timeout=HANG_GUARD_MS)
    assert errors == []
    during = statements.statements[before:]
    assert not [v for t, v in during if t == "MainThread" and v in ("INSERT", "COMMIT", "BEGIN")]
    assert statements.count("kvchat-import", "INSERT") == n + 1  # the conversation and each message
    assert statements.count("kvchat-import", "COMMIT") == 1
    assert len(progress) == math.ceil(n / IMPORT_BATCH) and progress[-1] == (n, n)
    assert f"Importing long.{kind}: {n:,} of {n:,} messages…" in notes and notes[-1] == f"Imported long.{kind}"
    messages = store.messages(imported[0])
    assert len(messages) == n and messages[-1].content == f"message {n - 1}"
    if kind == "json":
        assert messages[1].stats == ReplyStats(generated_tokens=1)
    store.close()


def test_an_in_memory_store_imports_on_the_gui_thread_in_one_transaction(tmp_path, qtbot, monkeypatch):
    statements = StatementLog(monkeypatch)
    parent = QWidget()
    qtbot.addWidget(parent)
    store = ConversationStore(":memory:")
    files = ConversationFiles(store, parent)
    imported = []
    files.sig_imported.connect(imported.append)
    path = tmp_path / "chat.md"
    markdown_file(path, 2_500)
    before = len(statements.statements)
    files.import_from(str(path))
    assert len(imported) == 1 and len(store.messages(imported[0])) == 2_500
    assert [v for _, v in statements.statements[before:]].count("COMMIT") == 1


def test_the_window_shows_why_a_file_was_refused_and_opens_a_good_one(window, loop, tmp_path):
    bad = tmp_path / "stats_bad_types.json"
    bad.write_text(changed(set_stats(1, "time_to_first_token", "x")), encoding="utf-8")
    before = len(window.store.conversations())
    window.files.import_from(str(bad))
    loop.run_until_complete(until(lambda: window.banner.isVisible(), what="the refusal"))
    text = window.banner.label.text()
    assert "stats_bad_types.json cannot be imported" in text and "time_to_first_token" in text
    assert len(window.store.conversations()) == before
    good = tmp_path / "good.json"
    good.write_text(changed(lambda d: None), encoding="utf-8")
    window.files.import_from(str(good))
    loop.run_until_complete(until(lambda: window.session.conversation.title == "Hostile", what="the import"))
    assert [m.content for m in window.session.messages] == ["Hello?", "Hi.", "And then?"]
    assert window.session.conversation.sampling.temperature == 0.5
