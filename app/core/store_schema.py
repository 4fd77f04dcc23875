"""The conversation database's schema, the settings of every connection to it, and how a file
written by an earlier version is brought up to date (in place, keeping everything)."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3  # 2: conversation ids are never reused (AUTOINCREMENT); 3: a reply's versions
LOCK_TIMEOUT_SECONDS = 5.0  # how long a write waits for another process's lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    created REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
-- Every version of a reply that was written more than once (Regenerate), the shown one included;
-- the message's own row holds the shown version's text, and `version` says which one it is.
CREATE TABLE IF NOT EXISTS message_versions (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    content TEXT NOT NULL,
    stats TEXT,
    finish_reason TEXT,
    created REAL NOT NULL,
    PRIMARY KEY (message_id, position)
);
"""


def connect(path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=LOCK_TIMEOUT_SECONDS)


def prepare(db: sqlite3.Connection) -> str:
    """Settings and schema of a freshly opened connection; returns the journal mode it got."""
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    _never_reuse_conversation_ids(db)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA wal_autocheckpoint=1")  # every commit reaches the database file itself
    _add_the_shown_version(db)
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    db.commit()
    return str(mode).lower()


def _never_reuse_conversation_ids(db: sqlite3.Connection) -> None:
    """Schema 1 let SQLite give a new conversation the id of the newest one deleted. Another KV Chat
    that still has that conversation open would then write into the new one; with AUTOINCREMENT
    an id is never given twice. SQLite's way to change a key: build the table again and swap it in
    (foreign keys off meanwhile, so the messages stay where they are)."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'conversations'").fetchone()
    if row is None or "AUTOINCREMENT" in row[0].upper():
        return
    db.executescript("""
        PRAGMA foreign_keys=OFF;
        BEGIN IMMEDIATE;
        CREATE TABLE conversations_v2 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            system_prompt TEXT NOT NULL DEFAULT '',
            sampling TEXT NOT NULL DEFAULT '{}',
            created REAL NOT NULL,
            updated REAL NOT NULL
        );
        INSERT INTO conversations_v2 (id, title, system_prompt, sampling, created, updated)
            SELECT id, title, system_prompt, sampling, created, updated FROM conversations;
        DROP TABLE conversations;
        ALTER TABLE conversations_v2 RENAME TO conversations;
        COMMIT;
    """)


def _add_the_shown_version(db: sqlite3.Connection) -> None:
    """Schema 2's messages have no `version` column: each of them is its one and only version (0)."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(messages)")]
    if columns and "version" not in columns:
        with db:
            db.execute("ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
