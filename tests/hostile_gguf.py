"""GGUF files written byte by byte, so a test can put anything in a header: a value of the
wrong type, a nested array thousands deep, a count no real model has.

The `gguf` package's writer refuses most of these; this one writes exactly what it is told.

    write_gguf(path, llama_fields(block_count=(UINT32, 600)))
    write_gguf(path, llama_fields(**{"head_count": (STRING, "two")}))
"""

from __future__ import annotations

import struct
from pathlib import Path

from gguf.constants import GGUFValueType

UINT8, INT8, UINT16, INT16 = GGUFValueType.UINT8, GGUFValueType.INT8, GGUFValueType.UINT16, GGUFValueType.INT16
UINT32, INT32, FLOAT32, BOOL = GGUFValueType.UINT32, GGUFValueType.INT32, GGUFValueType.FLOAT32, GGUFValueType.BOOL
STRING, ARRAY = GGUFValueType.STRING, GGUFValueType.ARRAY
UINT64, INT64, FLOAT64 = GGUFValueType.UINT64, GGUFValueType.INT64, GGUFValueType.FLOAT64

_SCALARS = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f",
            UINT64: "<Q", INT64: "<q", FLOAT64: "<d", BOOL: "<?"}
GGML_F32 = 0


class Raw(bytes):
    """Bytes written as they are, in place of an encoded value."""


def _string(text: str | bytes) -> bytes:
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def encode_value(vtype: int, value) -> bytes:
    """A value's bytes (without its type tag). An ARRAY value is (element_type, [values])."""
    if isinstance(value, Raw):
        return bytes(value)
    if vtype == STRING:
        return _string(value)
    if vtype == ARRAY:
        element_type, items = value
        return struct.pack("<IQ", element_type, len(items)) + b"".join(encode_value(element_type, v) for v in items)
    return struct.pack(_SCALARS[GGUFValueType(vtype)], value)


def nested_array(depth: int, leaf=(UINT8, [1])) -> Raw:
    """An ARRAY value nested `depth` levels deep around `leaf`, as bytes (built without recursion,
    so a depth of thousands works)."""
    element_type, items = leaf
    raw = struct.pack("<IQ", element_type, len(items)) + b"".join(encode_value(element_type, v) for v in items)
    head = struct.pack("<IQ", ARRAY, 1)
    return Raw(head * depth + raw)


def llama_fields(arch: str = "llama", **overrides) -> list[tuple[str, int, object]]:
    """The header of a small llama model (2 layers, 4 heads, 2 KV heads, 64 wide, 8 tokens).

    `overrides` replace a key after the architecture prefix ("block_count", "attention.head_count")
    with (type, value), or remove it with None; keys of their own can be added the same way
    by their full name (use **{"general.alignment": (UINT32, 0)})."""
    fields = {
        "general.architecture": (STRING, arch),
        "general.name": (STRING, "hostile"),
        f"{arch}.block_count": (UINT32, 2),
        f"{arch}.context_length": (UINT32, 256),
        f"{arch}.embedding_length": (UINT32, 64),
        f"{arch}.feed_forward_length": (UINT32, 128),
        f"{arch}.attention.head_count": (UINT32, 4),
        f"{arch}.attention.head_count_kv": (UINT32, 2),
        f"{arch}.attention.layer_norm_rms_epsilon": (FLOAT32, 1e-5),
        "tokenizer.ggml.model": (STRING, "gpt2"),
        "tokenizer.ggml.tokens": (ARRAY, (STRING, [f"t{i}" for i in range(8)])),
        "tokenizer.ggml.token_type": (ARRAY, (INT32, [1] * 8)),
        "tokenizer.ggml.merges": (ARRAY, (STRING, [])),
    }
    for key, value in overrides.items():
        full = key if "." in key and key.split(".")[0] in ("general", "tokenizer", arch) else f"{arch}.{key}"
        if value is None:
            fields.pop(full, None)
        else:
            fields[full] = value
    return [(key, vtype, value) for key, (vtype, value) in fields.items()]


