"""The memory gauge in the real window: the saving against f16 as llama.cpp allocated it, the Context bar
of the conversation on screen, and the bar filling while a long prompt is read."""

from __future__ import annotations

from app.engine.memory import MIB
from app.ui.style import GOOD_COLOR, mib
from tests.ui.conftest import until


def load_from_panel(window, loop) -> None:
    panel = window.kv_panel
    loop.run_until_complete(panel.refresh_plan())
    before = window.host.report
    assert loop.run_until_complete(window.apply(panel.config()))
    assert window.host.report is not before


def test_the_compact_window_saves_against_the_full_f16_cache_as_llama_cpp_allocated_it(window, loop, gemma_model):
    panel, gauge = window.kv_panel, window.gauge
    panel.select_model(str(gemma_model))
    panel.ctx_length.spin.setValue(8192)
    panel.set_types("f16", "f16")
    panel.window_check.setChecked(True)
    load_from_panel(window, loop)
    compact = window.host.report
    assert compact.compact_window and compact.kv.total == 39 * MIB  # measured: 144 MiB with the full window
    shown_f16 = compact.f16_kv_bytes
    saving = shown_f16 - compact.kv.total
    percent = 100 * saving / shown_f16
    assert f"<b>saves {mib(saving)} ({percent:.1f} %)</b>" in gauge.saving_label.text()
    assert GOOD_COLOR in gauge.saving_label.text()
    assert gauge.f16_label.text() == mib(shown_f16)
    assert f"saves <b>{mib(saving)} ({percent:.1f} %)</b>" in panel.summary.estimate_label.text()

    # The reference is what llama.cpp allocates for f16/f16 with the full-size window: load it and compare.
    panel.window_check.setChecked(False)
    load_from_panel(window, loop)
    full = window.host.report
    assert not full.compact_window
    assert full.kv.total == shown_f16 == 144 * MIB  # to the byte
    assert "saves 0.0 MiB (0.0 %)" in gauge.saving_label.text()
