"""A kept cache's file: what is written reads back, and anything that is not exactly it is refused.

No model: the tokens and the "state" are made-up bytes; the format does not look inside the state."""

from __future__ import annotations

import json
import os
import struct
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from app.engine.kept import state_file
from app.engine.kept.state_file import (
    FORMAT,
    MAGIC,
    StateFileError,
    StateKey,
    make_header,
    read_header,
    read_state,
    write_state,
)

KEY = StateKey(model_path="/models/smol.gguf", model_size=98_000_000, model_mtime_ns=1_700_000_000_000_000_000,
               llama_version="0.3.36", type_k="q8_0", type_v="q4_0", n_ctx=4096, compact_window=False,
               flash_attn=True)
PREAMBLE = struct.Struct("<8sII")


def sample(n_tokens: int = 300, n_state: int = 10_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 49_152, n_tokens, dtype=np.int32)
    state = rng.integers(0, 256, n_state, dtype=np.uint8)
    return tokens, state


def written(path: Path, key: StateKey = KEY, seed: int = 0):
    tokens, state = sample(seed=seed)
    header = make_header(key, tokens, state, f16_bytes=3 * len(state), saved_at=1234.5)
    write_state(path, header, tokens, state)
    return header, tokens, state


def header_length(path: Path) -> int:
    return PREAMBLE.unpack(path.read_bytes()[:PREAMBLE.size])[2]


def test_what_is_written_reads_back(tmp_path):
    path = tmp_path / "a.kvstate"
    header, tokens, state = written(path)
    assert path.stat().st_size == header.file_bytes
    assert read_header(path) == header
    again, tokens_back, state_back = read_state(path)
    assert again == header and again.key == KEY
    assert (again.n_tokens, again.state_bytes, again.f16_bytes, again.saved_at) == (300, 10_000, 30_000, 1234.5)
    assert tokens_back.dtype == np.int32 and np.array_equal(tokens_back, tokens)
    assert state_back.dtype == np.uint8 and np.array_equal(state_back, state)
    assert path.read_bytes()[:8] == MAGIC


def test_a_non_ascii_model_path_reads_back(tmp_path):
    path = tmp_path / "a.kvstate"
    header, _, _ = written(path, replace(KEY, model_path="/modèles/小模型.gguf"))
    assert read_state(path)[0].key.model_path == "/modèles/小模型.gguf"
    assert path.stat().st_size == header.file_bytes


@pytest.mark.parametrize("keep", [0, 5, PREAMBLE.size + 10, -1, -4_000])
def test_a_truncated_file_is_refused(tmp_path, keep):
    path = tmp_path / "a.kvstate"
    written(path)
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:len(data) + keep])
    with pytest.raises(StateFileError):
        read_header(path)
    with pytest.raises(StateFileError):
        read_state(path)


def test_a_file_with_bytes_after_its_end_is_refused(tmp_path):
    path = tmp_path / "a.kvstate"
    written(path)
    with open(path, "ab") as f:
        f.write(b"\0")
    with pytest.raises(StateFileError, match="its header says"):
        read_state(path)


@pytest.mark.parametrize("where", ["state_first", "state_middle", "state_last", "tokens"])
def test_one_flipped_byte_fails_the_checksum(tmp_path, where):
    path = tmp_path / "a.kvstate"
    header, _, _ = written(path)
    data = bytearray(path.read_bytes())
    state_at = header.file_bytes - header.state_bytes
    offset = {"state_first": state_at, "state_middle": state_at + header.state_bytes // 2,
              "state_last": len(data) - 1, "tokens": state_at - 4 * header.n_tokens + 7}[where]
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    assert read_header(path) == header  # the header alone cannot tell: only the checksum can
    with pytest.raises(StateFileError, match="checksum"):
        read_state(path)


def test_a_foreign_file_is_refused(tmp_path):
    path = tmp_path / "a.kvstate"
    written(path)
    data = path.read_bytes()
    path.write_bytes(b"GGUF\x03\0\0\0" + data[8:])
    with pytest.raises(StateFileError, match="not a KV Chat state file"):
        read_header(path)
    path.write_bytes(b"just some text that happens to be long enough\n" * 10)
    with pytest.raises(StateFileError, match="not a KV Chat state file"):
        read_state(path)