def write_gguf(path: Path, fields, tensors=(("token_embd.weight", (64, 8)),), version: int = 3,
               alignment: int = 32, n_fields: int | None = None) -> Path:
    """Write a GGUF: `fields` as (key, type, value), then F32 tensors of the given shapes, zero-filled."""
    out = bytearray(b"GGUF" + struct.pack("<I", version))
    out += struct.pack("<QQ", len(tensors), len(fields) if n_fields is None else n_fields)
    for key, vtype, value in fields:
        out += _string(key) + struct.pack("<I", vtype) + encode_value(vtype, value)
    offset, blobs = 0, []
    for name, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        out += _string(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
        out += struct.pack("<IQ", GGML_F32, offset)
        blobs.append(bytes(4 * n))
        offset += -(-4 * n // alignment) * alignment
    out += bytes(-len(out) % alignment)
    for blob in blobs:
        out += blob + bytes(-len(blob) % alignment)
    path = Path(path)
    path.write_bytes(bytes(out))
    return path


def _skip_value(data: bytes, pos: int, vtype: int) -> int:
    """The position after a value of type `vtype` starting at `pos` (arrays walked without recursion)."""
    pending = [(vtype, 1)]  # (type, how many values of it follow)
    while pending:
        vtype, count = pending.pop()
        for done in range(count):
            if vtype == STRING:
                (length,) = struct.unpack_from("<Q", data, pos)
                pos += 8 + length
            elif vtype == ARRAY:
                element_type, length = struct.unpack_from("<IQ", data, pos)
                pos += 12
                if element_type in (STRING, ARRAY):
                    pending.append((vtype, count - done - 1))  # this array's siblings, after its elements
                    pending.append((element_type, length))
                    break
                pos += struct.calcsize(_SCALARS[GGUFValueType(element_type)]) * length
            else:
                pos += struct.calcsize(_SCALARS[GGUFValueType(vtype)])
    return pos


def rewrite_fields(src: Path, dest: Path, changes: dict[str, tuple | None]) -> Path:
    """A copy of a real model with header fields replaced, removed (None) or added: key -> (type, value).
    The weights are copied unchanged (tensor offsets are relative to the data section)."""
    data = Path(src).read_bytes()
    version, n_tensors, n_fields = struct.unpack_from("<IQQ", data, 4)
    pos, kept, alignment = 24, [], 32
    for _ in range(n_fields):
        start = pos
        (key_length,) = struct.unpack_from("<Q", data, pos)
        key = data[pos + 8: pos + 8 + key_length].decode()
        (vtype,) = struct.unpack_from("<I", data, pos + 8 + key_length)
        pos = _skip_value(data, pos + 12 + key_length, vtype)
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", data, pos - 4)
        if key not in changes:
            kept.append(data[start:pos])
    tensors_start = pos
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<Q", data, pos)
        pos += 8 + name_length
        (n_dims,) = struct.unpack_from("<I", data, pos)
        pos += 4 + 8 * n_dims + 4 + 8
    tensor_infos = data[tensors_start:pos]
    data_start = -(-pos // alignment) * alignment
    added = [_string(key) + struct.pack("<I", vtype) + encode_value(vtype, value)
             for key, change in changes.items() if change is not None for vtype, value in [change]]
    fields = kept + added
    head = b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(fields)) + b"".join(fields) + tensor_infos
    with open(dest, "wb") as out:
        out.write(head + bytes(-len(head) % alignment))
        out.write(memoryview(data)[data_start:])
    return Path(dest)


def llama_tensors(n_layer: int = 2, n_embd: int = 64, n_head: int = 4, n_head_kv: int = 2, head_k: int = 16,
                  head_v: int = 16, n_ff: int = 128, n_vocab: int = 8) -> list[tuple[str, tuple[int, ...]]]:
    """Every tensor a llama model of these sizes needs, shaped as llama.cpp checks them, so a load
    gets past the tensors to the graph (where a hostile header's sizes meet llama.cpp's assertions)."""
    tensors = [("token_embd.weight", (n_embd, n_vocab)), ("output_norm.weight", (n_embd,)),
               ("output.weight", (n_embd, n_vocab))]
    for i in range(n_layer):
        tensors += [
            (f"blk.{i}.attn_norm.weight", (n_embd,)),
            (f"blk.{i}.attn_q.weight", (n_embd, n_head * head_k)),
            (f"blk.{i}.attn_k.weight", (n_embd, n_head_kv * head_k)),
            (f"blk.{i}.attn_v.weight", (n_embd, n_head_kv * head_v)),
            (f"blk.{i}.attn_output.weight", (n_head * head_k, n_embd)),
            (f"blk.{i}.ffn_norm.weight", (n_embd,)),
            (f"blk.{i}.ffn_gate.weight", (n_embd, n_ff)),
            (f"blk.{i}.ffn_up.weight", (n_embd, n_ff)),
            (f"blk.{i}.ffn_down.weight", (n_ff, n_embd)),
        ]
    return tensors
