"""The window with a GPU (run in a GPU build; see the `gpus` fixture): the panel's GPU settings
and per-device estimate, and the gauge's VRAM and RAM apart, from a real offloaded load."""

from __future__ import annotations

from tests.ui.conftest import until


def test_the_window_offloads_and_shows_vram_and_ram_apart(gpus, window, loop):
    gpu = gpus[0]
    report = window.host.report
    assert report.gpu_devices and report.offloaded_layers == report.model.n_layer  # auto: everything fits
    panel = window.kv_panel
    assert gpu.name in panel.gpu_box.devices_label.text() and gpu.description in panel.gpu_box.devices_label.text()
    assert panel.gpu_box.layers_combo.isEnabled() and panel.gpu_box.kv_check.isChecked()
    gauge = window.gauge.devices_label.text()
    assert f"VRAM {gpu.name}" in gauge and "RAM" in gauge and f"{report.offloaded_layers} of" in gauge
    vram = report.gpu_devices[0]
    assert f"{vram.kv_bytes / (1 << 20):,.1f} MiB" in gauge  # the bytes llama.cpp allocated there

    panel.set_types("q8_0", "q4_0")
    loop.run_until_complete(panel.refresh_plan())
    table = panel.gpu_box.devices_table.text()
    assert f"VRAM {gpu.name}" in table and "saves" in table and "fits" in table
    assert f"On {gpu.name}" in panel.summary.estimate_label.text()

    panel.gpu_box.layers_combo.setCurrentIndex(panel.gpu_box.layers_combo.findData("none"))
    plan = loop.run_until_complete(panel.refresh_plan())
    assert [d.name for d in plan.estimate.devices] == ["CPU"]
    loop.run_until_complete(window.apply(panel.config()))
    loop.run_until_complete(until(lambda: window.host.report and not window.host.report.gpu_devices))
    assert not window.gauge.devices_label.isVisible()
    assert window.settings.for_model(plan.config.model_path).gpu_layers == "none"  # remembered per model
