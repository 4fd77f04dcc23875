"""The compute devices this llama.cpp build has, read from ggml's own backend registry.

llama-cpp-python binds llama.h only, so ggml's device functions (ggml-backend.h) are called
through ctypes on the libggml it ships. Free and total memory come from the backend itself
(cudaMemGetInfo, Vulkan's memory budget, Metal's recommended working set), not from the OS.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass

import llama_cpp.llama_cpp as llama_c
from llama_cpp._ctypes_extensions import load_shared_library

from app.engine.devices.vulkan_limits import storage_buffer_limits

# enum ggml_backend_dev_type in the pinned ggml
_KINDS = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel", 4: "meta"}


@dataclass(frozen=True)
class Device:
    name: str  # ggml's device name: "CUDA0", "Vulkan0", "MTL0", "CPU"
    description: str  # what the driver calls it: "NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)"
    backend: str  # the registry it belongs to: "CUDA", "Vulkan", "Metal", "CPU"
    kind: str  # "cpu", "gpu", "igpu", "accel"
    free_bytes: int
    total_bytes: int
    max_tensor_bytes: int | None = None  # the largest tensor an operation can run on (Vulkan); None: no limit known

    @property
    def is_gpu(self) -> bool:
        return self.kind in ("gpu", "igpu")


@functools.cache
def _ggml() -> ctypes.CDLL:
    lib = load_shared_library("ggml", llama_c._base_path)
    p = ctypes.c_void_p
    for name, restype, argtypes in (
        ("ggml_backend_dev_count", ctypes.c_size_t, []),
        ("ggml_backend_dev_get", p, [ctypes.c_size_t]),
        ("ggml_backend_dev_name", ctypes.c_char_p, [p]),
        ("ggml_backend_dev_description", ctypes.c_char_p, [p]),
        ("ggml_backend_dev_memory", None, [p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)]),
        ("ggml_backend_dev_type", ctypes.c_int, [p]),
        ("ggml_backend_dev_backend_reg", p, [p]),
        ("ggml_backend_reg_name", ctypes.c_char_p, [p]),
        ("ggml_backend_reg_by_name", p, [ctypes.c_char_p]),
        ("ggml_backend_reg_get_proc_address", p, [p, ctypes.c_char_p]),
    ):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def _text(raw: bytes | None) -> str:
    return (raw or b"").decode("utf-8", errors="replace")


def _memory(lib: ctypes.CDLL, handle) -> tuple[int, int]:
    free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
    lib.ggml_backend_dev_memory(handle, ctypes.byref(free), ctypes.byref(total))
    return free.value, total.value


def list_devices() -> tuple[Device, ...]:
    """Every device of every backend compiled into this build, in ggml's registry order."""
    lib = _ggml()
    devices = []
    for i in range(lib.ggml_backend_dev_count()):
        handle = lib.ggml_backend_dev_get(i)
        free, total = _memory(lib, handle)
        backend = _text(lib.ggml_backend_reg_name(lib.ggml_backend_dev_backend_reg(handle)))
        description = _text(lib.ggml_backend_dev_description(handle))
        devices.append(Device(
            name=_text(lib.ggml_backend_dev_name(handle)),
            description=description,
            backend=backend,
            kind=_KINDS.get(lib.ggml_backend_dev_type(handle), "other"),
            free_bytes=free,
            total_bytes=total,
            max_tensor_bytes=storage_buffer_limits().get(description) if backend == "Vulkan" else None,
        ))
    return tuple(devices)


def offload_devices(devices: tuple[Device, ...]) -> tuple[Device, ...]:
    """The devices llama.cpp offloads layers to, in its order (src/llama.cpp, llama_model_load):
    the discrete GPUs, or the integrated ones when there is no discrete GPU."""
    gpus = tuple(d for d in devices if d.kind == "gpu")
    if gpus:
        return gpus
    igpus = [d for d in devices if d.kind == "igpu"]
    return tuple(d for d in igpus if d.backend == igpus[0].backend)


def gpu_offload_supported() -> bool:
    return bool(llama_c.llama_supports_gpu_offload())


def device_memory(name: str) -> tuple[int, int] | None:
    """(free, total) bytes of one device now, or None when the device is gone."""
    lib = _ggml()
    for i in range(lib.ggml_backend_dev_count()):
        handle = lib.ggml_backend_dev_get(i)
        if _text(lib.ggml_backend_dev_name(handle)) == name:
            return _memory(lib, handle)
    return None


class _Feature(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


def backend_features(backend: str) -> dict[str, str]:
    """What a backend says it was built with (ggml_backend_get_features): for CUDA, "FA_QUANTS"
    names the K/V pairs that have flash-attention kernels ("all", or "q4_0-q4_0,q8_0-q8_0,...")."""
    lib = _ggml()
    reg = lib.ggml_backend_reg_by_name(backend.encode())
    if not reg:
        return {}
    address = lib.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features")
    if not address:
        return {}
    features = ctypes.CFUNCTYPE(ctypes.POINTER(_Feature), ctypes.c_void_p)(address)(reg)
    found = {}
    for i in range(256):  # the list ends with a NULL name
        if not features or not features[i].name:
            break
        found[_text(features[i].name)] = _text(features[i].value)
    return found


def cuda_has_all_flash_attn_pairs() -> bool:
    return backend_features("CUDA").get("FA_QUANTS", "").lower() == "all"
