"""Reads a GGUF file's metadata and tensor table without touching the weights.

The `gguf` package supplies the format's constants (value types, quantization block
sizes). Its `GGUFReader` turns every element of every array into a numpy view, which took
9 s on SmolLM2 and 40 s on Gemma 3's 262k-entry vocabulary here; a model picker cannot wait
that long. This scanner walks the same layout with `struct` over an mmap and keeps only
scalars, strings and short arrays, so a header reads in well under a second.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass

from gguf.constants import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGMLQuantizationType, GGUFValueType

from app.engine.errors import ModelFileError
from app.i18n import translate

_SCALAR_FORMATS = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
    GGUFValueType.BOOL: "<?",
}
# Arrays longer than this (vocabularies, merges) are skipped; only their length is kept.
_MAX_KEPT_ARRAY = 4096
# Bounds on a hostile header's work and memory. Real files stay far below them: the largest
# vocabularies hold ~260k tokens and ~500k merges, and no real metadata nests arrays.
MAX_HEADER_ENTRIES = 4_000_000  # keys, array elements walked and tensors, all together
MAX_KEPT_ELEMENTS = 65_536  # array elements kept as Python values, all together
MAX_ARRAY_DEPTH = 8
MAX_STRING_BYTES = 4 << 20  # a key or a kept text (chat templates are tens of kB)
MAX_TENSORS = 1_000_000
MAX_FIELDS = 1_000_000
_SUPPORTED_VERSIONS = (2, 3)


@dataclass(frozen=True)
class SkippedArray:
    """A long array whose elements were not read (a vocabulary, say)."""

    element_type: GGUFValueType
    length: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    ggml_type: int
    n_elements: int
    n_bytes: int
    offset: int


@dataclass(frozen=True)
class GgufHeader:
    version: int
    fields: dict[str, object]
    tensors: tuple[TensorEntry, ...]
    data_offset: int
    file_bytes: int


def _truncated(size: int) -> ModelFileError:
    return ModelFileError(translate(
        "ModelFile", "the file ends at byte {size}, inside its header: it is truncated.").format(size=size))


def _damaged(reason: str) -> ModelFileError:
    return ModelFileError(translate("ModelFile", "its header is damaged: {reason}.").format(reason=reason))


class _Cursor:
    """Reads the header's values in order, counting what it walks and keeps against the bounds."""

    def __init__(self, buf, size: int):
        self.buf = buf
        self.size = size
        self.pos = 0
        self.entries = 0  # keys, array elements and tensors walked
        self.kept = 0  # array elements kept as values

    def count(self, n: int = 1) -> None:
        self.entries += n
        if self.entries > MAX_HEADER_ENTRIES:
            raise ModelFileError(translate(
                "ModelFile", "its header holds more than {limit:,} entries, far more than any model has: "
                "the file is damaged or not a model.").format(limit=MAX_HEADER_ENTRIES))

    def take(self, fmt: str):
        n = struct.calcsize(fmt)
        if self.pos + n > self.size:
            raise _truncated(self.size)
        value = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return value[0] if len(value) == 1 else value

    def string(self) -> str:
        length = self.take("<Q")
        if self.pos + length > self.size:
            raise _truncated(self.size)
        if length > MAX_STRING_BYTES:
            raise _damaged(translate("ModelFile", "a text of {size:,} bytes where a name or a template belongs").format(
                size=length))
        raw = bytes(self.buf[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.take("<Q")
        self.pos += length
        if self.pos > self.size:
            raise _truncated(self.size)

    @staticmethod
    def value_type(vtype: int) -> GGUFValueType:
        try:
            return GGUFValueType(vtype)
        except ValueError:
            raise ModelFileError(translate(
                "ModelFile", "the header holds an unknown value type {type}: the file is damaged.").format(
                type=vtype)) from None

    def value(self, vtype: int, depth: int = 0):
        vtype = self.value_type(vtype)
        if vtype == GGUFValueType.STRING:
            return self.string()
        if vtype != GGUFValueType.ARRAY:
            return self.take(_SCALAR_FORMATS[vtype])
        if depth >= MAX_ARRAY_DEPTH:
            raise _damaged(translate("ModelFile", "arrays nested more than {depth} deep").format(depth=MAX_ARRAY_DEPTH))
        element_type = self.value_type(self.take("<I"))
        length = self.take("<Q")
        if (length > _MAX_KEPT_ARRAY or element_type == GGUFValueType.ARRAY
                or self.kept + length > MAX_KEPT_ELEMENTS):
            # Nothing this app reads is an array of arrays or a long array: walk it, keep its length.
            self._skip_array(element_type, length, depth + 1)
            return SkippedArray(element_type, length)
        self.count(length)
        self.kept += length
        return [self.value(element_type, depth + 1) for _ in range(length)]

    def _skip_array(self, element_type: GGUFValueType, length: int, depth: int) -> None:
        fmt = _SCALAR_FORMATS.get(element_type)
        if fmt is not None:  # fixed-size elements: one jump
            self.pos += struct.calcsize(fmt) * length
            if self.pos > self.size:
                raise _truncated(self.size)
            return
        # Strings and arrays cannot be jumped over; each element costs an entry of the budget.
        self.count(length)
        for _ in range(length):
            if element_type == GGUFValueType.STRING:
                self.skip_string()
            else:
                self.value(element_type, depth)


def _tensor_bytes(ggml_type: int, n_elements: int, name: str) -> int:
    try:
        block_elements, block_bytes = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        raise ModelFileError(translate(
            "ModelFile", "tensor '{name}' uses ggml type {type}, which this version does not know.").format(
            name=name, type=ggml_type)) from None
    return n_elements * block_bytes // block_elements


def read_gguf_header(path: str | os.PathLike) -> GgufHeader:
    """Parse the header and tensor table; raise ModelFileError saying what is wrong."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise ModelFileError(translate("ModelFile", "the file is empty."))
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(buf, size)
    except ModelFileError:
        raise
    except (struct.error, ValueError, OverflowError, MemoryError, RecursionError) as exc:
        # Every bound above should stop a hostile header first; this is the last line.
        raise _damaged(f"{type(exc).__name__}: {exc}") from None
    except FileNotFoundError:
        raise ModelFileError(translate("ModelFile", "the file does not exist.")) from None
    except IsADirectoryError:
        raise ModelFileError(translate("ModelFile", "this is a folder, not a model file.")) from None
    except PermissionError:
        raise ModelFileError(translate("ModelFile", "the file cannot be read: permission denied.")) from None
    except OSError as exc:
        raise ModelFileError(translate("ModelFile", "the file cannot be read: {reason}.").format(
            reason=exc.strerror or exc)) from None


def _parse(buf, size: int) -> GgufHeader:
    cur = _Cursor(buf, size)
    if size < 4 or cur.take("<I") != GGUF_MAGIC:
        head = bytes(buf[:4])
        raise ModelFileError(translate(
            "ModelFile", "it is not a GGUF model (the file starts with {head}, a GGUF file starts with b'GGUF')."
        ).format(head=repr(head)))
    version = cur.take("<I")
    if version not in _SUPPORTED_VERSIONS:
        raise ModelFileError(translate(
            "ModelFile", "it is GGUF version {version}; only versions 2 and 3 are supported.").format(version=version))
    n_tensors, n_fields = cur.take("<QQ")
    if n_tensors > MAX_TENSORS or n_fields > MAX_FIELDS:
        raise ModelFileError(translate(
            "ModelFile", "its header claims an impossible number of entries: the file is damaged."))

    fields: dict[str, object] = {}
    for _ in range(n_fields):
        cur.count()
        key = cur.string()
        fields[key] = cur.value(cur.take("<I"))

    tensors = []
    for _ in range(n_tensors):
        cur.count()
        name = cur.string()
        n_dims = cur.take("<I")
        if n_dims > 8:
            raise ModelFileError(translate(
                "ModelFile", "tensor '{name}' claims {dims} dimensions: the file is damaged.").format(
                name=name, dims=n_dims))
        n_elements = 1
        for _ in range(n_dims):
            n_elements *= cur.take("<Q")
        ggml_type = cur.take("<I")
        offset = cur.take("<Q")  # within the data section
        tensors.append(TensorEntry(name, ggml_type, n_elements, _tensor_bytes(ggml_type, n_elements, name), offset))

    alignment = fields.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise ModelFileError(translate("ModelFile", "its data alignment is not a power of two: the file is damaged."))
    data_offset = -(-cur.pos // alignment) * alignment
    needed = data_offset + max((t.offset + t.n_bytes for t in tensors), default=0)
    if needed > size:
        raise ModelFileError(translate(
            "ModelFile",
            "it is truncated: its tensors need {needed:,} bytes but the file has "
            "{size:,} ({missing:,} missing). Download it again.",
        ).format(needed=needed, size=size, missing=needed - size))
    return GgufHeader(version, fields, tuple(tensors), data_offset, size)
