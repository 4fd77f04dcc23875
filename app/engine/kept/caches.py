"""KeptCaches: the conversations' KV caches kept out of the context, in RAM and on disk, within budgets.

The engine thread hands a conversation's state in (`keep`) when a reply ends and when it switches to
another conversation, and asks for one back (`take`) when a conversation's turn comes again. A state
is held in RAM while the RAM budget allows (the most recently used first) and written to disk by a
writer thread of its own, so neither the engine nor the window waits for the disk; the disk budget
evicts the least recently used files. A state is only ever an optimisation: whatever goes wrong with
one (a damaged file, a full disk, a file deleted meanwhile) costs a re-read of the prompt, never a
wrong reply, and is said in words.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.kept.state_file import (
    SUFFIX,
    StateFileError,
    StateHeader,
    StateKey,
    make_header,
    read_header,
    read_state,
    write_state,
)
from app.i18n import translate

_log = logging.getLogger(__name__)

MIB = 1024 * 1024
DEFAULT_RAM_BUDGET = 1024 * MIB
DEFAULT_DISK_BUDGET = 4096 * MIB
_CONVERSATION = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class _State:
    """One conversation's cache as llama.cpp serialized it, with the tokens it holds."""

    key: StateKey
    tokens: np.ndarray  # int32
    state: np.ndarray  # uint8
    f16_bytes: int
    used_at: float


@dataclass(frozen=True)
class KeptCache:
    """What one conversation's kept cache takes, for the window to show."""

    conversation: str
    tokens: int
    type_k: str
    type_v: str
    ram_bytes: int  # 0 when it is only on disk
    disk_bytes: int  # 0 when it is not (yet) on disk
    f16_bytes: int  # what the same cells would take with an f16 cache
    used_at: float


@dataclass(frozen=True)
class Restored:
    """A conversation's cache, handed back to be restored into the context."""

    tokens: np.ndarray
    state: np.ndarray
    source: str  # "ram" or "disk"


@dataclass(frozen=True)
class NotRestored:
    """A kept cache that cannot be used, and why in words (the prompt is read again)."""

    reason: str


