"""The KV panel and its estimate, the model picker, drag-and-drop, and the reading-prompt state."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.engine.memory import MIB
from tests.ui.conftest import send, until


def test_the_panel_prices_every_change_before_loading(window, loop):
    panel = window.kv_panel
    loaded = window.host.report
    panel.ctx_length.spin.setValue(8192)
    panel.set_types("q8_0", "q4_0")
    loop.run_until_complete(panel.refresh_plan())
    text = panel.summary.estimate_label.text()
    assert "73.1 MiB" in text and "K 47.8 MiB + V 25.3 MiB" in text  # 76,677,120 bytes: exact, per llama.cpp
    assert "180.0 MiB" in text and "59.4 %" in text and "fits" in text
    assert "Auto: on" in panel.fa_help.text()
    assert "q4_0" in panel.reach_label.text() and "f16" in panel.reach_label.text()
    assert panel.plan.estimate.kv_bytes == 76_677_120
    assert window.host.report is loaded  # nothing was loaded by looking
    assert panel.summary.apply_button.isEnabled() and "Apply" in panel.summary.status_label.text()


def test_beyond_the_trained_context_is_warned(window, loop):
    panel = window.kv_panel
    panel.ctx_length.spin.setValue(16384)
    loop.run_until_complete(panel.refresh_plan())
    assert "beyond the 8,192" in panel.ctx_note.text()
    assert panel.summary.apply_button.isEnabled()  # allowed, with the warning


def test_a_context_that_does_not_fit_is_refused_with_the_estimate(window, loop):
    panel = window.kv_panel
    panel.set_types("f32", "f32")
    panel.ctx_length.spin.setValue(16_000_000)
    loop.run_until_complete(panel.refresh_plan())
    assert "does not fit" in panel.summary.estimate_label.text()
    assert "available" in panel.summary.message_label.text() and "shorter context" in panel.summary.message_label.text()
    assert not panel.summary.apply_button.isEnabled()


def test_slider_and_number_stay_together(window):
    panel = window.kv_panel
    panel.ctx_length.slider.setValue(12)  # in 256-token steps
    assert panel.ctx_length.spin.value() == 3072
    panel.ctx_length.spin.setValue(5000)
    assert panel.ctx_length.slider.value() == 20  # 5000 rounds up to 5120 cells


def test_the_compact_window_is_offered_and_priced_for_gemma(window, loop, gemma_model):
    panel = window.kv_panel
    panel.select_model(str(gemma_model))
    panel.ctx_length.spin.setValue(8192)
    panel.set_types("f16", "f16")
    loop.run_until_complete(panel.refresh_plan())
    assert not panel.window_check.isHidden()
    assert "39.0 MiB instead of 144.0 MiB" in panel.window_help.text()
    assert "no chat template" in panel.model_info.text()
    panel.window_check.setChecked(True)
    loop.run_until_complete(panel.refresh_plan())
    assert panel.plan.estimate.kv_bytes == 39 * MIB


def test_dropping_a_gguf_file_opens_it(window, loop, gemma_model):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(gemma_model))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    loop.run_until_complete(until(lambda: window.host.report is not None
                                  and window.host.report.model.path == str(gemma_model)
                                  and not window.kv_panel.busy, what="the dropped model to load"))
    assert window.kv_panel.model_combo.currentData() == str(gemma_model)
    settings = json.loads(window.settings_path.read_text())
    assert settings["recent_models"][0] == str(gemma_model)


def test_a_long_prompt_shows_the_reading_state(window, loop, qtbot):
    window.conversation_settings.max_tokens.setValue(4)
    window.conversation_settings.flush()
    steps = []
    window.session.sig_reply_reading_prompt.connect(steps.append)
    send(loop, qtbot, window, "Summarize: " + "the river flows past the old mill and the hills. " * 150, wait=False)
    loop.run_until_complete(until(lambda: window.chat_view.streaming is not None, what="the reply to begin"))
    status = window.chat_view.streaming.status_label
    loop.run_until_complete(until(lambda: "Reading the prompt: " in status.text(), what="the reading state"))
    assert status.isVisibleTo(window) and "% of" in status.text()
    loop.run_until_complete(until(lambda: not window.session.replying, timeout=300, what="the reply"))
    assert not window.chat_view.messages[-1].status_label.isVisibleTo(window)
    # ~1,500 tokens are read 512 at a time, and each step says how far it got.
    reads = [step.read for step in steps]
    assert len(reads) >= 3 and reads == sorted(reads) and reads[-1] >= 1024
    assert {step.total for step in steps} == {steps[0].total} and steps[0].total > reads[-1]


def test_without_a_gpu_the_gpu_settings_say_so_and_nothing_is_offloaded(window, loop):
    from app.engine.planner import available_gpus

    if available_gpus():
        pytest.skip("this build has a GPU: tests/ui/kv/test_gpu_window.py covers it")
    box = window.kv_panel.gpu_box
    assert "no GPU" in box.devices_label.text() and "README" in box.devices_label.text()
    assert not box.layers_combo.isVisibleTo(box) and not box.kv_check.isVisibleTo(box)
    assert window.host.report.offloaded_layers == 0 and not window.host.report.gpu_devices
    assert not window.gauge.devices_label.isVisible()


def test_the_gpu_fields_are_part_of_the_config_and_come_back_from_it(window, loop):
    panel = window.kv_panel
    box = panel.gpu_box
    box.layers_combo.setCurrentIndex(box.layers_combo.findData("number"))
    box.layers_spin.setValue(12)
    box.kv_check.setChecked(False)
    config = panel.config()
    assert (config.gpu_layers, config.kv_offload, config.split_mode) == (12, False, "layer")
    assert box.layers_spin.isVisibleTo(box)
    panel.set_fields(replace(config, gpu_layers="all", kv_offload=True))
    assert panel.config().gpu_layers == "all" and panel.config().kv_offload
    assert not box.layers_spin.isVisibleTo(box)


def test_the_gauge_says_when_a_gpu_holding_the_model_is_gone(window):
    from dataclasses import replace

    from app.engine.devices.allocation import DeviceAllocation

    report = window.host.report
    vanished = DeviceAllocation("CUDA7", "a GPU that is no longer there", True, 64 * MIB, 8 * MIB, 4 * MIB, 32 * MIB)
    window.gauge.set_report(replace(report, devices=(*report.devices, vanished), offloaded_layers=30))
    text = window.gauge.devices_label.text()
    assert "VRAM CUDA7" in text and "the device is gone" in text and "KV 12.0 MiB" in text
    window.gauge.set_report(report)