def test_another_format_version_is_refused(tmp_path):
    path = tmp_path / "a.kvstate"
    written(path)
    data = bytearray(path.read_bytes())
    data[8:12] = struct.pack("<I", FORMAT + 1)
    path.write_bytes(bytes(data))
    with pytest.raises(StateFileError, match=f"format {FORMAT + 1}"):
        read_state(path)


@pytest.mark.parametrize("change", [-1, +1, +40, -40])
def test_a_header_length_that_lies_is_refused(tmp_path, change):
    path = tmp_path / "a.kvstate"
    written(path)
    data = bytearray(path.read_bytes())
    length = header_length(path)
    data[12:16] = struct.pack("<I", length + change)
    path.write_bytes(bytes(data))
    with pytest.raises(StateFileError):
        read_state(path)


@pytest.mark.parametrize("length", [1 << 21, 0xFFFF_FFFF])
def test_an_implausible_header_length_is_refused_without_reading_it(tmp_path, length):
    path = tmp_path / "a.kvstate"
    written(path)
    data = bytearray(path.read_bytes())
    data[12:16] = struct.pack("<I", length)
    path.write_bytes(bytes(data))
    with pytest.raises(StateFileError, match="implausibly long"):
        read_header(path)


def rewrite_header(path: Path, new_header: bytes) -> None:
    """Put `new_header` in place of the file's header, its length field saying its true length."""
    data = path.read_bytes()
    length = header_length(path)
    rest = data[PREAMBLE.size + length:]
    path.write_bytes(PREAMBLE.pack(MAGIC, FORMAT, len(new_header)) + new_header + rest)


def header_json(path: Path) -> dict:
    data = path.read_bytes()
    return json.loads(data[PREAMBLE.size:PREAMBLE.size + header_length(path)])


def test_a_broken_header_json_is_refused(tmp_path):
    path = tmp_path / "a.kvstate"
    written(path)
    data = bytearray(path.read_bytes())
    data[PREAMBLE.size + 3] = ord("{")  # same length, no longer JSON
    path.write_bytes(bytes(data))
    with pytest.raises(StateFileError, match="header cannot be read"):
        read_state(path)


@pytest.mark.parametrize("header", [
    b"\xff\xfe not utf-8",
    b"[1, 2, 3]",
    b'"a string"',
    b"null",
    b"[" * 100_000,  # nested past Python's recursion limit
    b"{" + b'"a": {' * 50_000 + b"}" * 50_001,
])
def test_a_header_that_is_not_a_header_object_is_refused(tmp_path, header):
    path = tmp_path / "a.kvstate"
    written(path)
    rewrite_header(path, header)
    with pytest.raises(StateFileError):
        read_header(path)


@pytest.mark.parametrize("mutate", [
    lambda h: h.pop("sha256"),
    lambda h: h["key"].pop("type_v"),
    lambda h: h.update(key="q8_0"),
    lambda h: h.update(n_tokens=-1),
    lambda h: h.update(state_bytes=1.5),
    lambda h: h.update(f16_bytes="30000"),
    lambda h: h["key"].update(n_ctx="4096"),
    lambda h: h["key"].update(type_k=8),
    lambda h: h["key"].update(flash_attn=1),
    lambda h: h["key"].update(model_size=None),
])
def test_a_header_with_missing_or_mistyped_fields_is_refused(tmp_path, mutate):
    path = tmp_path / "a.kvstate"
    written(path)
    raw = header_json(path)
    mutate(raw)
    rewrite_header(path, json.dumps(raw, sort_keys=True).encode())
    with pytest.raises(StateFileError):
        read_header(path)


def test_a_header_rewritten_as_it_was_still_reads(tmp_path):
    """The fixture above really changes only what each case changes."""
    path = tmp_path / "a.kvstate"
    header, _, _ = written(path)
    rewrite_header(path, json.dumps(header_json(path), sort_keys=True).encode())
    assert read_state(path)[0] == header


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "a.kvstate"
    old, old_tokens, old_state = written(path, seed=1)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(state_file.os, "fsync", disk_full)
    tokens, state = sample(seed=2)
    with pytest.raises(OSError, match="No space"):
        write_state(path, make_header(KEY, tokens, state, 0, 1.0), tokens, state)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.kvstate"]
    header, tokens_back, _ = read_state(path)
    assert header == old and np.array_equal(tokens_back, old_tokens)


