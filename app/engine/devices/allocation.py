"""What llama.cpp actually allocated, read from llama.cpp itself.

No llama.cpp C function returns the KV bytes. Two of its own outputs together give them
exactly:

* its allocation report (log) names each cache it created, with the cell count, the number
  of layers and the K/V types -- but the sizes only in MiB with two decimals;
* its sequence-state serialization writes, for every layer of every cache, the element type
  and the byte size of one K row and one V row (`ggml_row_size`, llama.cpp's own arithmetic).

Cells x row bytes, summed over layers, is each cache's size to the byte; the report's MiB
figures must then agree to their rounding, which `measure_kv` checks.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import numpy as np

from app.engine.memory import MIB, CacheBytes, KvBytes

_KV_SIZE = re.compile(
    r"llama_kv_cache: size =\s*([\d.]+) MiB \(\s*(\d+) cells,\s*(\d+) layers,.*?\), "
    r"K \((\w+)\):\s*([\d.]+) MiB, V \((\w+)\):\s*([\d.]+) MiB"
)
_SWA_CACHE = re.compile(r"creating\s+SWA KV cache")
_COMPUTE = re.compile(r"compute buffer size =\s*([\d.]+) MiB")
_MODEL_BUFFER = re.compile(r"(\S+) model buffer size =\s*([\d.]+) MiB")
_OUTPUT = re.compile(r"output buffer size =\s*([\d.]+) MiB")
_FLASH = re.compile(r"llama_context: flash_attn\s*=\s*(\w+)")
_STATE_HEADER = 8  # io magic (u32) + seq id (i32)


@dataclass(frozen=True)
class ReportedCache:
    """One `llama_kv_cache: size = ...` line of llama.cpp's allocation report."""

    kind: str
    cells: int
    layers: int
    type_k: str
    type_v: str
    total_mib: float
    k_mib: float
    v_mib: float


@dataclass(frozen=True)
class AllocationReport:
    caches: tuple[ReportedCache, ...]
    compute_mib: float
    model_buffers_mib: dict[str, float]
    output_mib: float
    flash_attn: str  # as llama.cpp resolved it: "enabled" / "disabled"


def parse_allocation_report(log_text: str) -> AllocationReport:
    caches = []
    next_kind = "full"
    for line in log_text.splitlines():
        if _SWA_CACHE.search(line):
            next_kind = "window"
            continue
        m = _KV_SIZE.search(line)
        if m:
            total, cells, layers, tk, k_mib, tv, v_mib = m.groups()
            caches.append(
                ReportedCache(next_kind, int(cells), int(layers), tk, tv, float(total), float(k_mib), float(v_mib))
            )
            next_kind = "full"
    flash = _FLASH.search(log_text)
    return AllocationReport(
        caches=tuple(caches),
        compute_mib=sum(float(v) for v in _COMPUTE.findall(log_text)),
        model_buffers_mib={name: float(size) for name, size in _MODEL_BUFFER.findall(log_text)},
        output_mib=sum(float(v) for v in _OUTPUT.findall(log_text)),
        flash_attn=flash.group(1) if flash else "unknown",
    )


@dataclass(frozen=True)
class CacheRows:
    """Per-layer row sizes of one cache, as llama.cpp serialized them."""

    k_rows: tuple[tuple[int, int], ...]  # (ggml type id, bytes per cell) per layer
    v_rows: tuple[tuple[int, int], ...]
    cells: int = 0  # cells of the sequence the state holds


class StateFormatError(ValueError):
    """The state blob does not have the layout this reader expects."""


def _skip_cells(blob, pos: int, cells: int) -> int:
    """Past the cells' metadata: (position i32, n_seq u32, n_seq x seq id i32) each. A one-sequence state is
    12 bytes a cell, checked at once with numpy; anything else is walked cell by cell."""
    if len(blob) >= pos + 12 * cells:
        meta = np.frombuffer(blob, dtype="<u4", count=3 * cells, offset=pos).reshape(cells, 3)
        if (meta[:, 1] == 1).all():
            return pos + 12 * cells
    for _ in range(cells):
        try:
            _pos, n_seq = struct.unpack_from("<iI", blob, pos)
        except struct.error as exc:
            raise StateFormatError(f"state ends early at byte {pos}") from exc
        pos += 8 + 4 * n_seq
    return pos


