"""The mouse wheel scrolls a settings panel; it changes a slider, spin box or combo box only once
that has focus. Real QWheelEvents, sent to real widgets inside the real scroll area."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app.ui.chat.conversation_settings import ConversationSettings
from app.ui.side_column import scrolling
from tests.ui.kv.panel_harness import open_panel


def turn_wheel(widget, notches: int = -1) -> None:
    """One wheel turn over the middle of `widget` (negative: towards the user, scrolling down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def value_of(widget):
    return widget.currentIndex() if hasattr(widget, "currentIndex") else widget.value()


KV_WIDGETS = {"slider": "ctx_length.slider", "spin box": "ctx_length.spin", "combo box": "fa_combo",
              "K type": "k_combo", "threads": "threads_box.generation_combo"}


def kv_widget(panel, name: str):
    widget = panel
    for part in KV_WIDGETS[name].split("."):
        widget = getattr(widget, part)
    return widget


@pytest.mark.parametrize("name", ["slider", "spin box", "combo box", "K type", "threads"])
def test_the_wheel_over_an_unfocused_setting_scrolls_the_panel_and_leaves_the_setting(loop, starter_model, name):
    panel, area = open_panel(loop, starter_model)
    widget = kv_widget(panel, name)
    panel.ctx_length.spin.setValue(4096)
    widget.setCurrentIndex(1) if hasattr(widget, "setCurrentIndex") else None  # not at an end of its range
    area.ensureWidgetVisible(widget)
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() < bar.maximum()
    before, scrolled_from = value_of(widget), bar.value()
    assert not widget.hasFocus()
    for _ in range(3):
        turn_wheel(widget)
    assert value_of(widget) == before
    assert panel.ctx_length.value() == 4096
    assert bar.value() > scrolled_from
    area.close()


@pytest.mark.parametrize("name", ["slider", "spin box", "combo box"])
def test_a_focused_setting_still_takes_the_wheel(loop, starter_model, name):
    panel, area = open_panel(loop, starter_model)
    widget = kv_widget(panel, name)
    panel.ctx_length.spin.setValue(4096)
    area.ensureWidgetVisible(widget)
    widget.setFocus()
    assert widget.hasFocus()
    before = value_of(widget)
    turn_wheel(widget)
    assert value_of(widget) != before
    area.close()


def test_a_wheel_turn_alone_does_not_give_a_setting_focus(loop, starter_model):
    panel, area = open_panel(loop, starter_model)
    for widget in (kv_widget(panel, name) for name in KV_WIDGETS):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
    area.close()


def test_the_conversation_settings_scroll_instead_of_changing(qapp):
    settings = ConversationSettings()
    area = scrolling(settings)
    area.resize(380, 200)
    area.show()
    settings.temperature.setValue(0.7)
    area.ensureWidgetVisible(settings.temperature)
    bar = area.verticalScrollBar()
    before = bar.value()
    assert bar.maximum() > before
    turn_wheel(settings.temperature)
    assert settings.temperature.value() == pytest.approx(0.7)
    assert bar.value() > before
    area.close()


def test_the_models_window_file_list_ignores_a_wheel_it_has_no_focus_for(qapp):
    from app.ui.models.models_window import ModelsWindow

    window = ModelsWindow()
    try:
        window.file_combo.addItems(["a.gguf", "b.gguf", "c.gguf"])
        window.file_combo.setCurrentIndex(1)
        turn_wheel(window.file_combo)
        assert window.file_combo.currentIndex() == 1
        assert window.file_combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    finally:
        window.shutdown()
        window.close()


def test_the_kept_caches_budgets_ignore_a_wheel_they_have_no_focus_for(qapp, tmp_path):
    from app.ui.kv.kept_caches_dialog import KeptCachesDialog

    dialog = KeptCachesDialog(tmp_path)
    try:
        dialog.ram_budget.setValue(1024)
        turn_wheel(dialog.ram_budget)
        assert dialog.ram_budget.value() == 1024
        dialog.ram_budget.setFocus()
        assert dialog.ram_budget.focusPolicy() == Qt.FocusPolicy.StrongFocus
    finally:
        dialog.close()
