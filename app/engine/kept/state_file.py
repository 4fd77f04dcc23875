"""One conversation's KV cache on disk: what it was made with, its tokens, and llama.cpp's sequence state.

    b"KVCHATKV" | u32 format | u32 header length | header (JSON) | tokens (int32 x n) | state bytes

The header records everything a state depends on (`StateKey`: the model file, llama.cpp's version,
K and V types, context, window mode, flash attention) and a SHA-256 of tokens and state: llama.cpp
checks little of what it is handed, so a file that is not exactly what was written is never given
to it. Files are written to a temporary name and renamed, so a crash leaves the old file or the new.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from app.i18n import translate

MAGIC = b"KVCHATKV"
FORMAT = 1
SUFFIX = ".kvstate"
_PREAMBLE = struct.Struct("<8sII")
_MAX_HEADER = 1 << 20
_KEY_TYPES = {"str": str, "int": int, "bool": bool}


class StateFileError(ValueError):
    """The file is not a whole, intact state file of this format."""


@dataclass(frozen=True)
class StateKey:
    """What a saved state is valid for: llama.cpp restores a state only into a context made the same way."""

    model_path: str
    model_size: int
    model_mtime_ns: int
    llama_version: str
    type_k: str
    type_v: str
    n_ctx: int
    compact_window: bool
    flash_attn: bool
    # llama.cpp rotates K and V of a quantized cache unless LLAMA_ATTN_ROT_DISABLE is set: a state made
    # one way holds values the other way cannot read. Its value as the environment had it, "" if unset.
    rotation_disabled: str = ""

    def mismatch(self, now: StateKey) -> str | None:
        """Why a state made with `self` cannot be restored into a context made with `now`, in words."""
        if self.model_path != now.model_path:
            return translate("KeptCache", "it was made with another model file")
        if (self.model_size, self.model_mtime_ns) != (now.model_size, now.model_mtime_ns):
            return translate("KeptCache", "the model file has changed since")
        if self.llama_version != now.llama_version:
            return translate("KeptCache", "it was made by llama.cpp {then}, this is {now}").format(
                then=self.llama_version, now=now.llama_version)
        if (self.type_k, self.type_v) != (now.type_k, now.type_v):
            return translate("KeptCache", "the cache was {then}, now {now}").format(
                then=_pair(self.type_k, self.type_v), now=_pair(now.type_k, now.type_v))
        if self.n_ctx != now.n_ctx:
            return translate("KeptCache", "the context was {then:,} tokens, now {now:,}").format(
                then=self.n_ctx, now=now.n_ctx)
        if self.compact_window != now.compact_window:
            return (translate("KeptCache", "the compact window was on, now off") if self.compact_window
                    else translate("KeptCache", "the compact window was off, now on"))
        if self.flash_attn != now.flash_attn:
            return (translate("KeptCache", "flash attention was on, now off") if self.flash_attn
                    else translate("KeptCache", "flash attention was off, now on"))
        if self.rotation_disabled != now.rotation_disabled:
            return translate("KeptCache", "LLAMA_ATTN_ROT_DISABLE was \"{then}\", now \"{now}\"").format(
                then=self.rotation_disabled, now=now.rotation_disabled)
        return None


def _pair(type_k: str, type_v: str) -> str:
    return type_k if type_k == type_v else f"K {type_k} / V {type_v}"


@dataclass(frozen=True)
class StateHeader:
    key: StateKey
    n_tokens: int
    state_bytes: int
    f16_bytes: int  # what the same cells would take with an f16 cache
    sha256: str  # of the tokens and the state, in file order
    saved_at: float

    @property
    def file_bytes(self) -> int:
        return _PREAMBLE.size + len(self._encoded()) + 4 * self.n_tokens + self.state_bytes

    def _encoded(self) -> bytes:
        return json.dumps({**asdict(self), "key": asdict(self.key)}, sort_keys=True).encode()


def _digest(tokens: np.ndarray, state) -> str:
    h = hashlib.sha256()  # hashlib releases the GIL for large buffers: the window stays responsive
    h.update(memoryview(tokens))
    h.update(memoryview(state))
    return h.hexdigest()


def make_header(key: StateKey, tokens: np.ndarray, state, f16_bytes: int, saved_at: float) -> StateHeader:
    return StateHeader(key, len(tokens), len(state), f16_bytes, _digest(tokens, state), saved_at)


def write_state(path: Path, header: StateHeader, tokens: np.ndarray, state) -> None:
    """Write atomically: a temporary file in the same folder, flushed to disk, then renamed over `path`."""
    encoded = header._encoded()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(_PREAMBLE.pack(MAGIC, FORMAT, len(encoded)))
            out.write(encoded)
            out.write(memoryview(tokens))
            out.write(memoryview(state))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_header(path: Path) -> StateHeader:
    """The header alone, checked for shape and against the file's length (the state is not read)."""
    with open(path, "rb") as f:
        return _read_header(f, os.fstat(f.fileno()).st_size)


def _read_header(f, size: int) -> StateHeader:
    preamble = f.read(_PREAMBLE.size)
    if len(preamble) != _PREAMBLE.size:
        raise StateFileError("the file is shorter than its preamble")
    magic, version, length = _PREAMBLE.unpack(preamble)
    if magic != MAGIC:
        raise StateFileError("not a KV Chat state file")
    if version != FORMAT:
        raise StateFileError(f"state file format {version}, this app reads {FORMAT}")
    if length > _MAX_HEADER:
        raise StateFileError("the header is implausibly long")
    try:
        raw = json.loads(f.read(length))
        key = StateKey(**{f.name: raw["key"][f.name] for f in fields(StateKey)})
        header = StateHeader(key, *(raw[name] for name in ("n_tokens", "state_bytes", "f16_bytes", "sha256",
                                                             "saved_at")))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise StateFileError(f"the header cannot be read: {exc}") from None
    # The checksum covers tokens and state, not the header: a key field of another type would reach
    # StateKey.mismatch (which formats n_ctx as a number) or compare equal where it should not (1 == True).
    if not all(type(getattr(key, f.name)) is _KEY_TYPES[f.type] for f in fields(StateKey)):
        raise StateFileError("the header's key has a field of the wrong type")
    if not all(isinstance(v, int) and v >= 0 for v in (header.n_tokens, header.state_bytes, header.f16_bytes)):
        raise StateFileError("the header's sizes are not sizes")
    if header.file_bytes != size:
        raise StateFileError(f"the file is {size:,} bytes, its header says {header.file_bytes:,}")
    return header


def read_state(path: Path) -> tuple[StateHeader, np.ndarray, np.ndarray]:
    """Header, tokens (int32) and state (uint8), verified against the header's digest."""
    with open(path, "rb") as f:
        header = _read_header(f, os.fstat(f.fileno()).st_size)
        tokens = np.empty(header.n_tokens, dtype=np.int32)
        state = np.empty(header.state_bytes, dtype=np.uint8)
        if f.readinto(memoryview(tokens).cast("B")) != tokens.nbytes or f.readinto(state) != header.state_bytes:
            raise StateFileError("the file ends early")
    if _digest(tokens, state) != header.sha256:
        raise StateFileError("the file's contents do not match its checksum")
    return header, tokens, state
