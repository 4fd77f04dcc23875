"""The conversations a window shows: the sidebar's list, the open one and its own settings.

Opening, starting, deleting, renaming and searching go through here. A conversation that cannot be
shown gives way to a new one, and the banner says why; nothing is deleted that the user did not delete.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from app.core.store import ConversationStore
from app.ui.chat.chat_session import ChatSession
from app.ui.chat.composer import Composer
from app.ui.chat.conversation_list import ConversationList
from app.ui.chat.conversation_settings import ConversationSettings
from app.ui.settings_keeper import SettingsKeeper
from app.ui.tasks import spawn


class Conversations(QObject):
    sig_failure = Signal(object, str, str)
    """An error to show: the exception, the message ({reason} is the error's own words), the banner key."""
    sig_notice = Signal(str, str)
    """Something the user should know that is not an error, and its banner key."""
    sig_deleted = Signal(int)
    """Conversation id was deleted from the store (what was kept for it should go too)."""

    def __init__(self, store: ConversationStore, session: ChatSession, sidebar: ConversationList,
                 settings_form: ConversationSettings, composer: Composer, settings: SettingsKeeper, parent=None):
        super().__init__(parent)
        self._store = store
        self._session = session
        self._sidebar = sidebar
        self._settings_form = settings_form
        self._composer = composer
        self._settings = settings
        sidebar.sig_new.connect(lambda: spawn(self.new()))
        sidebar.sig_selected.connect(lambda conversation_id: spawn(self.open(conversation_id)))
        sidebar.sig_renamed.connect(self._on_renamed)
        sidebar.sig_deleted.connect(lambda conversation_id: spawn(self.delete(conversation_id)))
        sidebar.sig_search.connect(lambda _text: self.refresh())
        sidebar.sig_resort.connect(self.refresh)
        sidebar.sig_search_left.connect(composer.focus_input)
        settings_form.sig_changed.connect(self._on_settings_changed)
        session.sig_titles_changed.connect(self.refresh)
        session.sig_saved_again.connect(self._on_saved_again)

    def _open_id(self) -> int | None:
        return self._session.conversation.id if self._session.conversation else None

    @Slot()
    def refresh(self) -> None:
        """The sidebar again, from the store (filtered by its search)."""
        try:
            conversations = self._store.conversations(self._sidebar.search.text())
        except Exception as exc:  # the list stays as it was; the chat goes on
            self.sig_failure.emit(exc, self.tr("The list of conversations could not be read ({reason})."), "general")
            return
        self._sidebar.set_conversations(conversations, self._open_id())

    def latest(self) -> int | None:
        """The most recent conversation's id (None when there is none, or the list cannot be read)."""
        try:
            existing = self._store.conversations()
        except Exception as exc:  # start on a new conversation
            self.sig_failure.emit(exc, self.tr("The list of conversations could not be read ({reason})."), "general")
            return None
        return existing[0].id if existing else None

    async def open(self, conversation_id: int | None) -> None:
        """Show a conversation; one that cannot be shown gives way to a new one, and the banner says why."""
        self._settings_form.flush()
        try:
            await self._show(conversation_id)
        except Exception as exc:
            if conversation_id is None:
                raise
            self.sig_failure.emit(exc, self.tr(
                "This conversation cannot be shown ({reason}), so a new one was started. Nothing was deleted."), "open")
            await self._show(None)

    async def _show(self, conversation_id: int | None) -> None:
        await self._session.open(conversation_id)
        conversation = self._session.conversation
        self._settings_form.set_values(conversation.system_prompt, conversation.sampling)
        self._settings.values.last_conversation = conversation.id  # saved with the settings at close
        self.refresh()
        self._composer.focus_input()

    async def new(self) -> None:
        """Start a conversation from the default settings: what one conversation was given (a max tokens
        of 20 for a quick test) never silently cuts the next one short."""
        await self._session.stop_and_wait()
        conversation = self._store.create_conversation()
        await self.open(conversation.id)

    async def delete(self, conversation_id: int) -> None:
        if self._open_id() == conversation_id:
            await self._session.stop_and_wait()
        self._store.delete(conversation_id)
        self.sig_deleted.emit(conversation_id)
        if self._open_id() == conversation_id:
            await self.open(self.latest())
        else:
            self.refresh()

    def step(self, rows: int) -> None:
        self._sidebar.step(rows)

    @Slot(str)
    def _on_saved_again(self, notice: str) -> None:
        self.sig_notice.emit(notice, "saved-again")
        self._settings.values.last_conversation = self._session.conversation.id

    @Slot(int, str)
    def _on_renamed(self, conversation_id: int, title: str) -> None:
        try:
            if self._open_id() == conversation_id:
                self._session.rename(title)
            else:
                self._store.rename(conversation_id, title)
        except Exception as exc:
            self.sig_failure.emit(exc, "{reason}", "general")

    @Slot(str, object)
    def _on_settings_changed(self, system_prompt: str, sampling) -> None:
        try:
            self._session.update_settings(system_prompt, sampling)
        except Exception as exc:
            self.sig_failure.emit(exc, "{reason}", "general")
