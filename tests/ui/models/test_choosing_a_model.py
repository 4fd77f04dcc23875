"""Choosing a model loads it at once, the same way from File → Open and from the KV panel's list: with the
cache settings last used for that model, else with those of the model in use (the real window and models)."""

from __future__ import annotations

from pathlib import Path

from app.ui.tasks import wait_all
from tests.ui.conftest import until


def loaded(window):
    report = window.host.report
    return report.config if report is not None else None


def settle(loop, window) -> None:
    loop.run_until_complete(wait_all())
    loop.run_until_complete(until(lambda: not window.kv_panel.busy, what="the load"))


def pick_in_the_list(window, path) -> None:
    """What a user's click on an entry of the KV panel's model list does."""
    combo = window.kv_panel.model_combo
    index = combo.findData(str(path))
    assert index >= 0, f"{path} is not in the list"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_open_and_the_list_both_load_at_once_with_the_same_settings(window, loop, starter_model, gemma_model):
    panel = window.kv_panel
    panel.set_types("q8_0", "q4_0")
    loop.run_until_complete(window.apply(panel.config()))
    assert (loaded(window).type_k, loaded(window).type_v) == ("q8_0", "q4_0")

    dialog = window.open_model_dialog()  # File → Open model…, a model never opened before
    dialog.selectFile(str(gemma_model))
    dialog.accept()
    settle(loop, window)
    assert loaded(window).model_path == str(gemma_model)
    assert (loaded(window).type_k, loaded(window).type_v) == ("q8_0", "q4_0")  # the settings in use came along
    gemma_settings = loaded(window)

    pick_in_the_list(window, starter_model)  # no Apply needed
    settle(loop, window)
    assert loaded(window).model_path == str(starter_model)
    assert (loaded(window).type_k, loaded(window).type_v) == ("q8_0", "q4_0")

    window.kv_panel.set_types("f16", "q8_0")  # changed, not applied
    pick_in_the_list(window, gemma_model)
    settle(loop, window)
    assert loaded(window) == gemma_settings  # its own settings, as File → Open gives them
    assert window.settings.last_model == str(gemma_model)

    again = window.open_model_dialog()  # opens where the last model was chosen
    assert Path(again.directory().absolutePath()) == gemma_model.parent
    again.reject()
