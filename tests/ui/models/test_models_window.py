"""The Models window: models other tools keep, opened with one click; downloads from a hub
(a loopback server here: the real hub is unreachable from these machines)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.core.model_library import OWN, own_models_dir
from app.ui.tasks import wait_all
from tests.fake_hub import FakeHub
from tests.core.test_model_library import place
from tests.ui.conftest import until

REPO = "kvchat-tests/SmolLM2-GGUF"
NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_a_model_lm_studio_keeps_is_found_and_opened(window, loop, qtbot, starter_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    place(starter_model, tmp_path / ".lmstudio" / "models" / "HuggingFaceTB" / "SmolLM2" / "smol-from-lmstudio.gguf")
    models = window.open_models()
    found = loop.run_until_complete(models.refresh())
    rows = {m.name: m for m in found}
    assert rows["smol-from-lmstudio"].source == "LM Studio"
    assert models.table.rowCount() == len(found)
    row = next(r for r in range(models.table.rowCount()) if models.table.item(r, 0).text() == "smol-from-lmstudio")
    assert models.table.item(row, 2).text() == "Q4_1" and models.table.item(row, 5).text() == "8,192"
    models.filter.setText("lmstudio")
    assert not models.table.isRowHidden(row)
    models.table.selectRow(row)
    qtbot.mouseClick(models.open_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(until(lambda: window.host.report is not None and not window.kv_panel.busy
                                  and window.host.report.model.display_name == "smol-from-lmstudio",
                                  what="the model to open"))


def test_download_cancel_resume_and_open(window, loop, qtbot, starter_model, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    models = window.open_models()
    with FakeHub(REPO, {NAME: starter_model}, chunk_delay=0.002) as hub:
        models.endpoint_field.setText(hub.endpoint)
        models.repo_field.setText(REPO)
        files = loop.run_until_complete(models.list_files())
        assert [f.name for f in files] == [NAME] and models.download_button.isEnabled()
        task = loop.create_task(models.download(REPO, NAME))
        loop.run_until_complete(until(lambda: models.progress.value() > 100, what="some progress"))
        qtbot.mouseClick(models.download_button, Qt.MouseButton.LeftButton)  # now labelled Cancel
        assert loop.run_until_complete(task) is None
        assert "cancelled" in models.download_status.text()
        assert list(own_models_dir().rglob("*.part"))
        hub.chunk_delay = 0
        path = loop.run_until_complete(models.download(REPO, NAME))
    assert path is not None and path.parent.parent == own_models_dir()
    assert "Downloaded and checked" in models.download_status.text()
    assert any(m.source == OWN and m.path == str(path) for m in models.found)


def test_columns_sort_as_people_read_them(window, loop, starter_model, gemma_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".lmstudio" / "models" / "someone" / "models"
    place(starter_model, folder / "Zeta-small.gguf")  # 94 MB, trained on 8,192
    place(gemma_model, folder / "alpha-large.gguf")  # 241 MB, trained on 32,768
    place(starter_model, folder / "beta-small.gguf")
    models = window.open_models()
    loop.run_until_complete(models.refresh())
    table = models.table

    def column(c):
        return [table.item(r, c).text() for r in range(table.rowCount())]

    # Besides the three, the starter model the window has loaded is listed (marked "loaded").
    table.sortItems(0, Qt.SortOrder.AscendingOrder)
    assert column(0) == ["alpha-large", "beta-small", starter_model.stem, "Zeta-small"]  # "Zeta" last, unlike text
    table.sortItems(3, Qt.SortOrder.DescendingOrder)
    assert column(0)[0] == "alpha-large" and column(3)[0].endswith("MB")
    table.sortItems(5, Qt.SortOrder.AscendingOrder)
    assert column(5) == ["8,192", "8,192", "8,192", "32,768"]  # as numbers: "32,768" < "8,192" as text
    table.sortItems(6, Qt.SortOrder.AscendingOrder)
    assert column(6) == ["loaded", "", "", ""] and column(0)[0] == starter_model.stem


def test_the_window_lists_the_model_it_has_loaded_and_follows_a_load(window, loop, qtbot, gemma_model, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # nothing in the usual places
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    starter = window.host.report.config.model_path
    models = window.open_models()
    loop.run_until_complete(wait_all())
    marks = {models.table.item(r, 0).data(Qt.ItemDataRole.UserRole): models.table.item(r, 6).text()
             for r in range(models.table.rowCount())}
    assert marks == {starter: "loaded"} and "No GGUF models found" not in models.status.text()

    window.open_model(str(gemma_model))  # opened elsewhere while the window is open: the marks follow
    loop.run_until_complete(wait_all())
    loop.run_until_complete(until(lambda: window.host.report is not None and not window.kv_panel.busy,
                                  what="the load"))
    loop.run_until_complete(wait_all())
    marks = {models.table.item(r, 0).data(Qt.ItemDataRole.UserRole): models.table.item(r, 6).text()
             for r in range(models.table.rowCount())}
    assert marks == {str(gemma_model): "loaded", starter: "recent"}
    qtbot.keyClick(models.table, Qt.Key.Key_Escape)
    assert not models.isVisible()
