"""Tools → Kept caches: a table of every conversation's kept KV cache, the RAM and disk budgets, and
forgetting. It shows what KeptCachesControl (kept_caches.py) gives it and says what the user asks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal, Slot
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
)

from app.core.settings import MAX_KEPT_MIB
from app.engine.kept.caches import KeptCache
from app.engine.memory import MIB
from app.ui import style
from app.ui.style import mib
from app.ui.wheel_guard import guard_wheel

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
        guard_wheel(self)  # a wheel turn over a budget box it has not been clicked into changes nothing
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