def test_a_write_that_fails_part_way_with_any_exception_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "a.kvstate"
    written(path, seed=1)
    before = path.read_bytes()
    tokens, state = sample(seed=2)
    header = make_header(KEY, tokens, state, 0, 1.0)
    with pytest.raises(TypeError):
        write_state(path, header, tokens, object())  # fails after the header and tokens are written
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.kvstate"]


def test_a_new_file_replaces_the_old_one(tmp_path):
    path = tmp_path / "a.kvstate"
    written(path, seed=1)
    new, tokens, _ = written(path, replace(KEY, type_k="q4_0"), seed=2)
    header, tokens_back, _ = read_state(path)
    assert header == new and header.key.type_k == "q4_0" and np.array_equal(tokens_back, tokens)
    assert [p.name for p in tmp_path.iterdir()] == ["a.kvstate"]


# -- StateKey.mismatch --------------------------------------------------------------------------

def test_the_same_key_has_no_mismatch():
    assert KEY.mismatch(replace(KEY)) is None


@pytest.mark.parametrize("change, reason", [
    (dict(model_path="/models/other.gguf"), "it was made with another model file"),
    (dict(model_size=98_000_001), "the model file has changed since"),
    (dict(model_mtime_ns=1_700_000_000_000_000_001), "the model file has changed since"),
    (dict(llama_version="0.3.37"), "it was made by llama.cpp 0.3.36, this is 0.3.37"),
    (dict(type_k="q4_0"), "the cache was K q8_0 / V q4_0, now q4_0"),
    (dict(type_v="q8_0"), "the cache was K q8_0 / V q4_0, now q8_0"),
    (dict(type_k="f16", type_v="bf16"), "the cache was K q8_0 / V q4_0, now K f16 / V bf16"),
    (dict(n_ctx=2048), "the context was 4,096 tokens, now 2,048"),
    (dict(compact_window=True), "the compact window was off, now on"),
    (dict(flash_attn=False), "flash attention was on, now off"),
    (dict(rotation_disabled="1"), 'LLAMA_ATTN_ROT_DISABLE was "", now "1"'),
])
def test_each_field_has_its_reason(change, reason):
    assert KEY.mismatch(replace(KEY, **change)) == reason


def test_the_reasons_read_both_ways():
    same_types = replace(KEY, type_k="q8_0", type_v="q8_0")
    assert same_types.mismatch(replace(same_types, type_k="q4_0", type_v="q4_0")) == "the cache was q8_0, now q4_0"
    compact = replace(KEY, compact_window=True)
    assert compact.mismatch(KEY) == "the compact window was on, now off"
    assert replace(KEY, flash_attn=False).mismatch(KEY) == "flash attention was off, now on"


def test_every_field_of_the_key_is_compared():
    """A field added to StateKey without a reason would let a state into a context it does not fit."""
    other = {"model_path": "/x", "model_size": 1, "model_mtime_ns": 1, "llama_version": "9", "type_k": "f32",
             "type_v": "f32", "n_ctx": 1, "compact_window": True, "flash_attn": False, "rotation_disabled": "1"}
    assert {f.name for f in fields(StateKey)} == set(other)
    for name, value in other.items():
        assert KEY.mismatch(replace(KEY, **{name: value})), name


def test_the_temporary_name_is_hidden_and_in_the_same_folder(tmp_path, monkeypatch):
    """A crash mid-write leaves a `.<name>.<pid>.tmp` beside the file: what KeptCaches removes at start."""
    seen = []
    real_replace = os.replace

    def watching(src, dst):
        seen.append(Path(src))
        real_replace(src, dst)

    monkeypatch.setattr(state_file.os, "replace", watching)
    written(tmp_path / "a.kvstate")
    assert seen == [tmp_path / f".a.kvstate.{os.getpid()}.tmp"]