def parse_sequence_state(blob, n_caches: int) -> tuple[CacheRows, ...]:
    """Read the layer row sizes out of `llama_state_seq_get_data` for a sequence with cells in use."""
    pos = _STATE_HEADER

    def take(fmt: str):
        nonlocal pos
        try:
            values = struct.unpack_from(fmt, blob, pos)
        except struct.error as exc:
            raise StateFormatError(f"state ends early at byte {pos}") from exc
        pos += struct.calcsize(fmt)
        return values

    caches = []
    for _ in range(n_caches):
        (n_stream,) = take("<I")
        if n_stream != 1:
            raise StateFormatError(f"expected one stream, found {n_stream}")
        (cells,) = take("<I")
        if cells == 0:
            raise StateFormatError("the cache holds no cells to read rows from")
        pos = _skip_cells(blob, pos, cells)
        v_trans, n_layer = take("<II")
        if v_trans not in (0, 1) or n_layer > 10_000:
            raise StateFormatError("unexpected cache header")
        k_rows = []
        for _ in range(n_layer):
            ggml_type, row = take("<iQ")
            k_rows.append((ggml_type, row))
            pos += row * cells
        v_rows = []
        for _ in range(n_layer):
            if v_trans:
                ggml_type, element_bytes, width = take("<iII")
                row = element_bytes * width
            else:
                ggml_type, row = take("<iQ")
            v_rows.append((ggml_type, row))
            pos += row * cells
        caches.append(CacheRows(tuple(k_rows), tuple(v_rows), cells))
    if pos != len(blob):
        raise StateFormatError(f"read {pos} of {len(blob)} state bytes")
    return tuple(caches)


class AllocationMismatch(RuntimeError):
    """llama.cpp's report and its state disagree: this reader no longer matches llama.cpp."""


def measure_kv(report: AllocationReport, rows: tuple[CacheRows, ...]) -> KvBytes:
    """Exact K and V bytes per cache: llama.cpp's cell counts x llama.cpp's row sizes."""
    if len(report.caches) != len(rows):
        raise AllocationMismatch(f"report names {len(report.caches)} caches, state holds {len(rows)}")
    caches = []
    for reported, cache_rows in zip(report.caches, rows, strict=True):
        if reported.layers != len(cache_rows.k_rows):
            raise AllocationMismatch(
                f"{reported.kind} cache: report says {reported.layers} layers, state holds {len(cache_rows.k_rows)}"
            )
        k_bytes = reported.cells * sum(row for _, row in cache_rows.k_rows)
        v_bytes = reported.cells * sum(row for _, row in cache_rows.v_rows)
        for label, exact, mib in (("K", k_bytes, reported.k_mib), ("V", v_bytes, reported.v_mib)):
            if abs(exact / MIB - mib) > 0.006:
                raise AllocationMismatch(f"{reported.kind} {label}: {exact} bytes is not the reported {mib} MiB")
        caches.append(CacheBytes(reported.kind, reported.cells, reported.layers, k_bytes, v_bytes))
    return KvBytes(tuple(caches))


def kv_from_report(report: AllocationReport) -> KvBytes:
    """The report's own figures, rounded to its 0.01 MiB; used only when the state cannot be read."""
    return KvBytes(
        tuple(
            CacheBytes(c.kind, c.cells, c.layers, round(c.k_mib * MIB), round(c.v_mib * MIB))
            for c in report.caches
        )
    )


# -- per device ------------------------------------------------------------------------------
# Debug lines llama.cpp writes while placing layers (llama-model.cpp, load_tensors; the index
# n_layer is the output layer) and each KV layer (llama-kv-cache.cpp), and the size of every
# buffer it allocates, by buffer name.
_LAYER_DEVICE = re.compile(r"load_tensors: layer\s+(\d+) assigned to device (\S+?),")
_KV_LAYER_DEVICE = re.compile(r"llama_kv_cache: layer\s+(\d+): dev = (\S+)")
_BUFFER = re.compile(r"(\S+)\s+(model|KV|compute|output) buffer size =\s*([\d.]+) MiB")
_HOST_SUFFIXES = ("_Host", "_Mapped", "_REPACK")


def buffer_device(buffer_name: str) -> str:
    """The device whose memory a llama.cpp buffer lives in: "CPU" for the host's RAM (CPU
    buffers, memory-mapped weights, pinned host buffers of a GPU backend), else the GPU's name."""
    if buffer_name.startswith("CPU") or buffer_name.endswith("_Host"):
        return "CPU"
    for suffix in _HOST_SUFFIXES:
        if buffer_name.endswith(suffix):
            return buffer_name[: -len(suffix)]
    return buffer_name


@dataclass(frozen=True)
class ReportedBuffer:
    kind: str  # "model", "KV", "compute", "output"
    name: str  # llama.cpp's buffer name: "Vulkan0", "CPU_Mapped", "Vulkan_Host"
    mib: float

    @property
    def device(self) -> str:
        return buffer_device(self.name)


