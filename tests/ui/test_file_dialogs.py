"""File dialogs open where the same kind of file was last chosen, across restarts, and never in the folder
the app was launched from: the real export/import dialogs over a real database and settings file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.settings import load_settings
from app.core.store import ConversationStore
from app.ui.chat.conversation_files import ConversationFiles
from app.ui.file_dialogs import MODEL, file_dialog
from app.ui.settings_keeper import SettingsKeeper


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    launch = tmp_path / "launched-here"
    launch.mkdir()
    monkeypatch.chdir(launch)
    return home


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def choose(dialog: QFileDialog, path: Path) -> None:
    """What a user's double click on a file (or typing its name and pressing Save) does."""
    dialog.selectFile(str(path))
    dialog.accept()


def folder_of(dialog: QFileDialog) -> Path:
    return Path(dialog.directory().absolutePath())


def test_export_and_import_open_in_the_folder_last_used_even_after_a_restart(home, parent, tmp_path):
    settings_file = tmp_path / "settings.json"
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    try:
        conversation = store.create_conversation("Trip plans")
        files = ConversationFiles(store, parent, SettingsKeeper(settings_file))
        first = files.export_dialog(conversation.id)
        assert folder_of(first) == home  # not the launch folder
        chats = tmp_path / "exported chats"
        chats.mkdir()
        choose(first, chats / "trip.md")
        assert (chats / "trip.md").is_file()

        again = files.export_dialog(conversation.id)
        assert folder_of(again) == chats
        again.reject()
        importing = files.import_dialog()
        assert folder_of(importing) == chats  # a chat is imported from where chats are exported
        importing.reject()

        restarted = ConversationFiles(store, parent, SettingsKeeper(settings_file))
        after_restart = restarted.import_dialog()
        assert folder_of(after_restart) == chats
        after_restart.reject()
    finally:
        store.close()


def test_each_purpose_has_its_own_folder_and_a_folder_gone_opens_home(home, parent, tmp_path):
    settings = SettingsKeeper(tmp_path / "settings.json")
    models = tmp_path / "models"
    models.mkdir()
    (models / "m.gguf").write_bytes(b"GGUF")
    chosen = []
    dialog = file_dialog(parent, "Open", MODEL, settings, chosen.append)
    choose(dialog, models / "m.gguf")
    assert chosen == [str(models / "m.gguf")]
    assert load_settings(tmp_path / "settings.json").last_folders == {MODEL: str(models)}

    other = file_dialog(parent, "Text", "lab_text", settings, chosen.append)
    assert folder_of(other) == home
    other.reject()

    (models / "m.gguf").unlink()
    models.rmdir()
    reopened = file_dialog(parent, "Open", MODEL, settings, chosen.append)
    assert folder_of(reopened) == home
    reopened.reject()


def test_a_settings_file_with_odd_folders_falls_back_to_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"last_folders": {"model": 5}}', encoding="utf-8")
    settings = load_settings(path)
    assert settings.last_folders == {} and settings.recovered_from
