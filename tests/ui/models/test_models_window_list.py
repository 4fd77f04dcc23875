"""The models window lists the model in use and the recent ones, marked, besides what the scan finds
(an empty computer included), and Esc clears its filter, then closes it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.core.test_model_library import place
from tests.reliability.models_window_fixture import models_window  # noqa: F401

MARKS = 6  # the "In KV Chat" column


def rows(window) -> dict[str, tuple[str, str]]:
    table = window.table
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, MARKS).text())
            for r in range(table.rowCount())}


def test_the_loaded_and_recent_models_are_listed_on_a_computer_with_no_other_models(
        models_window, loop, starter_model, gemma_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no LM Studio, Ollama, GPT4All or hub cache here
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    gemma = place(gemma_model, tmp_path / "elsewhere" / "gemma-3-270m.gguf")
    models_window.known = lambda: (str(starter_model), [str(starter_model), str(gemma)])
    loop.run_until_complete(models_window.refresh())
    assert rows(models_window) == {
        starter_model.stem: ("Starter model", "loaded"),
        "gemma-3-270m": ("Opened in KV Chat", "recent"),
    }
    assert models_window.status.text() == "2 models found"
    assert "No GGUF models found" not in models_window.status.text()
    models_window.table.sortItems(MARKS, Qt.SortOrder.AscendingOrder)
    assert models_window.table.item(0, MARKS).text() == "loaded"


def test_with_nothing_known_and_nothing_found_it_says_so(models_window, loop, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    loop.run_until_complete(models_window.refresh())
    assert models_window.table.rowCount() == 0 and "No GGUF models found" in models_window.status.text()


def test_escape_clears_the_filter_then_closes_the_window(models_window, qtbot):
    models_window.activateWindow()
    models_window.filter.setFocus()
    qtbot.keyClicks(models_window.filter, "gemma")
    qtbot.keyClick(models_window.filter, Qt.Key.Key_Escape)
    assert models_window.filter.text() == "" and models_window.isVisible()
    qtbot.keyClick(models_window.filter, Qt.Key.Key_Escape)
    assert not models_window.isVisible()
