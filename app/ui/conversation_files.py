"""File → Export / Import conversation: file dialogs (never modal loops) around conversation_io."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from app.conversation_io import ConversationFileError, from_store, into_store, read_conversation, write_conversation
from app.store import ConversationStore, StoreError

# (description, patterns): the description is translated where the dialog is made
FILTERS = [
    (QT_TRANSLATE_NOOP("ConversationFiles", "Markdown"), "*.md"),
    (QT_TRANSLATE_NOOP("ConversationFiles", "KV Chat conversation"), "*.json"),
]


def name_filter(description: str, patterns: str) -> str:
    """A file dialog filter: the (already translated) description, then the patterns, which stay as they are."""
    return "{description} ({patterns})".format(description=description, patterns=patterns)


def name_filters() -> list[str]:
    return [name_filter(QCoreApplication.translate("ConversationFiles", description), patterns)
            for description, patterns in FILTERS]


def suggested_name(title: str) -> str:
    fallback = QCoreApplication.translate("ConversationFiles", "conversation")
    return (re.sub(r"[^\w\- ]+", "", title).strip()[:60] or fallback) + ".md"


class ConversationFiles(QObject):
    sig_imported = Signal(int)
    """A conversation was imported as this new id."""
    sig_done = Signal(str)
    """A short note for the status bar."""
    sig_error = Signal(object)
    """An exception the user should see."""

    def __init__(self, store: ConversationStore, parent: QWidget):
        super().__init__(parent)
        self.store = store
        self._parent = parent

    def export_dialog(self, conversation_id: int) -> QFileDialog:
        conversation = self.store.conversation(conversation_id)
        dialog = QFileDialog(self._parent, self.tr("Export conversation"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(name_filters())
        dialog.selectFile(suggested_name(conversation.title if conversation else ""))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filterSelected.connect(lambda f: dialog.setDefaultSuffix("json" if "*.json" in f else "md"))
        dialog.setDefaultSuffix("md")
        dialog.fileSelected.connect(lambda path: self.export_to(conversation_id, path))
        dialog.open()
        return dialog

    def import_dialog(self) -> QFileDialog:
        dialog = QFileDialog(self._parent, self.tr("Import conversation"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([name_filter(self.tr("Conversations"), "*.json *.md"), *name_filters()])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.import_from)
        dialog.open()
        return dialog

    @Slot(int, str)
    def export_to(self, conversation_id: int, path: str) -> None:
        try:
            write_conversation(from_store(self.store, conversation_id), Path(path))
        except (OSError, StoreError) as exc:
            self.sig_error.emit(OSError(self.tr("The conversation could not be exported: {error}").format(error=exc)))
            return
        self.sig_done.emit(self.tr("Exported to {path}").format(path=path))

    @Slot(str)
    def import_from(self, path: str) -> None:
        try:
            new_id = into_store(self.store, read_conversation(Path(path)))
        except ConversationFileError as exc:
            self.sig_error.emit(ConversationFileError(
                self.tr("{name} cannot be imported: {error}").format(name=Path(path).name, error=exc)))
            return
        except StoreError as exc:
            self.sig_error.emit(exc)
            return
        self.sig_imported.emit(new_id)
        self.sig_done.emit(self.tr("Imported {name}").format(name=Path(path).name))
