"""KeptCaches with made-up states (numpy bytes, no model): the RAM and disk budgets, forgetting (also
while the writer is writing), damaged and vanished files, a full disk, and what the listing says.

The moments that matter (a write under way, a write done but not yet finished) are held with events
at the writer's own calls, never waited for with sleeps."""

from __future__ import annotations

import errno
import itertools
import os
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.engine.kept import caches
from app.engine.kept.caches import KeptCaches, NotRestored, Restored
from app.engine.kept.state_file import SUFFIX, StateKey, make_header, write_state

KEY = StateKey(model_path="/models/smol.gguf", model_size=98_000_000, model_mtime_ns=1_700_000_000_000_000_000,
               llama_version="0.3.36", type_k="q8_0", type_v="q8_0", n_ctx=4096, compact_window=False,
               flash_attn=True)
STATE = 10_000  # bytes in each made-up state; a file adds its header and tokens (under 1,000 bytes here)
TOKENS = 100
BIG = 1 << 30
HELD = 30  # seconds an event is waited for before the test gives up (a safeguard, never reached when it passes)


def made(seed: int, n_state: int = STATE, n_tokens: int = TOKENS):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 49_152, n_tokens, dtype=np.int32), rng.integers(0, 256, n_state, dtype=np.uint8)


@pytest.fixture
def opened(tmp_path):
    """Make KeptCaches (on tmp_path/kept unless told) that are all closed after the test."""
    made_here = []

    def open_caches(folder: Path | None = None, ram: int = BIG, disk: int = BIG, **kwargs) -> KeptCaches:
        kept = KeptCaches(folder or tmp_path / "kept", ram, disk, **kwargs)
        made_here.append(kept)
        return kept

    yield open_caches
    for kept in made_here:
        kept.close()


@pytest.fixture
def clock(monkeypatch):
    """The caches' clock ticks one second a call, so "used before" never depends on the machine's clock."""

    monotonic = time.monotonic

    class Clock:
        def __init__(self):
            self._ticks = itertools.count(int(time.time()) + 1000)
            self.monotonic = monotonic

        def time(self) -> float:
            return float(next(self._ticks))

    monkeypatch.setattr(caches, "time", Clock())


def keep(kept: KeptCaches, name: str, seed: int, key: StateKey = KEY, n_state: int = STATE):
    tokens, state = made(seed, n_state)
    kept.keep(name, key, tokens, state, f16_bytes=2 * len(state))
    return tokens, state


def restored(kept: KeptCaches, name: str, seed: int, source: str, key: StateKey = KEY, n_state: int = STATE):
    found = kept.take(name, key)
    assert isinstance(found, Restored), found
    tokens, state = made(seed, n_state)
    assert found.source == source
    assert np.array_equal(found.tokens, tokens) and np.array_equal(found.state, state)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def rows(kept: KeptCaches) -> dict:
    return {r.conversation: r for r in kept.listing()}


# -- RAM and disk ---------------------------------------------------------------------------------

