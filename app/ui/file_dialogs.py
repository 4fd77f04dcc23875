"""The one way the app opens a file dialog: never modal (a nested event loop would stall streaming), and
in the folder last used for the same purpose, remembered in the settings across restarts."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from app.ui.settings_keeper import SettingsKeeper

# What a dialog is for: each remembers its own folder (models live elsewhere than exported chats; a chat is
# imported from where chats are exported).
MODEL = "model"
CONVERSATIONS = "conversations"
LAB_TEXT = "lab_text"


def start_folder(settings: SettingsKeeper | None, purpose: str) -> str:
    """The folder last used for `purpose` if it is still there, else the home folder (never the launch folder)."""
    folder = settings.values.last_folders.get(purpose, "") if settings is not None else ""
    return folder if folder and os.path.isdir(folder) else str(Path.home())


def remember_folder(settings: SettingsKeeper | None, purpose: str, path: str) -> None:
    """`path` was chosen for `purpose`: its folder is where the next such dialog opens."""
    if settings is None or not path:
        return
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    if folder and settings.values.last_folders.get(purpose) != folder:
        settings.change(last_folders={**settings.values.last_folders, purpose: folder})


def file_dialog(parent: QWidget, title: str, purpose: str, settings: SettingsKeeper | None, on_chosen,
                name_filters: list[str] | None = None, save: bool = False, file_name: str = "") -> QFileDialog:
    """Open (not exec) a dialog for one existing file, or a file to write when `save` (`file_name` suggested);
    `on_chosen(path)` runs after the folder is remembered. The dialog deletes itself when closed."""
    dialog = QFileDialog(parent, title, start_folder(settings, purpose))
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    if name_filters:
        dialog.setNameFilters(name_filters)
    if file_name:
        dialog.selectFile(file_name)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def chosen(path: str) -> None:
        remember_folder(settings, purpose, path)
        on_chosen(path)

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog
