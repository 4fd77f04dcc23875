"""llama.cpp's layer placement (llama-model.cpp, load_tensors) and the GPU-layer choice, as pure
arithmetic. The GPU tests (tests/gpu) hold the same functions to llama.cpp's real placement."""

from __future__ import annotations

import pytest

from app.engine.devices.gpu_layers import resolve_gpu_layers
from app.engine.devices.placement import CPU, place_layers, used_devices
from app.engine.devices.registry import Device
from app.engine.errors import KvConfigError

GIB = 1 << 30


def gpu(name: str, free_gib: float) -> Device:
    return Device(name, "test GPU", "CUDA", "gpu", int(free_gib * GIB), int(free_gib * GIB))


def test_the_last_layers_go_to_the_gpu_and_the_output_layer_counts_as_one():
    p = place_layers(30, 12, [gpu("CUDA0", 8)], kv_offload=True)
    assert p.layer_devices == (CPU,) * 19 + ("CUDA0",) * 11  # 12 = 11 repeating layers + the output layer
    assert p.output_device == "CUDA0"
    assert p.offloaded_layers == 11
    assert p.kv_devices == p.layer_devices


def test_one_layer_is_only_the_output_layer_and_n_plus_one_is_everything():
    one = place_layers(30, 1, [gpu("CUDA0", 8)], kv_offload=True)
    assert one.offloaded_layers == 0 and one.output_device == "CUDA0"
    everything = place_layers(30, 31, [gpu("CUDA0", 8)], kv_offload=True)
    assert everything.offloaded_layers == 30 and everything.output_device == "CUDA0"
    beyond = place_layers(30, 999, [gpu("CUDA0", 8)], kv_offload=True)
    assert (beyond.layer_devices, beyond.output_device) == (everything.layer_devices, everything.output_device)


def test_without_kv_offload_every_cache_layer_stays_in_ram():
    p = place_layers(30, 31, [gpu("CUDA0", 8)], kv_offload=False)
    assert p.offloaded_layers == 30
    assert p.kv_devices == (CPU,) * 30


def test_no_device_means_everything_on_the_cpu_whatever_the_count():
    p = place_layers(30, 31, [], kv_offload=True)
    assert p.devices == (CPU,)


def test_layers_are_split_over_gpus_in_proportion_to_their_free_memory():
    # 24 GiB and 8 GiB free: llama.cpp's split points are 0.75 and 1.0 of the 31 offloaded parts.
    p = place_layers(30, 31, [gpu("CUDA0", 24), gpu("CUDA1", 8)], kv_offload=True)
    # layer il goes to the first device whose split point exceeds il / 31: il < 23.25 -> CUDA0
    assert p.layer_devices == ("CUDA0",) * 24 + ("CUDA1",) * 6
    assert p.output_device == "CUDA1"


def test_a_device_reporting_no_memory_is_weighed_as_the_host():
    silent = Device("Vulkan0", "integrated", "Vulkan", "igpu", 0, 0)
    p = place_layers(10, 11, [silent, gpu("CUDA0", 16)], kv_offload=True, host_free_bytes=16 * GIB)
    assert p.layer_devices.count("Vulkan0") == 6  # half of 11 parts: il / 11 < 0.5


def test_split_mode_none_uses_the_main_gpu_only():
    gpus = (gpu("CUDA0", 8), gpu("CUDA1", 8))
    assert used_devices(gpus, "none", 1) == (gpus[1],)
    assert used_devices(gpus, "layer", 1) == gpus
    assert used_devices(gpus, "none", 2) == ()


def test_auto_takes_the_most_layers_that_fit_and_says_so():
    n, notes = resolve_gpu_layers("auto", 30, True, lambda n: n <= 20)
    assert n == 20 and "19 of 30" in notes[0]
    assert resolve_gpu_layers("auto", 30, True, lambda n: True) == (31, [])
    n, notes = resolve_gpu_layers("auto", 30, True, lambda n: False)
    assert n == 0 and notes


def test_all_none_and_counts():
    assert resolve_gpu_layers("all", 30, True, lambda n: False) == (31, [])  # "all" is what was asked
    assert resolve_gpu_layers("none", 30, True, lambda n: True) == (0, [])
    assert resolve_gpu_layers(7, 30, True, lambda n: True) == (7, [])


def test_without_a_gpu_auto_is_silent_and_an_explicit_choice_is_told():
    assert resolve_gpu_layers("auto", 30, False, lambda n: True) == (0, [])
    n, notes = resolve_gpu_layers("all", 30, False, lambda n: True)
    assert n == 0 and "CPU" in notes[0]


@pytest.mark.parametrize("value", [-1, 32, 10**9, "some", 1.5, True, None])
def test_impossible_gpu_layer_counts_are_refused_with_the_range(value):
    with pytest.raises(KvConfigError, match="GPU layers"):
        resolve_gpu_layers(value, 30, True, lambda n: True)


def test_devices_that_report_no_memory_on_a_host_that_reports_none_share_equally():
    silent = [Device(f"Vulkan{i}", "silent", "Vulkan", "gpu", 0, 0) for i in range(2)]
    p = place_layers(10, 11, silent, kv_offload=True, host_free_bytes=0)
    assert p.layer_devices.count("Vulkan0") == 6 and p.output_device == "Vulkan1"
