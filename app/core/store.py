"""Conversations and their messages in SQLite (WAL), each message committed as it completes.

A killed process loses nothing that was committed: WAL mode makes every commit durable without
holding the file locked between them, and every commit is checkpointed into the database file, so
even a deleted log loses nothing. Before each write the store checks that the file at its path (and
its log) is still the one it opened; if not, it saves everything it holds again and says where
(app/core/store_file.py). Rows are read back defensively: a damaged value becomes its default.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from app.core.store_file import FileChangedError, StoreFile
from app.core.store_rows import (  # the row types are the store's API: imported from here elsewhere
    DEFAULT_TITLE,
    MESSAGE_COLUMNS,
    Conversation,
    ReplyVersion,
    StoredMessage,
    conversation_from_row,
    message_from_row,
    stats_json,
    version_from_row,
)
from app.core.store_schema import connect as _connect
from app.core.store_schema import prepare as _prepare
from app.engine.records import ReplyStats, SamplingParams
from app.i18n import translate

IMPORT_BATCH = 1000  # messages per executemany in an import; progress is reported after each

_log = logging.getLogger(__name__)


class StoreError(Exception):
    """The conversation database cannot be opened or written; the message says why."""


class DamagedStoreError(StoreError):
    """The database file fails SQLite's integrity check."""


class ConversationGoneError(StoreError):
    """The conversation was deleted (perhaps by another KV Chat) while it was open here."""

    def __init__(self, message: str | None = None):
        super().__init__(message or translate(
            "ConversationStore",
            "This conversation no longer exists (it was deleted, perhaps in another KV Chat window)."))


