"""The sidebar of conversations: new, rename, delete, search by title, and beside each conversation
whose KV cache is kept, the cache's size (in a muted type at the right; its tooltip says more).

The list is in the order of the latest activity, but while the pointer is over it the rows stay where
they are (a reply that ends elsewhere would move a row under the click); it is sorted again when the
pointer leaves. Esc in the search box clears it, and a second Esc goes back to the composer.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.conversation import shown_title
from app.core.store import Conversation
from app.ui import style

ID_ROLE = Qt.ItemDataRole.UserRole
KEPT_ROLE = Qt.ItemDataRole.UserRole + 1  # the kept cache's size, as shown ("" when none is kept)
_MARK_GAP = 8  # pixels between a title and its cache's size


class _KeptSizeDelegate(QStyledItemDelegate):
    """Draws a conversation as usual, its title elided short of the kept cache's size at the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        size = index.data(KEPT_ROLE)
        if not size:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        qstyle = widget.style() if widget is not None else QApplication.style()
        title = opt.text
        margin = qstyle.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1  # as Qt draws text
        text_rect = qstyle.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget).adjusted(
            margin, 0, -margin, 0)
        opt.text = ""
        qstyle.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)  # background, selection
        small = QFont(opt.font)
        small.setPointSizeF(max(6.0, opt.font.pointSizeF() * 0.85))
        painter.save()
        painter.setFont(small)
        size_width = painter.fontMetrics().horizontalAdvance(size)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        enabled = bool(opt.state & QStyle.StateFlag.State_Enabled)
        group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_color = opt.palette.color(group, role)
        mark_color = QColor(text_color) if selected else QColor(style.FAINT_COLOR)
        if selected:
            mark_color.setAlphaF(0.8)
        painter.setPen(mark_color)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, size)
        painter.setFont(opt.font)
        title_rect = QRect(text_rect)
        title_rect.setRight(text_rect.right() - size_width - _MARK_GAP)
        painter.setPen(text_color)
        elided = painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, title_rect.width())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        painter.restore()


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
    sig_forget_kept = Signal(int)
    """The user asked to forget conversation id's kept cache (its context menu)."""
    sig_resort = Signal()
    """The pointer left the list, which kept its rows in place for it: fill it again, in the store's order."""
    sig_search_left = Signal()
    """Esc in the empty search box: the user is done searching (the composer takes the keys)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.new_button = QPushButton(self.tr("New conversation"))
        self.new_button.setToolTip(self.tr("New conversation (Ctrl+N)"))
        self.new_button.clicked.connect(self.sig_new)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search titles"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.sig_search)
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setItemDelegate(_KeptSizeDelegate(self.list))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemChanged.connect(self._on_item_edited)
        self.list.installEventFilter(self)
        self._pointer_inside = False
        self._order_kept = False  # rows were kept in place for the pointer: sort when it leaves
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
        self._kept: dict[int, tuple[str, str]] = {}  # conversation id -> its kept cache's size and description
        self.confirm_delete = True  # tests switch the dialog off
        self.context_menu: QMenu | None = None  # the one open now

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list and event.type() == QEvent.Type.Enter:
            self._pointer_inside = True
        elif watched is self.list and event.type() == QEvent.Type.Leave:
            self._pointer_inside = False
            if self._order_kept:
                self._order_kept = False
                self.sig_resort.emit()
        elif watched is self.search and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) \
                and event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            event.accept()  # the search box's Esc, not the window's (which stops a reply)
            if event.type() == QEvent.Type.KeyPress:
                self._on_search_escape()
            return True
        return super().eventFilter(watched, event)

    def _on_search_escape(self) -> None:
        if self.search.text():
            self.search.clear()
        else:
            self.sig_search_left.emit()

    def set_conversations(self, conversations: list[Conversation], current: int | None) -> None:
        """Show these conversations (newest activity first); under the pointer the rows shown keep their places."""
        if self._pointer_inside and self.list.count():
            conversations = self._in_place(conversations)
            self._order_kept = True
        self._filling = True
        self.list.clear()
        for c in conversations:
            title = shown_title(c.display_title)
            item = QListWidgetItem(title)
            item.setData(ID_ROLE, c.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self._mark(item)
            self.list.addItem(item)
            if c.id == current:
                self.list.setCurrentItem(item)
        self._filling = False
        has = self.list.count() > 0
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def _in_place(self, conversations: list[Conversation]) -> list[Conversation]:
        """The rows shown in the order shown; a new conversation first, one that is gone left out."""
        place = {self.list.item(row).data(ID_ROLE): row for row in range(self.list.count())}
        new = [c for c in conversations if c.id not in place]
        return new + sorted((c for c in conversations if c.id in place), key=lambda c: place[c.id])

    def set_kept(self, marks: dict[int, tuple[str, str]]) -> None:
        """Beside each conversation in `marks` (id -> size, description) its kept cache; the others show none."""
        self._kept = dict(marks)
        self._filling = True  # new item data is not a rename
        for row in range(self.list.count()):
            self._mark(self.list.item(row))
        self._filling = False

    def kept_size(self, row: int) -> str:
        """What the list shows of row's kept cache ("" when it has none)."""
        return self.list.item(row).data(KEPT_ROLE) or ""

    def _mark(self, item: QListWidgetItem) -> None:
        size, description = self._kept.get(item.data(ID_ROLE), ("", ""))
        title = item.text()
        item.setData(KEPT_ROLE, size)
        item.setToolTip(f"{title}\n{description}" if description else title)

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
        if self.context_menu is not None:
            self.context_menu.deleteLater()  # the one shown before (it is closed by now)
        menu = QMenu(self)
        menu.addAction(self.tr("Rename"), self._on_rename_clicked)
        menu.addAction(self.tr("Delete"), self._on_delete_clicked)
        conversation_id = item.data(ID_ROLE)
        if conversation_id in self._kept:
            menu.addSeparator()
            menu.addAction(self.tr("Forget kept cache ({size})").format(size=self._kept[conversation_id][0]),
                           lambda: self.sig_forget_kept.emit(conversation_id))
        self.context_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))

