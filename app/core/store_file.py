"""The file under a conversation store: is it still the one the store opened? If not, save again.

The store keeps one SQLite connection open all session. If the file at its path is deleted or
replaced (by a folder, by another file), or its write-ahead log is removed, that connection still
reads everything, but its writes go into a file nobody can reach any more: gone when the app exits.
So before each write the store compares (st_dev, st_ino) of the path, and of its log, with those
it opened, and when they differ:

* only the log is gone: everything is checkpointed into the database file, which is reopened;
* the database file is gone: everything is copied (sqlite3's backup, from the still-open
  connection) into a new file at the same path;
* something else is at the path: the copy goes next to it, and the notice says where;
* nothing can be written: the session goes on in the open connection, and the notice says so.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.i18n import translate

_log = logging.getLogger(__name__)

Identity = tuple[int, int]  # (st_dev, st_ino)


class FileChangedError(Exception):
    """A second connection's file is no longer the one the first store opened; nothing was written."""


@dataclass(frozen=True)
class Recovered:
    """What the store goes on with after the file under it changed."""

    db: sqlite3.Connection
    path: Path
    notice: str


def identity_of(path: Path) -> Identity | None:
    """The regular file at `path`, or None when there is none (gone, a folder, a broken link)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(path):
        return None
    return (info.st_dev, info.st_ino)


def log_path(path: Path) -> Path:
    return Path(str(path) + "-wal")


class StoreFile:
    def __init__(self, path: Path, with_log: bool, connect: Callable[[Path], sqlite3.Connection],
                 prepare: Callable[[sqlite3.Connection], str]):
        self.path = Path(path)
        self._connect, self._prepare = connect, prepare
        self.recovers = True
        self.identity: tuple[Identity | None, Identity | None] | None = self._measure(with_log)

    @classmethod
    def attached(cls, path: Path, identity) -> StoreFile:
        """For a second connection to the first store's file: it never recovers, it refuses."""
        file = cls.__new__(cls)
        file.path, file._connect, file._prepare = Path(path), None, None
        file.recovers = False
        file.identity = identity
        return file

    def _measure(self, with_log: bool):
        log = identity_of(log_path(self.path)) if with_log else None
        return (identity_of(self.path), log)

    def changed(self) -> bool:
        if self.identity is None:  # the session is no longer saved: nothing to compare
            return False
        db_then, log_then = self.identity
        log_now = identity_of(log_path(self.path)) if log_then is not None else None
        return (identity_of(self.path), log_now) != (db_then, log_then)

    def check(self, db: sqlite3.Connection) -> Recovered | None:
        """None when the file is the one opened; else what the store goes on with (and the notice)."""
        if not self.changed():
            return None
        if not self.recovers:
            raise FileChangedError(translate(
                "ConversationStore",
                "The conversation database {path} is no longer the file KV Chat opened, so nothing was written. "
                "Try again.").format(path=self.path))
        if identity_of(self.path) == self.identity[0]:
            recovered = self._write_log_back(db)
            if recovered is not None:
                return recovered
        return self._save_again(db, path_free=not os.path.lexists(self.path))

    def _write_log_back(self, db: sqlite3.Connection) -> Recovered | None:
        """The log was removed: the open connection still reads it, so checkpoint it all into the file."""
        try:
            busy, frames, done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            _log.warning("checkpointing %s after its log was removed failed: %s", self.path, exc)
            return None
        if busy or frames != done:  # another program reads an older state: keep a full copy instead
            return None
        db.close()
        return Recovered(self._reopen(self.path), self.path, translate(
            "ConversationStore",
            "The log file of the conversation database ({log}) was deleted while KV Chat was running. "
            "Everything was written back into {path}; nothing was lost.").format(
            log=log_path(self.path).name, path=self.path))

    def _save_again(self, db: sqlite3.Connection, path_free: bool) -> Recovered:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        original = self.path
        target = original if path_free else original.with_name(
            f"{original.stem}.recovered-{stamp}{original.suffix}")
        partial = target.with_name(target.name + ".partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            copy = sqlite3.connect(str(partial))
            try:
                db.backup(copy)
            finally:
                copy.close()
            os.replace(partial, target)
        except (OSError, sqlite3.Error) as exc:
            self._discard(partial)
            self.identity = None  # from now on this session is kept in the open connection only
            return Recovered(db, original, translate(
                "ConversationStore",
                "Conversations cannot be saved ({reason}). This window keeps them until it closes; "
                "check that {folder} is writable and that no other KV Chat uses it.",
            ).format(reason=exc, folder=original.parent))
        # Closing the old connection deletes "<path>-wal" and "-shm" by name: it must happen before
        # the new file at that path has a log of its own.
        ours = self.identity[1]
        db.close()
        # The old file's log and index must never be replayed into the file put at that path later
        # (the new copy now, or the one the user renames there): keep them aside under another name.
        if target == original or (ours is not None and identity_of(log_path(original)) == ours):
            for suffix in ("-wal", "-shm"):
                leftover = Path(str(original) + suffix)
                if os.path.lexists(leftover):
                    os.replace(leftover, leftover.with_name(f"{leftover.name}.orphaned-{stamp}"))
        new_db = self._reopen(target)
        if path_free:
            notice = translate(
                "ConversationStore",
                "The conversation database {path} was deleted while KV Chat was running. Everything this "
                "window held was saved to it again.").format(path=original)
        else:
            notice = translate(
                "ConversationStore",
                "The conversation database {path} was replaced by something else while KV Chat was running, "
                "so nothing was written there. Everything this window held was saved to {saved}. To go on "
                "using it, quit KV Chat, move {path} away and rename {saved} to {name}.").format(
                path=original, saved=target, name=original.name)
        return Recovered(new_db, target, notice)

    def _reopen(self, path: Path) -> sqlite3.Connection:
        db = self._connect(path)
        mode = self._prepare(db)
        self.path = path
        self.identity = self._measure(with_log=mode == "wal")
        return db

    @staticmethod
    def _discard(partial: Path) -> None:
        """Remove this module's own unfinished copy (never anything else)."""
        try:
            if os.path.lexists(partial):
                os.remove(partial)
        except OSError as exc:
            _log.warning("an unfinished copy %s could not be removed: %s", partial, exc)
