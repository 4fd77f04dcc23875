"""The self-test's report says what it ran on, and fails when the devices' K and V do not add up."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.engine.devices.allocation import DeviceAllocation
from app.engine.devices.registry import Device
from app.ui import self_test

VULKAN = Device("Vulkan0", "llvmpipe (LLVM 15.0.6, 256 bits)", "Vulkan", "gpu", 2 << 30, 2 << 30)
CPU = Device("CPU", "AMD EPYC", "CPU", "cpu", 24 << 30, 24 << 30)
DEVICES = {d.name: d for d in (VULKAN, CPU)}


def allocation(name: str, k: int, v: int, weights: int = 1000) -> DeviceAllocation:
    return DeviceAllocation(name=name, description=VULKAN.description if name == "Vulkan0" else "",
                            is_gpu=name != "CPU", weights_bytes=weights, k_bytes=k, v_bytes=v, compute_bytes=10)


def report(devices: tuple[DeviceAllocation, ...], *, k: int, v: int, offloaded: int, estimated=None):
    return SimpleNamespace(
        config=SimpleNamespace(gpu_layers="auto"),
        model=SimpleNamespace(n_layer=30),
        offloaded_layers=offloaded,
        devices=devices,
        gpu_devices=tuple(d for d in devices if d.is_gpu),
        kv=SimpleNamespace(k_bytes=k, v_bytes=v),
        estimate=SimpleNamespace(devices=tuple(
            SimpleNamespace(name=name, k_bytes=ek, v_bytes=ev) for name, (ek, ev) in (estimated or {}).items())),
    )


def test_all_layers_on_the_gpu_are_reported_as_run_there():
    result: dict = {}
    loaded = report((allocation("CPU", 0, 0), allocation("Vulkan0", 600, 400)), k=600, v=400, offloaded=30,
                    estimated={"CPU": (0, 0), "Vulkan0": (600, 400)})
    self_test._check_allocation(result, loaded, DEVICES)
    assert result["offloaded_layers"] == 30 and result["layers"] == 30 and result["gpu_layers"] == "auto"
    assert result["ran_on"] == {"backend": "Vulkan",
                                "devices": [{"name": "Vulkan0", "description": VULKAN.description}]}
    cpu, gpu = result["allocation"]
    assert cpu["description"] == "AMD EPYC" and not cpu["is_gpu"]  # named from ggml's device list
    assert (gpu["k_bytes"], gpu["v_bytes"], gpu["is_gpu"]) == (600, 400, True)


def test_a_cpu_only_load_is_reported_as_run_on_the_cpu():
    result: dict = {}
    self_test._check_allocation(result, report((allocation("CPU", 600, 400),), k=600, v=400, offloaded=0), DEVICES)
    assert result["ran_on"] == {"backend": "CPU", "devices": [{"name": "CPU", "description": "AMD EPYC"}]}


def test_a_split_cache_passes_when_its_parts_add_up():
    result: dict = {}
    loaded = report((allocation("CPU", 100, 50), allocation("Vulkan0", 500, 350)), k=600, v=400, offloaded=25,
                    estimated={"CPU": (100, 50), "Vulkan0": (500, 350)})
    self_test._check_allocation(result, loaded, DEVICES)
    assert result["ran_on"]["backend"] == "Vulkan"


def test_devices_that_do_not_add_up_to_the_cache_fail():
    loaded = report((allocation("CPU", 100, 50), allocation("Vulkan0", 500, 300)), k=600, v=400, offloaded=25)
    with pytest.raises(RuntimeError) as failed:
        self_test._check_allocation({}, loaded, DEVICES)
    assert all(str(n) in str(failed.value) for n in (600, 350, 400))


def test_kv_on_another_device_than_estimated_fails():
    loaded = report((allocation("CPU", 600, 400), allocation("Vulkan0", 0, 0)), k=600, v=400, offloaded=30,
                    estimated={"CPU": (0, 0), "Vulkan0": (600, 400)})
    with pytest.raises(RuntimeError) as failed:
        self_test._check_allocation({}, loaded, DEVICES)
    assert "'Vulkan0': (600, 400)" in str(failed.value)


def test_the_device_list_goes_into_the_report(monkeypatch):
    import app.engine.devices.registry as devices

    monkeypatch.setattr(devices, "list_devices", lambda: (VULKAN, CPU))
    monkeypatch.setattr(devices, "gpu_offload_supported", lambda: True)
    result: dict = {}
    assert self_test._device_facts(result) == DEVICES
    assert result["gpu_offload_supported"] is True
    assert result["devices"][0] == {"name": "Vulkan0", "description": VULKAN.description, "backend": "Vulkan",
                                    "kind": "gpu", "free_bytes": 2 << 30, "total_bytes": 2 << 30}


def test_this_build_lists_at_least_the_cpu():
    result: dict = {}
    found = self_test._device_facts(result)
    assert "CPU" in found and isinstance(result["gpu_offload_supported"], bool)
    assert all(d["total_bytes"] >= d["free_bytes"] >= 0 for d in result["devices"])
