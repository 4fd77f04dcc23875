"""The sidebar of conversations: new, rename, delete, and search by title."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.conversation import shown_title
from app.core.store import Conversation

ID_ROLE = Qt.ItemDataRole.UserRole


class ConversationList(QWidget):
    sig_selected = Signal(int)
    """The user opened the conversation with this id."""
    sig_new = Signal()
    """The user wants a new conversation."""
    sig_renamed = Signal(int, str)
    """Conversation id got a new title."""
    sig_deleted = Signal(int)
    """The user confirmed deleting conversation id."""
    sig_search = Signal(str)
    """The search text changed."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.new_button = QPushButton(self.tr("New conversation"))
        self.new_button.setToolTip(self.tr("New conversation (Ctrl+N)"))
        self.new_button.clicked.connect(self.sig_new)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search titles"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.sig_search)
        self.list = QListWidget()
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemChanged.connect(self._on_item_edited)
        self.rename_button = QToolButton()
        self.rename_button.setText(self.tr("Rename"))
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.delete_button = QToolButton()
        self.delete_button.setText(self.tr("Delete"))
        self.delete_button.clicked.connect(self._on_delete_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._filling = False
        self.confirm_delete = True  # tests switch the dialog off

    def set_conversations(self, conversations: list[Conversation], current: int | None) -> None:
        self._filling = True
        self.list.clear()
        for c in conversations:
            title = shown_title(c.display_title)
            item = QListWidgetItem(title)
            item.setData(ID_ROLE, c.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(title)
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        self._filling = False
        has = self.list.count() > 0
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def rename_current(self) -> None:
        """Start editing the selected conversation's title in place."""
        self._on_rename_clicked()

    def focus_search(self) -> None:
        self.search.setFocus()

    def step(self, rows: int) -> None:
        """Select the conversation `rows` below (negative: above) the current one, wrapping around."""
        count = self.list.count()
        if count:
            self.list.setCurrentRow((self.list.currentRow() + rows) % count)

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item else None

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_changed(self, current, _previous) -> None:
        if not self._filling and current is not None:
            self.sig_selected.emit(current.data(ID_ROLE))

    @Slot(QListWidgetItem)
    def _on_item_edited(self, item: QListWidgetItem) -> None:
        if not self._filling:
            self.sig_renamed.emit(item.data(ID_ROLE), item.text())

    @Slot()
    def _on_rename_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    @Slot()
    def _on_delete_clicked(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        if self.confirm_delete:
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete conversation"),
                              self.tr("Delete “{title}” and all its messages?").format(title=item.text()),
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            conversation_id = item.data(ID_ROLE)
            box.finished.connect(
                lambda result: result == QMessageBox.StandardButton.Yes and self.sig_deleted.emit(conversation_id)
            )
            box.open()  # not exec(): a nested event loop would stall the engine's replies
        else:
            self.sig_deleted.emit(item.data(ID_ROLE))

    @Slot()
    def _on_context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.tr("Rename"), self._on_rename_clicked)
        menu.addAction(self.tr("Delete"), self._on_delete_clicked)
        menu.popup(self.list.viewport().mapToGlobal(pos))

