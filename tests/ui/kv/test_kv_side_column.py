"""The KV settings in the real window: the room they get in a small window, the price's heading
once the model is loaded, and thread counts chosen in the panel reaching the load."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QApplication, QScrollArea

from app.engine.config import default_batch_threads
from tests.ui.conftest import until


def test_at_1280_by_700_the_settings_get_most_of_the_side_column(window):
    window.resize(1280, 700)
    QApplication.processEvents()
    side = window.side
    area = window.kv_panel.parentWidget()
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    visible = area.viewport().height()
    pinned = window.kv_panel.summary.height()
    assert visible >= side.height() // 2, (visible, side.height())  # it was 200 of 659 px
    assert visible >= 5 * pinned
    assert window.kv_panel.summary.apply_button.isVisible()  # Apply stays in view, outside the scrolling


def test_once_loaded_the_price_says_it_is_the_loaded_ones_and_a_change_says_if_applied(window, loop):
    panel = window.kv_panel
    assert window.host.report is not None
    assert panel.summary.details.title() == "Loaded"
    panel.ctx_length.set_value(8192)
    loop.run_until_complete(panel.refresh_plan())
    assert panel.summary.details.title() == "If applied"
    assert panel.summary.status_label.text() == "Apply to reload with these settings"


def test_thread_counts_chosen_in_the_panel_reach_the_load_and_the_settings(window, windows, loop):
    panel = window.kv_panel
    box = panel.threads_box
    box.generation_combo.setCurrentIndex(box.generation_combo.findData(2))
    box.prompt_combo.setCurrentIndex(box.prompt_combo.findData(1))
    config = panel.config()
    assert (config.n_threads, config.n_threads_batch) == (2, 1)
    loop.run_until_complete(panel.refresh_plan())
    assert (panel.plan.resolved.n_threads, panel.plan.resolved.n_threads_batch) == (2, 1)
    assert "2 generating a reply, 1 reading a prompt" in panel.summary.details.threads_label.text()
    panel.summary.apply_button.click()
    loop.run_until_complete(until(lambda: not panel.busy and window.host.report is not None
                                  and window.host.report.config == config,
                                  what="the reload with the thread counts"))
    saved = json.loads(windows.settings_path.read_text())
    assert (saved["n_threads"], saved["n_threads_batch"]) == (2, 1)
    box.prompt_combo.setCurrentIndex(0)  # Auto
    assert panel.config().n_threads_batch is None
    loop.run_until_complete(panel.refresh_plan())
    assert panel.plan.resolved.n_threads_batch == default_batch_threads()
