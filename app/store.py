"""Conversations and their messages in SQLite (WAL), each message committed as it completes.

A killed process loses nothing that was committed: WAL mode makes every commit durable
without holding the file locked between them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.engine.i18n import QT_TRANSLATE_NOOP, translate
from app.engine.records import ReplyStats, SamplingParams


SCHEMA_VERSION = 1
# Stored as is, in English, so that an untitled conversation is recognised in any language;
# Conversation.display_title shows it in the user's.
DEFAULT_TITLE = QT_TRANSLATE_NOOP("ConversationStore", "New conversation")
LOCK_TIMEOUT_SECONDS = 5.0  # how long a write waits for another process's lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    system_prompt TEXT NOT NULL DEFAULT '',
    sampling TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    stats TEXT,
    finish_reason TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""


class StoreError(Exception):
    """The conversation database cannot be opened or written; the message says why."""


class DamagedStoreError(StoreError):
    """The database file fails SQLite's integrity check."""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: str
    content: str
    stats: ReplyStats | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    system_prompt: str = ""
    sampling: SamplingParams = field(default_factory=SamplingParams)
    updated: float = 0.0

    @property
    def display_title(self) -> str:
        """The title as the list shows it: an untitled conversation's in the user's language."""
        return translate("ConversationStore", DEFAULT_TITLE) if self.title == DEFAULT_TITLE else self.title


def _sampling_from_json(text: str) -> SamplingParams:
    try:
        data = json.loads(text or "{}")
        known = {k: v for k, v in data.items() if k in SamplingParams.__dataclass_fields__}
        return SamplingParams(**known)
    except (ValueError, TypeError):
        return SamplingParams()


def _stats_from_json(text: str | None) -> ReplyStats | None:
    if not text:
        return None
    try:
        data = json.loads(text)
        return ReplyStats(**{k: v for k, v in data.items() if k in ReplyStats.__dataclass_fields__})
    except (ValueError, TypeError):
        return None


class ConversationStore:
    def __init__(self, path: Path | str):
        self.path = path if path == ":memory:" else Path(path)
        self.notice: str | None = None  # set by open_store when it had to recover
        try:
            if self.path != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=LOCK_TIMEOUT_SECONDS)
            if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                self._db.close()
                raise DamagedStoreError(translate(
                    "ConversationStore", "The conversation database {path} is damaged.").format(path=self.path))
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(translate(
                "ConversationStore", "The conversation database {path} cannot be opened: {error}").format(
                path=self.path, error=exc)) from exc

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, args=()) -> sqlite3.Cursor:
        try:
            with self._db:
                return self._db.execute(sql, args)
        except sqlite3.Error as exc:
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
        return [Conversation(r[0], r[1], r[2], _sampling_from_json(r[3]), r[4]) for r in rows]

    def conversation(self, conversation_id: int) -> Conversation | None:
        row = self._db.execute(
            "SELECT id, title, system_prompt, sampling, updated FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        return Conversation(row[0], row[1], row[2], _sampling_from_json(row[3]), row[4]) if row else None

    def rename(self, conversation_id: int, title: str) -> None:
        self._write("UPDATE conversations SET title = ? WHERE id = ?", (title.strip() or DEFAULT_TITLE, conversation_id))

    def update_settings(self, conversation_id: int, system_prompt: str, sampling: SamplingParams) -> None:
        self._write(
            "UPDATE conversations SET system_prompt = ?, sampling = ? WHERE id = ?",
            (system_prompt, json.dumps(asdict(sampling)), conversation_id),
        )

    def delete(self, conversation_id: int) -> None:
        self._write("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # -- messages ---------------------------------------------------------------------------

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        rows = self._db.execute(
            "SELECT id, role, content, stats, finish_reason FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        return [StoredMessage(r[0], r[1], r[2], _stats_from_json(r[3]), r[4]) for r in rows]

    def add_message(self, conversation_id: int, role: str, content: str,
                    stats: ReplyStats | None = None, finish_reason: str | None = None) -> StoredMessage:
        now = time.time()
        try:
            with self._db:
                cur = self._db.execute(
                    "INSERT INTO messages(conversation_id, role, content, stats, finish_reason, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (conversation_id, role, content, json.dumps(asdict(stats)) if stats else None, finish_reason, now),
                )
                self._db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        except sqlite3.Error as exc:
            raise StoreError(translate("ConversationStore", "Saving the message to {path} failed: {error}").format(
                path=self.path, error=exc)) from exc
        return StoredMessage(cur.lastrowid, role, content, stats, finish_reason)

    def truncate_from(self, conversation_id: int, message_id: int) -> None:
        """Delete a message and everything after it (edit and regenerate start from there)."""
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