def _is_row_id(value) -> bool:
    """An id SQLite can hold: anything else (a settings file's 2**70) names no row."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


_INSERT_MESSAGE = ("INSERT INTO messages(conversation_id, role, content, stats, finish_reason, created) "
                   "VALUES (?, ?, ?, ?, ?, ?)")


class ConversationStore:
    def __init__(self, path: Path | str):
        self.path = path if path == ":memory:" else Path(path)
        self.notice: str | None = None  # set by open_store when it had to recover, and by a recovery later
        self.on_notice: Callable[[str], None] | None = None  # told at once when a recovery happens
        self._file: StoreFile | None = None
        try:
            if self.path != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _connect(self.path)
            if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                self._db.close()
                raise DamagedStoreError(translate(
                    "ConversationStore", "The conversation database {path} is damaged.").format(path=self.path))
            mode = _prepare(self._db)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(translate(
                "ConversationStore", "The conversation database {path} cannot be opened: {error}").format(
                path=self.path, error=exc)) from exc
        if self.path != ":memory:":
            self._file = StoreFile(self.path, mode == "wal", _connect, _prepare)

    @classmethod
    def attached(cls, path: Path, identity) -> ConversationStore:
        """A second connection to a store's file, for another thread (an import). It refuses to write if
        the file is no longer the one `identity` (the first store's `file_identity`) describes."""
        store = cls.__new__(cls)
        store.path, store.notice, store.on_notice = Path(path), None, None
        try:
            store._db = _connect(path)
            store._db.execute("PRAGMA foreign_keys=ON")
            store._db.execute("PRAGMA wal_autocheckpoint=1")
        except sqlite3.Error as exc:
            raise StoreError(translate(
                "ConversationStore", "The conversation database {path} cannot be opened: {error}").format(
                path=path, error=exc)) from exc
        store._file = StoreFile.attached(store.path, identity)
        return store

    @property
    def in_memory(self) -> bool:
        return self.path == ":memory:"

    @property
    def file_identity(self):
        """Which file (and log) this store writes to, as plain data another thread can compare."""
        return self._file.identity if self._file is not None else None

    def check_file(self) -> None:
        """Make sure writes reach a file at a path the user knows (app/core/store_file.py); done before each write."""
        if self._file is None:
            return
        try:
            recovered = self._file.check(self._db)
        except FileChangedError as exc:
            raise StoreError(str(exc)) from exc
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(translate("ConversationStore", "Saving to {path} failed: {error}").format(
                path=self.path, error=exc)) from exc
        if recovered is not None:
            self._db, self.path = recovered.db, recovered.path
            self._tell(recovered.notice)

    def _tell(self, text: str) -> None:
        self.notice = text
        _log.warning("%s", text)  # the command line hears it too
        if self.on_notice is not None:
            self.on_notice(text)

    def close(self) -> None:
        if self._file is not None and self._file.recovers:
            try:
                self.check_file()  # a database deleted meanwhile is written again before its last copy goes
            except StoreError as exc:
                _log.error("closing the conversation database: %s", exc)
        self._db.close()

    def _write(self, sql: str, args=()) -> sqlite3.Cursor:
        self.check_file()
        try:
            with self._db:
                return self._db.execute(sql, args)
        except (sqlite3.Error, ValueError, OverflowError) as exc:  # ValueError: text SQLite cannot store
            raise StoreError(translate("ConversationStore", "Saving to {path} failed: {error}").format(
                path=self.path, error=exc)) from exc

    # -- conversations ----------------------------------------------------------------------

    def create_conversation(self, title: str = DEFAULT_TITLE, system_prompt: str = "",
                            sampling: SamplingParams | None = None) -> Conversation:
        now = time.time()
        sampling = sampling or SamplingParams()
        cur = self._write(
            "INSERT INTO conversations(title, system_prompt, sampling, created, updated) VALUES (?, ?, ?, ?, ?)",
            (title, system_prompt, json.dumps(asdict(sampling)), now, now),
        )
        return Conversation(cur.lastrowid, title, system_prompt, sampling, now)

    def conversations(self, search: str = "") -> list[Conversation]:
        rows = self._db.execute(
            "SELECT id, title, system_prompt, sampling, updated FROM conversations "
            "WHERE title LIKE ? ESCAPE '\\' ORDER BY updated DESC, id DESC",
            ("%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
        ).fetchall()
        return [conversation_from_row(r) for r in rows]

    def conversation(self, conversation_id: int) -> Conversation | None:
        if not _is_row_id(conversation_id):
            return None
        row = self._db.execute(
            "SELECT id, title, system_prompt, sampling, updated FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        return conversation_from_row(row) if row else None

    def rename(self, conversation_id: int, title: str) -> None:
        if _is_row_id(conversation_id):
            self._write("UPDATE conversations SET title = ? WHERE id = ?",
                        (title.strip() or DEFAULT_TITLE, conversation_id))

    def update_settings(self, conversation_id: int, system_prompt: str, sampling: SamplingParams) -> None:
        if _is_row_id(conversation_id):
            self._write("UPDATE conversations SET system_prompt = ?, sampling = ? WHERE id = ?",
                        (system_prompt, json.dumps(asdict(sampling)), conversation_id))

    def delete(self, conversation_id: int) -> None:
        if _is_row_id(conversation_id):
            self._write("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def import_conversation(self, title: str, system_prompt: str, sampling: SamplingParams,
                            messages: Sequence[tuple], progress: Callable[[int, int], None] | None = None) -> int:
        """A new conversation with all its messages in ONE transaction: all of it is saved, or nothing.
        A message is (role, content, stats, finish_reason), or with (version, versions) after it: a reply
        written more than once, every ReplyVersion and which one is shown.
        `progress(written, total)` is called after each batch of IMPORT_BATCH messages."""
        self.check_file()
        now = time.time()
        total = len(messages)
        try:
            with self._db:
                cur = self._db.execute(
                    "INSERT INTO conversations(title, system_prompt, sampling, created, updated) "
                    "VALUES (?, ?, ?, ?, ?)", (title, system_prompt, json.dumps(asdict(sampling)), now, now))
                conversation_id = cur.lastrowid
                for start in range(0, total, IMPORT_BATCH):
                    batch = messages[start:start + IMPORT_BATCH]
                    self._insert_messages(conversation_id, batch, now)
                    if progress is not None:
                        progress(start + len(batch), total)
        except (sqlite3.Error, ValueError, OverflowError) as exc:
            raise StoreError(translate("ConversationStore", "Saving to {path} failed: {error}").format(
                path=self.path, error=exc)) from exc
        return conversation_id

    def _insert_messages(self, conversation_id: int, batch: Sequence[tuple], now: float) -> None:
        """One batch of an import, in order: plain messages many at a time, a reply with versions on its own."""
        plain: list[tuple] = []
        for message in batch:
            role, content, stats, finish = message[:4]
            if len(message) < 6 or len(message[5]) < 2:
                plain.append((conversation_id, role, content, stats_json(stats), finish, now))
                continue
            self._db.executemany(_INSERT_MESSAGE, plain)
            plain = []
            version, versions = message[4], message[5]
            cur = self._db.execute(
                "INSERT INTO messages(conversation_id, role, content, stats, finish_reason, created, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, role, content, stats_json(stats), finish, now, version))
            self._db.executemany(
                "INSERT INTO message_versions(message_id, position, content, stats, finish_reason, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(cur.lastrowid, position, v.content, stats_json(v.stats), v.finish_reason, now)
                 for position, v in enumerate(versions)])
        self._db.executemany(_INSERT_MESSAGE, plain)

    # -- messages ---------------------------------------------------------------------------

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        if not _is_row_id(conversation_id):
            return []
        rows = self._db.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ? ORDER BY m.id",
            (conversation_id,),
        ).fetchall()
        return [message_from_row(r) for r in rows]

    def message(self, message_id: int) -> StoredMessage | None:
        if not _is_row_id(message_id):
            return None
        row = self._db.execute(f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?", (message_id,)).fetchone()
        return message_from_row(row) if row else None

    def versions(self, message_id: int) -> list[ReplyVersion]:
        """Every version of a reply in the order they were written (one, its own text, if it was written once)."""
        if not _is_row_id(message_id):
            return []
        rows = self._db.execute("SELECT content, stats, finish_reason FROM message_versions WHERE message_id = ? "
                                "ORDER BY position", (message_id,)).fetchall()
        if rows:
            return [version_from_row(r) for r in rows]
        message = self.message(message_id)
        return [ReplyVersion(message.content, message.stats, message.finish_reason)] if message else []

    def add_version(self, message_id: int, content: str, stats: ReplyStats | None = None,
                    finish_reason: str | None = None) -> StoredMessage:
        """A new version of a reply (a regenerate), kept after the earlier ones and shown from now on.
        ConversationGoneError when the message is no longer stored."""
        message = self.message(message_id)
        if message is None:
            raise ConversationGoneError()
        self.check_file()
        now = time.time()
        try:
            with self._db:
                if message.versions == 1:  # the first regenerate: the reply so far becomes version 0
                    self._db.execute(
                        "INSERT OR IGNORE INTO message_versions(message_id, position, content, stats, finish_reason, "
                        "created) SELECT id, 0, content, stats, finish_reason, created FROM messages WHERE id = ?",
                        (message_id,))
                position = self._db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM message_versions "
                                            "WHERE message_id = ?", (message_id,)).fetchone()[0]
                saved_stats = stats_json(stats)
                self._db.execute(
                    "INSERT INTO message_versions(message_id, position, content, stats, finish_reason, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (message_id, position, content, saved_stats, finish_reason, now))
                self._db.execute("UPDATE messages SET content = ?, stats = ?, finish_reason = ?, version = ? "
                                 "WHERE id = ?", (content, saved_stats, finish_reason, position, message_id))
                self._db.execute("UPDATE conversations SET updated = ? WHERE id = "
                                 "(SELECT conversation_id FROM messages WHERE id = ?)", (now, message_id))
        except (sqlite3.Error, ValueError, OverflowError) as exc:
            raise self._saving_failed(exc) from exc
        return replace(message, content=content, stats=stats, finish_reason=finish_reason, version=position,
                       versions=position + 1)

    def show_version(self, message_id: int, version: int) -> StoredMessage | None:
        """Make version `version` of a reply the one shown, the one the conversation goes on from.
        None when the message or that version is not stored."""
        if not (_is_row_id(message_id) and _is_row_id(version)):
            return None
        self._write("UPDATE messages SET (content, stats, finish_reason, version) = "
                    "(SELECT content, stats, finish_reason, position FROM message_versions "
                    " WHERE message_id = ? AND position = ?) "
                    "WHERE id = ? AND EXISTS (SELECT 1 FROM message_versions WHERE message_id = ? AND position = ?)",
                    (message_id, version, message_id, message_id, version))
        message = self.message(message_id)
        return message if message is not None and message.version == version else None

    def add_message(self, conversation_id: int, role: str, content: str,
                    stats: ReplyStats | None = None, finish_reason: str | None = None) -> StoredMessage:
        if not _is_row_id(conversation_id):
            raise ConversationGoneError()
        self.check_file()
        now = time.time()
        try:
            with self._db:
                cur = self._db.execute(
                    "INSERT INTO messages(conversation_id, role, content, stats, finish_reason, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (conversation_id, role, content, stats_json(stats), finish_reason, now),
                )
                self._db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        except sqlite3.IntegrityError as exc:
            if self.conversation(conversation_id) is None:
                raise ConversationGoneError() from exc
            raise self._saving_failed(exc) from exc
        except (sqlite3.Error, ValueError, OverflowError) as exc:
            raise self._saving_failed(exc) from exc
        return StoredMessage(cur.lastrowid, role, content, stats, finish_reason)

    def _saving_failed(self, exc: BaseException) -> StoreError:
        return StoreError(translate("ConversationStore", "Saving the message to {path} failed: {error}").format(
            path=self.path, error=exc))

    def truncate_from(self, conversation_id: int, message_id: int) -> None:
        """Delete a message and everything after it (edit and regenerate start from there)."""
        if _is_row_id(conversation_id) and _is_row_id(message_id):
            self._write("DELETE FROM messages WHERE conversation_id = ? AND id >= ?", (conversation_id, message_id))


def _is_damaged(error: BaseException) -> bool:
    if isinstance(error, DamagedStoreError):
        return True
    text = str(error).lower()  # SQLite's own words, in English
    return "not a database" in text or "malformed" in text


def open_store(path: Path) -> ConversationStore:
    """The conversation store at `path`, recovering rather than failing (`store.notice` says how):

    * a damaged file is kept aside, never deleted, and a new one started;
    * a folder that cannot be written, or a file another program holds, gives a store in memory:
      this session's conversations work but are not saved, and the notice says so.
    """
    try:
        return ConversationStore(path)
    except StoreError as exc:
        cause = exc.__cause__ or exc
        if _is_damaged(cause):
            aside = path.with_name(f"{path.stem}.broken-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
            try:
                os.replace(path, aside)
                for suffix in ("-wal", "-shm"):
                    side = Path(str(path) + suffix)
                    if side.exists():
                        os.replace(side, Path(str(aside) + suffix))
                store = ConversationStore(path)
                store.notice = translate(
                    "ConversationStore",
                    "The conversation database was damaged. It was kept as {name} and a new one was started.",
                ).format(name=aside.name)
                return store
            except (OSError, StoreError):
                pass
        store = ConversationStore(":memory:")
        store.notice = translate(
            "ConversationStore",
            "Conversations cannot be saved ({reason}). This window keeps them until it closes; "
            "check that {folder} is writable and that no other KV Chat uses it.",
        ).format(reason=cause, folder=path.parent)
        return store
