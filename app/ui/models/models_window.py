"""File → Models: the GGUF files already on this computer (opened with one click; the loaded and the
recent ones marked) and downloads from a Hugging Face repository, with progress, cancel and resume."""

from __future__ import annotations

import asyncio
import html
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.model_download import DownloadCancelled, DownloadError, RemoteFile, download_gguf, list_gguf_files
from app.core.model_library import LOADED, RECENT, FoundModel, list_models, own_models_dir
from app.core.paths import starter_model_path
from app.ui.escape_closes import close_on_escape
from app.ui.style import ERROR_COLOR, colored, file_size
from app.ui.tasks import spawn
from app.ui.wheel_guard import guard_wheel
from app.ui.window_size import resize_within_screen

DEFAULT_ENDPOINT = "https://huggingface.co"
PROGRESS_INTERVAL = 0.1  # seconds between progress-bar updates


SORT_KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class _SortableItem(QTableWidgetItem):
    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.data(SORT_KEY_ROLE) < other.data(SORT_KEY_ROLE)


class ModelsWindow(QWidget):
    sig_open_model = Signal(str)
    """Load this model file."""

    def __init__(self, parent=None, known=None):
        """`known`: () -> (the model path loaded now or None, the recent model paths), asked at each refresh."""
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(self.tr("Models"))
        self.known = known or (lambda: (None, []))
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kvchat-models")
        self._cancel = threading.Event()
        self._downloading = False
        self._rate_start: tuple[float, int] | None = None
        self.found: list[FoundModel] = []

        # Models on this computer
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name, source or architecture"))
        self.filter.textChanged.connect(self._apply_filter)
        self.refresh_button = QPushButton(self.tr("Look again"))
        self.refresh_button.clicked.connect(lambda: spawn(self.refresh()))
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Source"), self.tr("Quantization"),
                                              self.tr("Size"), self.tr("Architecture"), self.tr("Trained context"),
                                              self.tr("In KV Chat")])
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3, 5, 6):  # one line each; not Architecture, which may hold a file's long error
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _index: self._on_open_clicked())
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.clicked.connect(self._on_open_clicked)
        self.status = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.refresh_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.open_button)
        local_box = QGroupBox(self.tr("On this computer: LM Studio, Hugging Face cache, GPT4All, Ollama and KV Chat"))
        local = QVBoxLayout(local_box)
        local.addLayout(top)
        local.addWidget(self.table)
        local.addLayout(bottom)

        # Download
        self.repo_field = QLineEdit()
        self.repo_field.setPlaceholderText(self.tr("owner/repository, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF"))
        self.endpoint_field = QLineEdit(os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT))
        self.token_field = QLineEdit()
        self.token_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_field.setPlaceholderText(self.tr("only for private or gated repositories"))
        self.list_button = QPushButton(self.tr("List GGUF files"))
        self.list_button.clicked.connect(lambda: spawn(self.list_files()))
        self.file_combo = QComboBox()
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setEnabled(False)
        self.download_button.clicked.connect(self._on_download_clicked)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.download_status = QLabel(self.tr("Files are saved in {folder}").format(folder=own_models_dir()))
        self.download_status.setWordWrap(True)
        repo_row = QHBoxLayout()
        repo_row.addWidget(self.repo_field, 1)
        repo_row.addWidget(self.list_button)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_combo, 1)
        file_row.addWidget(self.download_button)
        download_box = QGroupBox(self.tr("Download from a Hugging Face repository"))
        form = QFormLayout(download_box)
        form.addRow(self.tr("Repository"), repo_row)
        form.addRow(self.tr("File"), file_row)
        form.addRow(self.tr("Hub address"), self.endpoint_field)
        form.addRow(self.tr("Access token"), self.token_field)
        form.addRow(self.progress)
        form.addRow(self.download_status)

        layout = QVBoxLayout(self)
        layout.addWidget(local_box, 3)
        layout.addWidget(download_box, 1)
        resize_within_screen(self, 980, 640)
        close_on_escape(self)
        guard_wheel(self)  # the wheel never changes a setting that does not have focus

    # -- models on this computer --------------------------------------------------------------

    async def refresh(self) -> list[FoundModel]:
        self.status.setText(self.tr("Looking…"))
        self.refresh_button.setEnabled(False)
        loaded, recent = self.known()
        try:
            self.found = await asyncio.get_running_loop().run_in_executor(
                self._pool, lambda: list_models(loaded, recent, starter_model_path()))
        finally:
            self.refresh_button.setEnabled(True)
        self.show_found(self.found)
        return self.found

    def show_found(self, found: list[FoundModel]) -> None:
        self.found = list(found)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(found))
        for row, model in enumerate(found):
            info = model.info
            trained = info.n_ctx_train if info and info.n_ctx_train else 0
            cells = [  # (shown, sorted by): names sort ignoring case, sizes and contexts as numbers
                (model.name, model.name.lower()), (model.source, model.source.lower()),
                (info.quantization if info else "",) * 2, (file_size(model.size), model.size),
                (info.architecture if info else self.tr("unreadable: {error}").format(error=model.error),) * 2,
                (f"{trained:,}" if trained else "", trained),
                (self._marks(model.marks), 0 if LOADED in model.marks else 1 if RECENT in model.marks else 2),
            ]
            for column, (text, key) in enumerate(cells):
                item = _SortableItem(text)
                item.setData(SORT_KEY_ROLE, key)
                item.setData(Qt.ItemDataRole.UserRole, model.path)
                item.setToolTip(model.path)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        # English has no catalogue to pick the singular from "%n models found", so one model is its own text.
        self.status.setText(self.tr("1 model found") if len(found) == 1 else
                            self.tr("%n models found", "", len(found)) if found else
                            self.tr("No GGUF models found in the usual places. Download one below, "
                                    "or open any .gguf file with File → Open model."))
        self._apply_filter()

    def _marks(self, marks: tuple[str, ...]) -> str:
        words = {LOADED: self.tr("loaded"), RECENT: self.tr("recent")}
        return ", ".join(words[mark] for mark in marks if mark in words)

    @Slot()
    def _apply_filter(self, *_args) -> None:
        words = self.filter.text().lower().split()
        for row in range(self.table.rowCount()):
            text = " ".join(self.table.item(row, c).text().lower() for c in range(self.table.columnCount()))
            self.table.setRowHidden(row, not all(w in text for w in words))

    def selected_path(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    @Slot()
    def _on_open_clicked(self) -> None:
        path = self.selected_path()
        if path:
            self.sig_open_model.emit(path)

    # -- downloads -------------------------------------------------------------------------------

    def _hub(self) -> tuple[str, str | None]:
        endpoint = self.endpoint_field.text().strip().rstrip("/") or DEFAULT_ENDPOINT
        return endpoint, self.token_field.text().strip() or None

    async def list_files(self) -> list[RemoteFile]:
        repo = self.repo_field.text().strip()
        if "/" not in repo:
            self.download_status.setText(self.tr("Write the repository as owner/name."))
            return []
        endpoint, token = self._hub()
        self.download_status.setText(self.tr("Asking {address}…").format(address=endpoint))
        try:
            listing = await asyncio.get_running_loop().run_in_executor(
                self._pool, lambda: list_gguf_files(repo, endpoint=endpoint, token=token))
        except DownloadError as exc:
            self.download_status.setText(str(exc))
            return []
        files = listing.files
        self.file_combo.clear()
        for f in files:
            self.file_combo.addItem(f"{f.name}  ({file_size(f.size)})", f.name)
        self.download_button.setEnabled(bool(files))
        status = (self.tr("%n GGUF files in {repo}", "", len(files)).format(repo=repo) if files else
                  self.tr("{repo} holds no GGUF files.").format(repo=repo))
        if listing.refused:
            status += " " + self.tr("Left out, because their names are paths rather than file names: {names}").format(
                names=", ".join(listing.refused[:5]) + (" …" if len(listing.refused) > 5 else ""))
        self.download_status.setText(status)
        return files

    @Slot()
    def _on_download_clicked(self) -> None:
        if self._downloading:
            self._cancel.set()
        elif self.file_combo.currentData():
            spawn(self.download(self.repo_field.text().strip(), self.file_combo.currentData()))

    async def download(self, repo: str, filename: str):
        endpoint, token = self._hub()
        loop = asyncio.get_running_loop()
        self._cancel.clear()
        self._set_downloading(True)
        last = [0.0]
        self._rate_start = None  # (time, bytes) of the first progress report: a resumed part is not counted

        def on_progress(done: int, total: int) -> None:  # on the download thread
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or done == total:
                last[0] = now
                loop.call_soon_threadsafe(self._show_progress, done, total)

        try:
            path = await loop.run_in_executor(self._pool, lambda: download_gguf(
                repo, filename, own_models_dir(), on_progress, self._cancel, endpoint=endpoint, token=token))
        except DownloadCancelled as exc:
            self.download_status.setText(str(exc))
            return None
        except DownloadError as exc:
            self.download_status.setText(colored(html.escape(str(exc)), ERROR_COLOR))
            return None
        finally:
            self._set_downloading(False)
        self.download_status.setText(self.tr("Downloaded and checked: {path}").format(path=path))
        await self.refresh()
        return path

    def _set_downloading(self, downloading: bool) -> None:
        self._downloading = downloading
        self.download_button.setText(self.tr("Cancel") if downloading else self.tr("Download"))
        self.progress.setVisible(downloading)
        for w in (self.repo_field, self.list_button, self.file_combo, self.endpoint_field, self.token_field):
            w.setEnabled(not downloading)

    def _show_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setMaximum(1000)
            self.progress.setValue(int(1000 * done / total))
        now = time.monotonic()
        if self._rate_start is None:
            self._rate_start = (now, done)
        seconds, fetched = now - self._rate_start[0], done - self._rate_start[1]
        if seconds < 1 or fetched <= 0 or not total:
            self.download_status.setText(self.tr("{done} of {total}").format(
                done=file_size(done), total=file_size(total)))
            return
        rate = fetched / seconds
        left = int((total - done) / rate)
        self.download_status.setText(self.tr("{done} of {total} · {rate}/s · {minutes}:{seconds:02d} left").format(
            done=file_size(done), total=file_size(total), rate=file_size(int(rate)), minutes=left // 60,
            seconds=left % 60))

    def shutdown(self) -> None:
        """Stop a download (it resumes next time) and the worker threads."""
        self._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
