"""The GPU box's rows follow the devices found: none, one, several (Device values describing GPUs
this machine does not have; tests/ui/kv/test_gpu_window.py runs the real ones where there are)."""

from __future__ import annotations

from app.engine.config import LoadConfig
from app.engine.devices.registry import Device
from app.ui.kv.gpu_box import NUMBER, GpuBox

GIB = 1024**3


def gpu(n: int) -> Device:
    return Device(f"Vulkan{n}", "a described GPU", "Vulkan", "gpu", 6 * GIB, 8 * GIB)


def test_the_rows_follow_the_devices_and_the_number_field_the_choice(qapp):
    box = GpuBox()
    box.show()
    assert not box.layers_combo.isVisible() and not box.kv_check.isVisible() and "no GPU" in box.devices_label.text()
    box.show_gpus((gpu(0),))
    assert box.layers_combo.isVisible() and box.layers_help.isVisible() and box.kv_check.isVisible()
    assert not box.layers_spin.isVisible() and not box.split_combo.isVisible()
    box.set_values(LoadConfig("m.gguf", gpu_layers=12))
    assert box.layers_combo.currentData() == NUMBER and box.layers_spin.isVisible()
    box.show_gpus((gpu(0), gpu(1)))
    assert box.split_combo.isVisible() and box.layers_spin.isVisible()
    box.show_gpus(())
    assert not box.layers_combo.isVisible() and not box.layers_spin.isVisible() and not box.split_combo.isVisible()
    box.close()