def test_the_ram_budget_drops_the_least_recently_used_from_ram_and_its_file_serves(opened, clock):
    kept = opened(ram=2 * STATE + STATE // 2)
    for seed, name in enumerate("abc"):
        keep(kept, name, seed)
    assert kept.flush(HELD)
    assert {n: r.ram_bytes for n, r in rows(kept).items()} == {"a": 0, "b": STATE, "c": STATE}
    assert files(kept.folder) == ["a.kvstate", "b.kvstate", "c.kvstate"]

    restored(kept, "a", 0, "disk")  # and back in RAM, so b (now the least recently used) leaves it
    assert {n: r.ram_bytes for n, r in rows(kept).items()} == {"a": STATE, "b": 0, "c": STATE}
    restored(kept, "c", 2, "ram")
    restored(kept, "b", 1, "disk")
    assert {n: r.ram_bytes for n, r in rows(kept).items()} == {"a": 0, "b": STATE, "c": STATE}
    assert files(kept.folder) == ["a.kvstate", "b.kvstate", "c.kvstate"]


def test_a_state_bigger_than_the_ram_budget_is_still_written_and_restored_from_disk(opened):
    kept = opened(ram=STATE - 1)
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    assert rows(kept)["a"].ram_bytes == 0 and rows(kept)["a"].disk_bytes > STATE
    restored(kept, "a", 0, "disk")
    assert rows(kept)["a"].ram_bytes == 0  # it did not fit then, it does not now


def test_a_state_bigger_than_the_disk_budget_is_kept_in_ram_only(opened):
    kept = opened(disk=STATE - 1)
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    assert files(kept.folder) == []
    assert (rows(kept)["a"].ram_bytes, rows(kept)["a"].disk_bytes) == (STATE, 0)
    restored(kept, "a", 0, "ram")


def test_the_disk_budget_removes_the_least_recently_kept_file(opened, clock):
    kept = opened(disk=2 * STATE + STATE // 2)
    for seed, name in enumerate("abc"):
        keep(kept, name, seed)
        assert kept.flush(HELD)  # one at a time: the order they reach the disk is the order they were kept
    assert files(kept.folder) == ["b.kvstate", "c.kvstate"]
    assert {n: r.disk_bytes > 0 for n, r in rows(kept).items()} == {"a": False, "b": True, "c": True}
    restored(kept, "a", 0, "ram")  # its file went, its RAM copy did not


def test_a_restore_from_ram_counts_as_use_for_the_disk_budget(opened, clock):
    kept = opened(disk=2 * STATE + STATE // 2)
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    keep(kept, "b", 1)
    assert kept.flush(HELD)
    restored(kept, "a", 0, "ram")  # a is now used more recently than b
    keep(kept, "c", 2)
    assert kept.flush(HELD)
    assert files(kept.folder) == ["a.kvstate", "c.kvstate"]


def test_a_restore_from_disk_after_a_restart_counts_as_use_for_the_disk_budget(opened, clock, tmp_path):
    first = opened(disk=2 * STATE + STATE // 2)
    keep(first, "a", 0)
    keep(first, "b", 1)
    first.close()
    kept = opened(disk=2 * STATE + STATE // 2)
    assert files(kept.folder) == ["a.kvstate", "b.kvstate"]
    restored(kept, "a", 0, "disk")
    keep(kept, "c", 2)
    assert kept.flush(HELD)
    assert files(kept.folder) == ["a.kvstate", "c.kvstate"]


def test_a_lower_disk_budget_removes_files_at_once(opened, clock):
    kept = opened()
    for seed, name in enumerate("abc"):
        keep(kept, name, seed)
        assert kept.flush(HELD)
    kept.set_budgets(BIG, STATE + STATE // 2)
    assert files(kept.folder) == ["c.kvstate"]
    assert kept.budgets == (BIG, STATE + STATE // 2)
    kept.set_budgets(0, BIG)
    assert all(r.ram_bytes == 0 for r in kept.listing())
    restored(kept, "c", 2, "disk")
    assert kept.take("a", KEY) is None


def test_a_disk_budget_lower_than_what_is_on_disk_holds_from_the_start(opened, tmp_path):
    folder = tmp_path / "kept"
    for seed, name in enumerate("abc"):
        path = write_file(folder, name, seed)
        os.utime(path, (1_000_000 + seed, 1_000_000 + seed))  # a used first, c last
    kept = opened(disk=2 * STATE + STATE // 2)
    assert files(folder) == ["b.kvstate", "c.kvstate"]
    assert kept.take("a", KEY) is None
    kept.close()
    opened(disk=0)
    assert files(folder) == []  # a budget of 0 keeps nothing on disk


def test_the_listing_gives_the_real_file_sizes_and_ram_sizes(opened, clock):
    kept = opened(ram=STATE + 5_000)
    keep(kept, "a", 0, replace(KEY, type_k="q8_0", type_v="q4_0"), n_state=7_000)
    keep(kept, "b", 1, n_state=STATE)
    assert kept.flush(HELD)
    listed = kept.listing()
    assert [r.conversation for r in listed] == ["b", "a"]  # the most recently used first
    by_name = {r.conversation: r for r in listed}
    for name in "ab":
        assert by_name[name].disk_bytes == os.path.getsize(kept.folder / f"{name}{SUFFIX}")
    assert (by_name["a"].ram_bytes, by_name["b"].ram_bytes) == (0, STATE)
    assert (by_name["a"].tokens, by_name["a"].f16_bytes) == (TOKENS, 14_000)
    assert (by_name["a"].type_k, by_name["a"].type_v) == ("q8_0", "q4_0")
    kept.close()
    again = {r.conversation: r for r in opened().listing()}
    assert {n: (r.ram_bytes, r.disk_bytes, r.tokens, r.f16_bytes) for n, r in again.items()} == {
        n: (0, r.disk_bytes, r.tokens, r.f16_bytes) for n, r in by_name.items()}


def test_closing_writes_what_is_pending(opened):
    kept = opened()
    keep(kept, "a", 0)
    kept.close()
    restored(opened(), "a", 0, "disk")


def test_a_conversation_key_that_is_not_a_safe_file_name_is_refused(opened):
    kept = opened()
    for name in ("../etc", "a b", "", "x" * 65, "a.kvstate"):
        with pytest.raises(ValueError):
            keep(kept, name, 0)
        with pytest.raises(ValueError):
            kept.take(name, KEY)


# -- keys -------------------------------------------------------------------------------------------

def test_a_mismatched_key_is_not_restored_and_says_why(opened):
    q4 = replace(KEY, type_k="q4_0", type_v="q4_0")
    kept = opened()
    keep(kept, "a", 0)
    found = kept.take("a", q4)
    assert isinstance(found, NotRestored) and found.reason == "the cache was q8_0, now q4_0"
    kept.close()

    kept = opened()  # the same, read from the file's header
    found = kept.take("a", replace(KEY, n_ctx=2048))
    assert isinstance(found, NotRestored) and found.reason == "the context was 4,096 tokens, now 2,048"
    assert files(kept.folder) == ["a.kvstate"]  # kept: the settings it was made with may come back
    restored(kept, "a", 0, "disk")


def test_nothing_kept_is_none(opened):
    assert opened().take("a", KEY) is None


# -- damaged, vanished and leftover files ------------------------------------------------------------

def write_file(folder: Path, name: str, seed: int, key: StateKey = KEY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tokens, state = made(seed)
    path = folder / f"{name}{SUFFIX}"
    write_state(path, make_header(key, tokens, state, 2 * STATE, 1.0), tokens, state)
    return path


def test_damaged_files_found_at_start_are_removed_and_said_once(opened, tmp_path):
    folder = tmp_path / "kept"
    write_file(folder, "good", 0)
    truncated = write_file(folder, "cut", 1)
    truncated.write_bytes(truncated.read_bytes()[:-100])
    (folder / f"foreign{SUFFIX}").write_bytes(b"GGUF" + bytes(600))
    (folder / f"empty{SUFFIX}").write_bytes(b"")
    (folder / "notes.txt").write_text("not ours")
    (folder / f"not a key{SUFFIX}").write_bytes(b"not ours either")
    kept = opened()
    assert files(folder) == ["good.kvstate", "not a key.kvstate", "notes.txt"]
    assert [r.conversation for r in kept.listing()] == ["good"]
    for name in ("cut", "foreign", "empty"):
        found = kept.take(name, KEY)
        assert isinstance(found, NotRestored) and "damaged" in found.reason, name
        assert kept.take(name, KEY) is None  # said once, then there is nothing
    restored(kept, "good", 0, "disk")


def test_a_file_damaged_after_start_is_removed_when_taken(opened, tmp_path):
    path = write_file(tmp_path / "kept", "a", 0)
    kept = opened()
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # passes the header check at start, fails the checksum
    path.write_bytes(bytes(data))
    found = kept.take("a", KEY)
    assert isinstance(found, NotRestored) and found.reason == "its saved file was damaged and has been removed"
    assert files(kept.folder) == []
    assert kept.listing() == ()
    assert kept.take("a", KEY) is None


def test_a_file_deleted_behind_its_back_is_nothing_kept(opened):
    kept = opened(ram=0)
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    (kept.folder / f"a{SUFFIX}").unlink()
    assert kept.take("a", KEY) is None
    assert kept.listing() == ()


def test_a_crash_s_temporary_files_are_removed_at_start(opened, tmp_path):
    folder = tmp_path / "kept"
    write_file(folder, "a", 0)
    (folder / ".a.kvstate.4242.tmp").write_bytes(b"half a state")
    (folder / ".b.kvstate.17.tmp").write_bytes(b"")
    kept = opened()
    assert files(folder) == ["a.kvstate"]
    restored(kept, "a", 0, "disk")


# -- forgetting, also while the writer writes ----------------------------------------------------

class HeldWrite:
    """Holds the writer's first write_state call until `release` is set; `failure`, if given, is raised then."""

    def __init__(self, monkeypatch, failure: BaseException | None = None):
        self.started = threading.Event()
        self.release = threading.Event()
        self._first = True
        real = caches.write_state

        def held(path, header, tokens, state):
            if self._first:
                self._first = False
                self.started.set()
                assert self.release.wait(HELD)
                if failure is not None:
                    raise failure
            real(path, header, tokens, state)

        monkeypatch.setattr(caches, "write_state", held)


def test_forget_removes_ram_and_file(opened):
    kept = opened()
    keep(kept, "a", 0)
    keep(kept, "b", 1)
    assert kept.flush(HELD)
    kept.forget("a")
    assert files(kept.folder) == ["b.kvstate"] and [r.conversation for r in kept.listing()] == ["b"]
    assert kept.take("a", KEY) is None
    kept.forget_all()
    assert files(kept.folder) == [] and kept.listing() == ()
    assert kept.take("b", KEY) is None


def test_forget_while_its_file_is_written(opened, monkeypatch):
    held = HeldWrite(monkeypatch)
    kept = opened()
    keep(kept, "a", 0)
    assert held.started.wait(HELD)
    kept.forget("a")
    held.release.set()
    assert kept.flush(HELD)
    assert files(kept.folder) == [] and kept.listing() == ()
    assert kept.take("a", KEY) is None
    keep(kept, "b", 1)  # the next write is not taken for the forgotten one
    assert kept.flush(HELD)
    assert files(kept.folder) == ["b.kvstate"]


def test_forget_of_another_conversation_while_a_file_is_written(opened, monkeypatch):
    held = HeldWrite(monkeypatch)
    kept = opened()
    keep(kept, "a", 0)
    assert held.started.wait(HELD)
    kept.forget("b")
    held.release.set()
    assert kept.flush(HELD)
    assert files(kept.folder) == ["a.kvstate"]


def test_forget_all_while_a_file_is_written(opened, monkeypatch, tmp_path):
    write_file(tmp_path / "kept", "old", 0)
    held = HeldWrite(monkeypatch)
    kept = opened()
    keep(kept, "a", 1)
    keep(kept, "b", 2)
    assert held.started.wait(HELD)
    kept.forget_all()
    held.release.set()
    assert kept.flush(HELD)
    assert files(kept.folder) == [] and kept.listing() == ()
    assert all(kept.take(name, KEY) is None for name in ("old", "a", "b"))
    keep(kept, "c", 3)
    assert kept.flush(HELD)
    assert files(kept.folder) == ["c.kvstate"]


def test_forget_after_the_file_is_in_place_but_before_the_writer_is_done(opened, monkeypatch):
    """The writer has put the file in place and is trimming the disk when "forget" comes."""
    kept = opened()
    in_trim, release = threading.Event(), threading.Event()
    real_trim = kept._trim_disk

    def held_trim(keep):
        if keep == "a" and not in_trim.is_set():
            in_trim.set()
            assert release.wait(HELD)
        real_trim(keep)

    monkeypatch.setattr(kept, "_trim_disk", held_trim)
    keep(kept, "a", 0)
    assert in_trim.wait(HELD)
    kept.forget("a")
    release.set()
    assert kept.flush(HELD)
    assert files(kept.folder) == [] and kept.listing() == ()
    keep(kept, "b", 1)
    assert kept.flush(HELD)
    assert files(kept.folder) == ["b.kvstate"]  # not removed for the forget that came before it


def test_forget_while_a_write_fails(opened, monkeypatch):
    held = HeldWrite(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    kept = opened()
    keep(kept, "a", 0)
    assert held.started.wait(HELD)
    kept.forget("a")
    held.release.set()
    assert kept.flush(HELD)
    assert kept.problem and files(kept.folder) == []
    keep(kept, "b", 1)
    assert kept.flush(HELD)
    assert files(kept.folder) == ["b.kvstate"]
    assert kept.problem is None  # the disk works again


def test_a_take_while_the_newer_state_is_being_written_gets_the_newer_one(opened, monkeypatch):
    kept = opened()
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    held = HeldWrite(monkeypatch)
    keep(kept, "a", 1)
    assert held.started.wait(HELD)
    restored(kept, "a", 1, "ram")
    held.release.set()
    assert kept.flush(HELD)
    kept.close()
    restored(opened(), "a", 1, "disk")


# -- a disk that fails -------------------------------------------------------------------------------

def test_a_failed_write_is_said_raises_nothing_and_ram_still_serves(opened, monkeypatch):
    kept = opened()
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    held = HeldWrite(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    held.release.set()
    keep(kept, "a", 1)
    assert kept.flush(HELD)
    assert "No space left on device" in kept.problem and str(kept.folder) in kept.problem
    assert files(kept.folder) == []  # the older file would restore an older state than RAM holds: it went too
    restored(kept, "a", 1, "ram")
    assert rows(kept)["a"].disk_bytes == 0


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 1 MiB tmpfs, where a bigger write fails with ENOSPC (skipped where mounting is not allowed)."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    except OSError as exc:  # no mount command at all
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_said_and_ram_still_serves(small_tmpfs, opened):  # closed before the unmount
    kept = opened(folder=small_tmpfs / "kept")
    keep(kept, "a", 0, n_state=100_000)
    assert kept.flush(HELD) and kept.problem is None
    assert files(kept.folder) == ["a.kvstate"]

    keep(kept, "a", 1, n_state=2_000_000)  # more than the whole disk
    assert kept.flush(HELD)
    assert "No space left on device" in kept.problem
    assert files(kept.folder) == []  # neither the older file nor a temporary one is left
    restored(kept, "a", 1, "ram", n_state=2_000_000)

    keep(kept, "b", 2, n_state=100_000)
    assert kept.flush(HELD)
    assert kept.problem is None and files(kept.folder) == ["b.kvstate"]
    kept.close()
    again = opened(folder=small_tmpfs / "kept")
    assert again.take("a", KEY) is None
    restored(again, "b", 2, "disk", n_state=100_000)


def test_a_folder_that_cannot_be_made_is_said(opened, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    kept = opened(folder=blocker / "kept")
    assert kept.problem and str(blocker / "kept") in kept.problem
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    restored(kept, "a", 0, "ram")


def test_a_listener_that_fails_does_not_break_the_cache(opened):
    calls = []

    def listener():
        calls.append(1)
        raise RuntimeError("a listener's bug")

    kept = opened(on_change=listener)
    keep(kept, "a", 0)
    assert kept.flush(HELD)
    restored(kept, "a", 0, "ram")
    assert calls
