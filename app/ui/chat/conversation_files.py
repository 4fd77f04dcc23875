"""File → Export / Import conversation: file dialogs (never modal loops) around conversation_io.

An import reads, checks and writes the file on a worker thread with its own SQLite connection to
the same database, in one transaction, and reports its progress to the status bar; the GUI thread
only hears the outcome. A store in memory (which another connection cannot share) imports on the
GUI thread, in one transaction too.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.conversation_io import (
    ConversationFileError,
    from_store,
    into_store,
    read_conversation,
    write_conversation,
)
from app.core.store import ConversationStore, StoreError
from app.ui.file_dialogs import CONVERSATIONS, file_dialog
from app.ui.settings_keeper import SettingsKeeper

# (description, patterns): the description is translated where the dialog is made
FILTERS = [
    (QT_TRANSLATE_NOOP("ConversationFiles", "Markdown"), "*.md"),
    (QT_TRANSLATE_NOOP("ConversationFiles", "KV Chat conversation"), "*.json"),
]

_log = logging.getLogger(__name__)


def name_filter(description: str, patterns: str) -> str:
    """A file dialog filter: the (already translated) description, then the patterns, which stay as they are."""
    return "{description} ({patterns})".format(description=description, patterns=patterns)


def name_filters() -> list[str]:
    return [name_filter(QCoreApplication.translate("ConversationFiles", description), patterns)
            for description, patterns in FILTERS]


def suggested_name(title: str) -> str:
    fallback = QCoreApplication.translate("ConversationFiles", "conversation")
    return (re.sub(r"[^\w\- ]+", "", title).strip()[:60] or fallback) + ".md"


def import_file(store: ConversationStore, path: str, progress=None) -> int:
    """Read, check and add the conversation in `path` to `store`, in one transaction; returns its id.
    Every failure is a ConversationFileError or a StoreError whose message the user can act on."""
    try:
        conversation = read_conversation(Path(path))
        return into_store(store, conversation, progress)
    except (ConversationFileError, StoreError):
        raise
    except Exception as exc:  # e.g. a progress report to a window that has gone: named, never a traceback
        _log.exception("importing %s failed unexpectedly", path)
        raise ConversationFileError(f"{type(exc).__name__}: {exc}") from exc


class ConversationFiles(QObject):
    sig_imported = Signal(int)
    """A conversation was imported as this new id."""
    sig_done = Signal(str)
    """A short note for the status bar (an import's progress too)."""
    sig_error = Signal(object)
    """An exception the user should see."""
    sig_progress = Signal(int, int)
    """An import wrote this many messages of so many."""

    # From an import's worker thread to this object, on the GUI thread (queued connections).
    _sig_worker_progress = Signal(str, int, int)
    _sig_worker_finished = Signal(str, object, object)

    def __init__(self, store: ConversationStore, parent: QWidget, settings: SettingsKeeper | None = None):
        """`settings`: where the dialogs remember their folders (None: they open in the home folder)."""
        super().__init__(parent)
        self.store = store
        self._parent = parent
        self._settings = settings
        self._imports: list[threading.Thread] = []
        self._one_import_at_a_time = threading.Lock()  # two imports would wait on each other's write lock
        self._sig_worker_progress.connect(self._on_worker_progress)
        self._sig_worker_finished.connect(self._on_worker_finished)

    def export_dialog(self, conversation_id: int) -> QFileDialog:
        conversation = self.store.conversation(conversation_id)
        dialog = file_dialog(self._parent, self.tr("Export conversation"), CONVERSATIONS, self._settings,
                             lambda path: self.export_to(conversation_id, path), name_filters(), save=True,
                             file_name=suggested_name(conversation.title if conversation else ""))
        dialog.filterSelected.connect(lambda f: dialog.setDefaultSuffix("json" if "*.json" in f else "md"))
        dialog.setDefaultSuffix("md")
        return dialog

    def import_dialog(self) -> QFileDialog:
        return file_dialog(self._parent, self.tr("Import conversation"), CONVERSATIONS, self._settings,
                           self.import_from, [name_filter(self.tr("Conversations"), "*.json *.md"), *name_filters()])

    @Slot(int, str)
    def export_to(self, conversation_id: int, path: str) -> None:
        try:
            write_conversation(from_store(self.store, conversation_id), Path(path))
        except (OSError, StoreError, ValueError) as exc:  # ValueError: text a file cannot hold
            self.sig_error.emit(OSError(self.tr("The conversation could not be exported: {error}").format(error=exc)))
            return
        self.sig_done.emit(self.tr("Exported to {path}").format(path=path))

    # -- import -----------------------------------------------------------------------------

    @Slot(str)
    def import_from(self, path: str) -> None:
        self.sig_done.emit(self.tr("Reading {name}…").format(name=Path(path).name))
        try:
            self.store.check_file()  # a database replaced meanwhile is saved again before a second connection
        except StoreError as exc:
            self.sig_error.emit(exc)
            return
        identity = self.store.file_identity
        if self.store.in_memory or identity is None:  # nothing another connection could share
            self._finish(path, *self._import_here(path))
            return
        self._imports = [thread for thread in self._imports if thread.is_alive()]
        thread = threading.Thread(target=self._import_in_worker, args=(path, self.store.path, identity),
                                  name="kvchat-import")
        self._imports.append(thread)
        thread.start()

    def wait_for_imports(self, timeout: float | None = None) -> None:
        """Let imports under way finish (their transaction commits whole or not at all)."""
        for thread in list(self._imports):
            thread.join(timeout)

    def _import_here(self, path: str):
        try:
            return import_file(self.store, path, lambda done, total: self._on_worker_progress(path, done, total)), None
        except (ConversationFileError, StoreError) as exc:
            return None, exc

    def _import_in_worker(self, path: str, store_path: Path, identity) -> None:
        """On the import thread: nothing here touches a widget; results go back through queued signals."""
        def report(done: int, total: int) -> None:
            try:
                self._sig_worker_progress.emit(path, done, total)
            except RuntimeError as exc:  # the window closed meanwhile: the import still completes
                _log.warning("import progress of %s not shown: %s", path, exc)

        new_id, error = None, None
        with self._one_import_at_a_time:
            try:
                writer = ConversationStore.attached(store_path, identity)
                try:
                    new_id = import_file(writer, path, report)
                finally:
                    writer.close()
            except (ConversationFileError, StoreError) as exc:
                error = exc
        try:
            self._sig_worker_finished.emit(path, new_id, error)
        except RuntimeError as exc:
            _log.warning("the import of %s ended after its window closed: %s", path, error or exc)

    @Slot(str, int, int)
    def _on_worker_progress(self, path: str, done: int, total: int) -> None:
        self.sig_progress.emit(done, total)
        self.sig_done.emit(self.tr("Importing {name}: {done:,} of {total:,} messages…").format(
            name=Path(path).name, done=done, total=total))

    @Slot(str, object, object)
    def _on_worker_finished(self, path: str, new_id, error) -> None:
        self._finish(path, new_id, error)

    def _finish(self, path: str, new_id: int | None, error: BaseException | None) -> None:
        name = Path(path).name
        if error is not None:
            kind = ConversationFileError if isinstance(error, ConversationFileError) else StoreError
            self.sig_error.emit(kind(self.tr("{name} cannot be imported: {error}").format(name=name, error=error)))
            self.sig_done.emit(self.tr("{name} was not imported").format(name=name))
            return
        self.sig_imported.emit(new_id)
        self.sig_done.emit(self.tr("Imported {name}").format(name=name))
