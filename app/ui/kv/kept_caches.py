"""Kept caches in the window: each conversation's KV cache that the engine keeps across switches and
restarts (in RAM and on disk, within budgets), shown beside the conversation in the list, summed up
in the memory gauge, and listed in a dialog where the budgets are set and caches are forgotten.

The window wires it: `sig_marks` goes to the conversation list, deletions and the list's "forget"
come back here. While the chat talks to a server the kept caches do not apply and are not shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QDateTime, QLocale, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.conversation import kept_cache_name, shown_title
from app.core.settings import MAX_KEPT_MIB
from app.core.store import ConversationStore
from app.engine.host import EngineHost
from app.engine.kept.caches import KeptCache, KeptCaches
from app.engine.memory import MIB
from app.ui import style
from app.ui.banner import Banner
from app.ui.kv.memory_gauge import MemoryGauge
from app.ui.settings_keeper import SettingsKeeper
from app.ui.style import mib

_log = logging.getLogger(__name__)
BANNER_KEY = "kept-cache"
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class KeptRow:
    """One kept cache and the stored conversation it belongs to (None: one that is no longer stored)."""

    cache: KeptCache
    conversation_id: int | None
    title: str


def cache_types(cache: KeptCache) -> str:
    return cache.type_k if cache.type_k == cache.type_v else f"K {cache.type_k} / V {cache.type_v}"


def kept_size(cache: KeptCache) -> int:
    """What one kept cache takes: its file, or its state in RAM before the file is written."""
    return cache.disk_bytes or cache.ram_bytes


class KeptCachesControl(QObject):
    sig_marks = Signal(object)
    """What the conversation list shows beside each conversation with a kept cache: {id: (size, tooltip)}."""
    sig_status = Signal(str)
    """A short confirmation for the status bar."""

    def __init__(self, host: EngineHost, store: ConversationStore, settings: SettingsKeeper, gauge: MemoryGauge,
                 banner: Banner, parent: QWidget):
        super().__init__(parent)
        self._host = host
        self._store = store
        self._settings = settings
        self._gauge = gauge
        self._banner = banner
        self._parent = parent
        self._remote = False
        self._started = False
        self._shown_problem: str | None = None
        self.rows: tuple[KeptRow, ...] = ()
        self.dialog: KeptCachesDialog | None = None
        gauge.sig_open_kept_caches.connect(self.open_dialog)
        gauge.set_kept(None)

    @property
    def kept(self) -> KeptCaches | None:
        return self._host.kept

    @property
    def available(self) -> bool:
        """Whether kept caches apply now (this computer's model has them, and no server is in use)."""
        return self.kept is not None and not self._remote

    def start(self) -> None:
        """Follow the kept caches from now on (call on the running event loop): the budgets come from the
        settings, and the caches of conversations that are no longer stored are forgotten."""
        kept = self.kept
        if kept is None or self._started:
            return
        self._started = True
        self._host.watch_kept(self.refresh)
        kept.set_budgets(*self._settings.values.kept_budgets())
        stored = self._stored()
        if stored is not None and not self._store.in_memory:  # in memory: the conversations on disk are unseen
            for cache in kept.listing():
                if cache.conversation not in stored:
                    kept.forget(cache.conversation)
        self.refresh()

    def _stored(self) -> dict[str, tuple[int, str]] | None:
        """Cache name -> (conversation id, title) of every stored conversation (None: the store cannot say)."""
        try:
            return {kept_cache_name(c.id): (c.id, shown_title(c.display_title)) for c in self._store.conversations()}
        except Exception:  # the list of conversations is the window's to report; here only titles are lost
            _log.warning("kept caches: the stored conversations could not be read", exc_info=True)
            return None

    @Slot()
    def refresh(self) -> None:
        """Show the kept caches as they are now (called after every change, on the event loop)."""
        kept = self.kept
        if kept is None or not shiboken6.isValid(self) or not shiboken6.isValid(self._gauge):
            return  # the window has gone; a last change was still on its way
        stored = self._stored() or {}
        unknown = self.tr("(a conversation no longer stored)")
        self.rows = tuple(KeptRow(c, *stored.get(c.conversation, (None, unknown))) for c in kept.listing())
        self._gauge.set_kept(tuple(r.cache for r in self.rows), kept.budgets)
        self.sig_marks.emit({} if self._remote else {
            r.conversation_id: (mib(kept_size(r.cache)), self.describe(r.cache))
            for r in self.rows if r.conversation_id is not None})
        self._show_problem(kept.problem)
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.set_state(self.rows, kept.budgets, self._remote, kept.problem)

    def describe(self, cache: KeptCache) -> str:
        """A kept cache in one line, for a tooltip."""
        disk = (self.tr("{size} on disk").format(size=mib(cache.disk_bytes)) if cache.disk_bytes
                else self.tr("not on disk yet"))
        ram = self.tr("{size} in RAM").format(size=mib(cache.ram_bytes)) if cache.ram_bytes else self.tr("not in RAM")
        return self.tr("Cache kept: {tokens:,} tokens, {types}; {disk}, {ram}; {f16} at f16").format(
            tokens=cache.tokens, types=cache_types(cache), disk=disk, ram=ram, f16=mib(cache.f16_bytes))

    def _show_problem(self, problem: str | None) -> None:
        """A disk problem is said once in the banner (again only if it changes), and withdrawn once it is gone."""
        if problem == self._shown_problem:
            return
        self._shown_problem = problem
        if problem is None:
            self._banner.clear(BANNER_KEY)
        else:
            self._banner.show_message(problem, error=False, key=BANNER_KEY)

    def has_kept(self, conversation_id: int | None) -> bool:
        return self.available and any(r.conversation_id == conversation_id for r in self.rows)

    # -- what the user does -----------------------------------------------------------------

    @Slot(int)
    def forget(self, conversation_id: int) -> None:
        """Forget a stored conversation's kept cache (Chat menu, the list's context menu)."""
        self.forget_names([kept_cache_name(conversation_id)])

    @Slot(int)
    def conversation_deleted(self, conversation_id: int) -> None:
        """A deleted conversation's kept cache goes with it."""
        if self.kept is not None:
            self.kept.forget(kept_cache_name(conversation_id))
            self.refresh()

    def forget_names(self, names: list[str]) -> None:
        kept = self.kept
        if kept is None:
            return
        names = set(names)
        gone = [r.cache for r in self.rows if r.cache.conversation in names]
        for name in names:
            kept.forget(name)
        self.refresh()
        if gone:
            self.sig_status.emit(self._forgotten(gone))

    @Slot()
    def forget_all(self) -> None:
        kept = self.kept
        if kept is None:
            return
        gone = [r.cache for r in self.rows]
        kept.forget_all()
        self.refresh()
        if gone:
            self.sig_status.emit(self._forgotten(gone))

    def _forgotten(self, caches: list[KeptCache]) -> str:
        size = mib(sum(c.disk_bytes for c in caches))
        if len(caches) == 1:
            return self.tr("One kept cache forgotten ({size} on disk freed).").format(size=size)
        return self.tr("{count} kept caches forgotten ({size} on disk freed).").format(count=len(caches), size=size)

    @Slot(int, int)
    def set_budgets(self, ram_mib: int, disk_mib: int) -> None:
        """New budgets, in MiB: saved, and applied at once (caches beyond them leave RAM or the disk)."""
        self._settings.change(kept_ram_mib=ram_mib, kept_disk_mib=disk_mib)
        if self.kept is not None:
            self.kept.set_budgets(ram_mib * MIB, disk_mib * MIB)
        self.refresh()

    def set_remote(self, active: bool) -> None:
        """While the chat talks to a server, this computer's kept caches do not apply."""
        self._remote = active
        self.refresh()

    @Slot()
    def open_dialog(self) -> KeptCachesDialog | None:
        kept = self.kept
        if kept is None:
            return None
        if self.dialog is None or not shiboken6.isValid(self.dialog):
            self.dialog = KeptCachesDialog(kept.folder, self._parent)
            self.dialog.sig_forget.connect(self.forget_names)
            self.dialog.sig_forget_all.connect(self.forget_all)
            self.dialog.sig_budgets.connect(self.set_budgets)
        self.refresh()
        self.dialog.show()  # not modal: the chat goes on beside it
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog


class _Cell(QTableWidgetItem):
    """A table cell that sorts by a value of its own (bytes, tokens, time), not by its text."""

    def __init__(self, text: str, key, align_right: bool = False):
        super().__init__(text)
        self.setData(SORT_ROLE, key)
        if align_right:
            self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.data(SORT_ROLE) < other.data(SORT_ROLE)


class KeptCachesDialog(QDialog):
    """Tools → Kept caches: every kept cache, the budgets, and forgetting."""

    sig_forget = Signal(object)
    """Forget these caches (a list of cache names)."""
    sig_forget_all = Signal()
    """Forget every kept cache."""
    sig_budgets = Signal(int, int)
    """New RAM and disk budgets, in MiB."""

    def __init__(self, folder: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Kept caches"))
        intro = QLabel(self.tr(
            "When a reply ends, the conversation's KV cache is kept, in its own K and V types, so that coming "
            "back to the conversation, even after a restart, does not read its prompt again. The most recently "
            "used caches stay in RAM and on disk within the budgets below."))
        intro.setWordWrap(True)
        self.note = QLabel()  # a server is in use, or the disk has a problem
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels([
            self.tr("Conversation"), self.tr("Tokens"), self.tr("K / V"), self.tr("In RAM"), self.tr("On disk"),
            self.tr("At f16"), self.tr("Last used")])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # the most recently used first
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty = QLabel(self.tr("No conversation's cache is kept yet."))
        self.empty.setStyleSheet(style.MUTED_STYLE)
        self.totals = QLabel()
        self.forget_button = QPushButton(self.tr("Forget selected"))
        self.forget_button.clicked.connect(self._on_forget_clicked)
        self.forget_all_button = QPushButton(self.tr("Forget all"))
        self.forget_all_button.clicked.connect(self.sig_forget_all)
        actions = QHBoxLayout()
        actions.addWidget(self.totals, 1)
        actions.addWidget(self.forget_button)
        actions.addWidget(self.forget_all_button)

        self.ram_budget = self._budget_box()
        self.disk_budget = self._budget_box()
        self.apply_button = QPushButton(self.tr("Apply"))
        self.apply_button.clicked.connect(self._on_apply_clicked)
        budgets = QGroupBox(self.tr("Budgets"))
        grid = QGridLayout(budgets)
        grid.addWidget(QLabel(self.tr("In RAM")), 0, 0)
        grid.addWidget(self.ram_budget, 0, 1)
        grid.addWidget(QLabel(self.tr("On disk")), 0, 2)
        grid.addWidget(self.disk_budget, 0, 3)
        grid.addWidget(self.apply_button, 0, 5)
        grid.setColumnStretch(4, 1)
        hint = QLabel(self.tr("0 keeps none. A lower budget lets go of the least recently used caches at once; "
                              "a forgotten cache only means its prompt is read again."))
        hint.setWordWrap(True)
        hint.setStyleSheet(style.MUTED_STYLE)
        grid.addWidget(hint, 1, 0, 1, 6)
        folder_label = QLabel(self.tr("Kept in {folder}").format(folder=folder))
        folder_label.setStyleSheet(style.MUTED_STYLE)
        folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(folder_label, 2, 0, 1, 6)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        layout.addWidget(budgets)
        layout.addWidget(buttons)
        self._budgets = (-1, -1)
        self.resize(780, 480)

    def _budget_box(self) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, MAX_KEPT_MIB)
        box.setSingleStep(256)
        box.setSuffix(self.tr(" MiB"))
        box.setSpecialValueText(self.tr("keep none"))
        box.setGroupSeparatorShown(True)
        box.setMinimumWidth(140)
        box.valueChanged.connect(self._update_buttons)
        return box

    def set_state(self, rows: tuple[KeptRow, ...], budgets: tuple[int, int], remote: bool,
                  problem: str | None) -> None:
        selected = set(self.selected_names())
        self.table.setSortingEnabled(False)  # rows stay where they are put while the table fills
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            c = row.cache
            used = QDateTime.fromSecsSinceEpoch(int(c.used_at))
            cells = [
                _Cell(row.title, row.title.casefold()),
                _Cell(f"{c.tokens:,}", c.tokens, True),
                _Cell(cache_types(c), cache_types(c)),
                _Cell(mib(c.ram_bytes) if c.ram_bytes else "—", c.ram_bytes, True),
                _Cell(mib(c.disk_bytes) if c.disk_bytes else "—", c.disk_bytes, True),
                _Cell(mib(c.f16_bytes), c.f16_bytes, True),
                _Cell(self.locale().toString(used, QLocale.FormatType.ShortFormat) if c.used_at else "—",
                      c.used_at),
            ]
            cells[0].setData(NAME_ROLE, c.conversation)
            cells[0].setToolTip(row.title)
            for column, cell in enumerate(cells):
                self.table.setItem(i, column, cell)
                cell.setSelected(c.conversation in selected)
        self.table.setSortingEnabled(True)  # sorted again, by the column the user chose
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        caches = [r.cache for r in rows]
        self.totals.setText(self.tr("Together: {disk} on disk · {ram} in RAM · {f16} at f16").format(
            disk=mib(sum(c.disk_bytes for c in caches)),
            ram=mib(sum(c.ram_bytes for c in caches)), f16=mib(sum(c.f16_bytes for c in caches))) if caches else "")
        notes = []
        if remote:
            notes.append(self.tr("The chat is talking to a server: these caches are for the model on this "
                                 "computer and are not used until you go back to it."))
        if problem:
            notes.append(problem)
        self.note.setText("\n".join(notes))
        self.note.setStyleSheet(f"color: {style.WARNING_COLOR};")
        self.note.setVisible(bool(notes))
        ram, disk = budgets[0] // MIB, budgets[1] // MIB
        if (self.ram_budget.value(), self.disk_budget.value()) == self._budgets or self._budgets == (-1, -1):
            self.ram_budget.setValue(ram)  # not while the user is changing them
            self.disk_budget.setValue(disk)
        self._budgets = (ram, disk)
        self._update_buttons()

    def selected_names(self) -> list[str]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.table.item(r, 0).data(NAME_ROLE) for r in sorted(rows) if self.table.item(r, 0)]

    @Slot()
    def _update_buttons(self) -> None:
        self.forget_button.setEnabled(bool(self.selected_names()))
        self.forget_all_button.setEnabled(self.table.rowCount() > 0)
        self.apply_button.setEnabled((self.ram_budget.value(), self.disk_budget.value()) != self._budgets)

    @Slot()
    def _on_forget_clicked(self) -> None:
        names = self.selected_names()
        if names:
            self.sig_forget.emit(names)

    @Slot()
    def _on_apply_clicked(self) -> None:
        self.sig_budgets.emit(self.ram_budget.value(), self.disk_budget.value())