class KeptCaches:
    def __init__(self, folder: Path, ram_budget: int = DEFAULT_RAM_BUDGET, disk_budget: int = DEFAULT_DISK_BUDGET,
                 on_change: Callable[[], None] | None = None) -> None:
        self.folder = Path(folder)
        self._ram_budget = ram_budget
        self._disk_budget = disk_budget
        self.on_change = on_change  # called on any thread after a change
        self._lock = threading.Condition()
        self._ram: OrderedDict[str, _State] = OrderedDict()  # least recently used first
        self._disk: dict[str, StateHeader] = {}
        self._disk_used: dict[str, float] = {}
        self._pending: dict[str, _State] = {}  # the newest state of each conversation not yet on disk
        self._writing: str | None = None
        self._forgotten_while_writing = False
        self._damaged: set[str] = set()  # files found damaged at start: the next take says so
        self._closed = False
        self.problem: str | None = None  # the last thing that went wrong with the disk, in words
        self._scan()
        self._trim_disk(keep=None)  # a budget lowered since the last run holds from the start
        self._writer = threading.Thread(target=self._write_loop, name="kvchat-kept-writer", daemon=True)
        self._writer.start()

    # -- what the engine does -----------------------------------------------------------------

    def keep(self, conversation: str, key: StateKey, tokens: np.ndarray, state: np.ndarray, f16_bytes: int) -> None:
        """Hold this state (the conversation's newest) in RAM if the budget allows, and have it written to disk."""
        _check(conversation)
        kept = _State(key, np.asarray(tokens, dtype=np.int32).copy(), state, f16_bytes, time.time())
        with self._lock:
            self._damaged.discard(conversation)
            self._ram.pop(conversation, None)
            if len(state) <= self._ram_budget:
                self._ram[conversation] = kept
                self._trim_ram()
            if len(state) <= self._disk_budget:
                self._pending[conversation] = kept
                self._lock.notify_all()
        self._changed()

    def take(self, conversation: str, key: StateKey) -> Restored | NotRestored | None:
        """The conversation's kept cache, if one was made the way the context now is (None: nothing kept)."""
        _check(conversation)
        path = self._path(conversation)
        with self._lock:
            kept = self._ram.get(conversation) or self._pending.get(conversation)
            if kept is not None and kept.key == key:
                kept.used_at = now = time.time()
                if conversation in self._ram:
                    self._ram.move_to_end(conversation)
                on_disk = conversation in self._disk
                if on_disk:  # a use from RAM is a use of its file too: the disk budget evicts by last use
                    self._disk_used[conversation] = now
                found = Restored(kept.tokens, kept.state, "ram")
            else:
                found, on_disk = None, self._disk.get(conversation)
                damaged = kept is None and on_disk is None and conversation in self._damaged
                self._damaged.discard(conversation)
        if found is not None:
            if on_disk:
                with contextlib.suppress(OSError):
                    os.utime(path, (now, now))
            return found
        if damaged:
            return NotRestored(translate("KeptCache", "its saved file was damaged and has been removed"))
        if on_disk is None:
            return NotRestored(kept.key.mismatch(key)) if kept is not None else None
        reason = on_disk.key.mismatch(key)
        if reason is not None:  # known from the header read at start or at writing: the state is not read
            return NotRestored(reason)
        try:
            header, tokens, state = read_state(path)
        except FileNotFoundError:  # removed behind our back: nothing is kept after all
            self._drop_disk(conversation)
            return None
        except (OSError, StateFileError) as exc:
            _log.warning("kept cache %s unreadable: %s", path, exc)
            self._remove_file(conversation)
            return NotRestored(translate("KeptCache", "its saved file was damaged and has been removed"))
        reason = header.key.mismatch(key)
        if reason is not None:
            return NotRestored(reason)
        now = time.time()
        with self._lock:
            self._disk_used[conversation] = now
            if len(state) <= self._ram_budget:
                self._ram[conversation] = _State(header.key, tokens, state, header.f16_bytes, now)
                self._trim_ram()
        try:
            os.utime(path, (now, now))  # the disk budget evicts by last use
        except OSError:
            pass
        self._changed()
        return Restored(tokens, state, "disk")

    def refused(self, conversation: str) -> None:
        """llama.cpp would not take the state it was handed: it is forgotten everywhere."""
        self.forget(conversation)

    # -- what the user does -------------------------------------------------------------------

    def forget(self, conversation: str) -> None:
        _check(conversation)
        with self._lock:
            self._damaged.discard(conversation)
            self._ram.pop(conversation, None)
            self._pending.pop(conversation, None)
            if self._writing == conversation:
                self._forgotten_while_writing = True
        self._remove_file(conversation)

    def forget_all(self) -> None:
        with self._lock:
            self._ram.clear()
            self._pending.clear()
            self._damaged.clear()
            if self._writing is not None:
                self._forgotten_while_writing = True
            conversations = list(self._disk)
        for conversation in conversations:
            self._remove_file(conversation, notify=False)
        self._changed()

    def set_budgets(self, ram_budget: int, disk_budget: int) -> None:
        with self._lock:
            self._ram_budget, self._disk_budget = ram_budget, disk_budget
            self._trim_ram()
        self._trim_disk(keep=None)
        self._changed()

    @property
    def budgets(self) -> tuple[int, int]:
        return self._ram_budget, self._disk_budget

    def listing(self) -> tuple[KeptCache, ...]:
        """Every kept cache, the most recently used first."""
        with self._lock:
            names = set(self._ram) | set(self._disk) | set(self._pending)
            rows = []
            for name in names:
                ram, disk = self._ram.get(name), self._disk.get(name)
                newest = ram or self._pending.get(name)
                if newest is not None:
                    key, tokens, f16, used = newest.key, len(newest.tokens), newest.f16_bytes, newest.used_at
                else:
                    key, tokens, f16, used = disk.key, disk.n_tokens, disk.f16_bytes, self._disk_used.get(name, 0.0)
                rows.append(KeptCache(name, tokens, key.type_k, key.type_v, len(ram.state) if ram else 0,
                                      disk.file_bytes if disk else 0, f16, used))
        return tuple(sorted(rows, key=lambda r: r.used_at, reverse=True))

    # -- lifetime -----------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every pending state is on disk (or has failed to get there)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._pending or self._writing is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is pending (for at most `timeout` seconds), then stop the writer."""
        self.flush(timeout)
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._lock.notify_all()
        self._writer.join(timeout)

    # -- plumbing -----------------------------------------------------------------------------

    def _path(self, conversation: str) -> Path:
        return self.folder / f"{conversation}{SUFFIX}"

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # a listener's failure is not the cache's
                _log.exception("kept-cache listener failed")

    def _scan(self) -> None:
        """What the folder holds from earlier runs; damaged files and a crash's leftovers are removed."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            entries = list(self.folder.iterdir())
        except OSError as exc:
            self.problem = translate("KeptCache", "The kept-cache folder {folder} cannot be used: {error}").format(
                folder=self.folder, error=exc.strerror or exc)
            return
        for path in entries:
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
            elif path.suffix == SUFFIX and _CONVERSATION.fullmatch(path.stem):
                try:
                    self._disk[path.stem] = read_header(path)
                    self._disk_used[path.stem] = path.stat().st_mtime
                except (OSError, StateFileError) as exc:
                    _log.warning("removing damaged kept cache %s: %s", path, exc)
                    path.unlink(missing_ok=True)
                    self._damaged.add(path.stem)

    def _trim_ram(self) -> None:
        """Called with the lock held: the least recently used states leave RAM (their files stay)."""
        while self._ram and sum(len(s.state) for s in self._ram.values()) > self._ram_budget:
            self._ram.popitem(last=False)

    def _trim_disk(self, keep: str | None) -> None:
        with self._lock:
            order = sorted(self._disk, key=lambda name: self._disk_used.get(name, 0.0))
            total = sum(h.file_bytes for h in self._disk.values())
            victims = []
            for name in order:
                if total <= self._disk_budget:
                    break
                if name != keep:
                    victims.append(name)
                    total -= self._disk[name].file_bytes
        for name in victims:
            self._remove_file(name, notify=False)

    def _drop_disk(self, conversation: str) -> None:
        with self._lock:
            self._disk.pop(conversation, None)
            self._disk_used.pop(conversation, None)

    def _remove_file(self, conversation: str, notify: bool = True) -> None:
        self._drop_disk(conversation)
        try:
            self._path(conversation).unlink(missing_ok=True)
        except OSError as exc:
            _log.warning("could not remove kept cache %s: %s", conversation, exc)
        if notify:
            self._changed()

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                conversation, kept = self._pending.popitem()
                self._writing = conversation
            try:
                self._write(conversation, kept)
            except Exception:  # not the disk's fault (that is an OSError, handled inside): the writer lives on
                _log.exception("kept cache %s not written", conversation)
            finally:
                with self._lock:
                    # Cleared here, not only where a finished write reads it: a "forget" that came after
                    # that (or during a write that failed) must not remove the next conversation's file.
                    self._writing, self._forgotten_while_writing = None, False
                    self._lock.notify_all()
            self._changed()

    def _write(self, conversation: str, kept: _State) -> None:
        header = make_header(kept.key, kept.tokens, kept.state, kept.f16_bytes, time.time())
        path = self._path(conversation)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_state(path, header, kept.tokens, kept.state)
        except OSError as exc:
            self.problem = translate("KeptCache", "A conversation's cache could not be saved to {folder}: {error}. "
                                     "It will be read again after a restart.").format(
                folder=self.folder, error=exc.strerror or exc)
            _log.warning("kept cache %s not written: %s", path, exc)
            self._remove_file(conversation, notify=False)  # the older file no longer matches the conversation
            return
        with self._lock:
            forgotten, self._forgotten_while_writing = self._forgotten_while_writing, False
            if not forgotten:
                self._disk[conversation] = header
                self._disk_used[conversation] = kept.used_at
                self.problem = None
        if forgotten:  # "forget" came while the file was being written: it goes too
            path.unlink(missing_ok=True)
        else:
            self._trim_disk(keep=conversation)


def _check(conversation: str) -> None:
    if not _CONVERSATION.fullmatch(conversation):
        raise ValueError(f"not a conversation key: {conversation!r}")