@dataclass(frozen=True)
class DeviceReport:
    """Where llama.cpp placed each layer, each cache's layers and each buffer."""

    layer_devices: tuple[str, ...]  # per repeating layer
    output_device: str
    cache_layer_devices: tuple[tuple[str, ...], ...]  # per cache, per layer it holds
    buffers: tuple[ReportedBuffer, ...]

    def mib(self, kind: str, device: str) -> float:
        return sum(b.mib for b in self.buffers if b.kind == kind and b.device == device)

    @property
    def devices(self) -> tuple[str, ...]:
        seen = ["CPU"]
        for d in (*self.layer_devices, self.output_device, *(b.device for b in self.buffers)):
            if d not in seen:
                seen.append(d)
        return tuple(seen)


def parse_device_report(lines: list[tuple[int, str]]) -> DeviceReport:
    layers: dict[int, str] = {}
    caches: list[tuple[str, ...]] = []
    current: list[str] = []
    buffers = []
    for _level, line in lines:
        if m := _LAYER_DEVICE.search(line):
            layers[int(m.group(1))] = m.group(2)
        elif m := _KV_LAYER_DEVICE.search(line):
            current.append(m.group(2))
        elif _KV_SIZE.search(line):
            caches.append(tuple(current))
            current = []
        elif m := _BUFFER.search(line):
            buffers.append(ReportedBuffer(m.group(2), m.group(1), float(m.group(3))))
    n_layer = max(layers) if layers else 0  # the highest index is the output layer
    return DeviceReport(
        layer_devices=tuple(layers.get(il, "CPU") for il in range(n_layer)),
        output_device=layers.get(n_layer, "CPU"),
        cache_layer_devices=tuple(caches),
        buffers=tuple(buffers),
    )


def kv_by_device(report: AllocationReport, rows: tuple[CacheRows, ...], devices: DeviceReport
                 ) -> dict[str, tuple[int, int]]:
    """Exact (K, V) bytes per device: each cache layer's rows x cells, on the device llama.cpp
    put that layer's cache on. Each device's sum must agree with its `KV buffer size` line."""
    if len(devices.cache_layer_devices) != len(rows):
        raise AllocationMismatch(f"report places {len(devices.cache_layer_devices)} caches, state holds {len(rows)}")
    by_device: dict[str, tuple[int, int]] = {}
    for reported, cache_rows, layer_devices in zip(report.caches, rows, devices.cache_layer_devices, strict=True):
        if len(layer_devices) != len(cache_rows.k_rows):
            raise AllocationMismatch(f"{reported.kind} cache: {len(layer_devices)} layers placed, "
                                     f"{len(cache_rows.k_rows)} in the state")
        for device, (_, k_row), (_, v_row) in zip(layer_devices, cache_rows.k_rows, cache_rows.v_rows, strict=True):
            k, v = by_device.get(device, (0, 0))
            by_device[device] = (k + reported.cells * k_row, v + reported.cells * v_row)
    for device, (k, v) in by_device.items():
        reported_mib = devices.mib("KV", device)
        if abs((k + v) / MIB - reported_mib) > 0.006 * max(1, len(rows)):
            raise AllocationMismatch(f"{device}: {k + v} KV bytes is not the reported {reported_mib} MiB")
    return by_device


@dataclass(frozen=True)
class DeviceAllocation:
    """What one device holds for the loaded model, from llama.cpp's report."""

    name: str  # "CPU" for the host's RAM
    description: str
    is_gpu: bool
    weights_bytes: int  # its model buffers (0.01 MiB resolution; memory-mapped weights count as mapped)
    k_bytes: int  # exact
    v_bytes: int  # exact
    compute_bytes: int  # its compute and output buffers (0.01 MiB resolution)

    @property
    def kv_bytes(self) -> int:
        return self.k_bytes + self.v_bytes

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes


def device_allocations(devices: DeviceReport, kv: dict[str, tuple[int, int]], gpus) -> tuple[DeviceAllocation, ...]:
    """One entry per device that holds anything, the CPU first; `gpus` name the GPUs' descriptions."""
    described = {d.name: d.description for d in gpus}
    out = []
    for name in devices.devices:
        k, v = kv.get(name, (0, 0))
        out.append(DeviceAllocation(
            name=name,
            description=described.get(name, ""),
            is_gpu=name != "CPU",
            weights_bytes=round(devices.mib("model", name) * MIB),
            k_bytes=k,
            v_bytes=v,
            compute_bytes=round((devices.mib("compute", name) + devices.mib("output", name)) * MIB),
        ))
    return tuple(out)


def kv_by_device_from_report(kv: KvBytes, devices: DeviceReport) -> dict[str, tuple[int, int]]:
    """(K, V) per device from the rounded `KV buffer size` lines, split as the whole cache is;
    used only when the state cannot be read (the report is then marked inexact)."""
    k_share = kv.k_bytes / kv.total if kv.total else 0.5
    totals = {d: devices.mib("KV", d) * MIB for d in devices.devices}
    return {d: (round(b * k_share), round(b * (1 - k_share))) for d, b in totals.items()}
