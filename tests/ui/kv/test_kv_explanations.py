"""What the KV panel says under its fields: never cut off, each line about the field it is under,
the context as typed, and a reach that stops at the trained context."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.engine.kvtypes import CACHE_TYPES
from app.engine.memory import MIB
from tests.ui.conftest import until
from tests.ui.kv.panel_harness import open_panel


def type_context(loop, qtbot, panel, text: str) -> None:
    """Type a context length into the number field as a user does, and wait for its plan."""
    spin = panel.ctx_length.spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)
    tokens = int(text.replace(",", ""))
    loop.run_until_complete(until(lambda: panel.plan is not None and panel.plan.config.n_ctx == tokens,
                                  what="the plan for the typed context"))


def test_every_explanation_is_as_tall_as_its_text_with_all_of_them_showing(loop, qtbot, starter_model):
    panel, area = open_panel(loop, starter_model, width=400, height=500)
    type_context(loop, qtbot, panel, "32768")
    qtbot.wait(0)  # the layout requests the text changes posted
    shown = {"beyond the trained context": panel.ctx_note, "the reach": panel.reach_label,
             "flash attention": panel.fa_help}
    assert "beyond the 8,192" in panel.ctx_note.text()
    for name, label in shown.items():
        assert label.isVisible() and label.text(), name
    for label in panel.findChildren(QLabel):
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.text()
    area.close()


def test_the_settings_scroll_to_their_last_box_and_no_further(loop, qtbot, starter_model):
    panel, area = open_panel(loop, starter_model, width=400, height=320)
    type_context(loop, qtbot, panel, "32768")
    qtbot.wait(0)
    bar = area.verticalScrollBar()
    bar.setValue(bar.maximum())
    last = panel.summary.details.geometry().bottom()
    assert bar.maximum() > 0 and panel.height() - last <= 12, (panel.height(), last)
    assert panel.height() >= panel.heightForWidth(panel.width())  # and nothing is cut
    area.close()


def test_the_context_is_shown_as_typed_and_the_allocated_cells_apart(loop, qtbot, starter_model):
    panel, area = open_panel(loop, starter_model)
    type_context(loop, qtbot, panel, "10000000")
    assert panel.ctx_length.value() == 10_000_000 and panel.ctx_length.spin.text().startswith("10,000,000")
    price = panel.summary.estimate_label.text()
    assert "for 10,000,000 tokens (10,000,128 cells allocated)" in price
    refusal = panel.summary.message_label.text()  # it does not fit: the refusal speaks of what was typed
    assert "10,000,000 tokens" in refusal and "10,000,128" not in refusal
    type_context(loop, qtbot, panel, "8192")
    assert "for 8,192 tokens" in panel.summary.estimate_label.text()
    assert "cells" not in panel.summary.estimate_label.text()
    area.close()


def test_each_precision_hint_names_the_cache_it_is_under(loop, starter_model):
    panel, area = open_panel(loop, starter_model)
    for t in CACHE_TYPES:
        panel.set_types(t.name, t.name)
        k, v = panel.k_help.text(), panel.v_help.text()
        assert k.startswith("Keys:") and not re.search(r"\b(V|values)\b", k, re.IGNORECASE), (t.name, k)
        assert v.startswith("Values:") and not re.search(r"\b(K|keys)\b", v, re.IGNORECASE), (t.name, v)
        k_tip = panel.k_combo.itemData(panel.k_combo.findData(t.name), Qt.ItemDataRole.ToolTipRole)
        v_tip = panel.v_combo.itemData(panel.v_combo.findData(t.name), Qt.ItemDataRole.ToolTipRole)
        assert (k_tip, v_tip) == (k, v)
    panel.set_types("q8_0", "q4_0")
    assert "on the values" in panel.v_help.text() and "on the keys" not in panel.v_help.text()
    area.close()


def test_the_reach_stops_at_the_trained_context_and_says_so(loop, starter_model):
    panel, area = open_panel(loop, starter_model, available_bytes=64 * 1024 * MIB)
    text = panel.reach_label.text()
    assert "whole trained context (8,192 tokens) fits" in text and "f16, q8_0, q4_0" in text
    assert "M" not in text.replace("MiB", "")  # no reach of millions of tokens for a model trained on 8k
    assert "flash attention" not in text  # no figures to compare
    assert "q4_0" in panel.reach_label.toolTip() and "flash attention off" in panel.reach_label.toolTip()
    area.close()


def test_reaches_short_of_the_trained_context_say_why_f16_reaches_less(loop, starter_model):
    panel, area = open_panel(loop, starter_model, available_bytes=520 * MIB)
    text = panel.reach_label.text()
    assert "f16 3,072, q8_0 5,888" in text
    assert "With q4_0 the whole trained context (8,192 tokens) fits" in text
    assert "f16 runs with flash attention off" in text
    area.close()


def test_the_price_is_headed_by_what_it_prices(loop, starter_model):
    panel, area = open_panel(loop, starter_model)
    details = panel.summary.details
    assert details.title() == "Before loading"
    panel.set_loaded(panel.config())
    assert details.title() == "Loaded"
    panel.ctx_length.set_value(8192)
    assert details.title() == "If applied"
    panel.ctx_length.set_value(4096)
    assert details.title() == "Loaded"
    area.close()
