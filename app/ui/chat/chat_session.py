"""The open conversation in the window: the Qt side of ConversationModel (app.core.conversation).

The model owns the conversation, its messages and the reply; this adapter turns what it tells into
signals the view, the composer and the window follow, and the view's and composer's requests into
calls on the model. Nothing shown here is read back to be saved.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.core.conversation import ConversationModel
from app.core.conversation_events import ConversationEvents
from app.core.store import Conversation, ConversationStore, StoredMessage
from app.engine.backend import ChatBackend
from app.engine.history_fit import DROP_OLDEST
from app.engine.records import ChatMessage, SamplingParams
from app.ui.chat.chat_view import ChatView
from app.ui.chat.composer import Composer
from app.ui.tasks import spawn


class ChatSession(QObject):
    sig_replying = Signal(bool)
    """A reply started (True) or ended (False)."""
    sig_usage = Signal(object)
    """CacheUsage after a streamed token."""
    sig_error = Signal(object)
    """An exception the user should see."""
    sig_titles_changed = Signal()
    """A conversation was created or renamed; the sidebar should refresh."""
    sig_notice = Signal(str)
    """Something the user should know that is not an error."""
    sig_saved_again = Signal(str)
    """The conversation had vanished from the store and was saved again as a new one (the notice)."""
    sig_opened = Signal(object)
    """A conversation was opened: its messages (a list of StoredMessage), to show from the start."""
    sig_message_added = Signal(object)
    """A message (StoredMessage) was sent and saved."""
    sig_removed_from = Signal(int)
    """Message at this position and every later one are gone."""
    sig_message_changed = Signal(int, object)
    """The message at this position is now this StoredMessage (another of its versions is shown)."""
    sig_renumbered = Signal(object)
    """The messages were saved again under new store ids (a dict, old id -> new id)."""
    sig_reply_started = Signal()
    """A reply is under way after the last message."""
    sig_reply_status = Signal(str)
    """What the reply under way is doing, before its first text."""
    sig_reply_reading_prompt = Signal(object)
    """The engine reads a prompt of this many tokens."""
    sig_reply_text = Signal(str)
    """More text of the reply under way."""
    sig_reply_finished = Signal(object, object, object)
    """The reply ended: its ReplyStats (or None), finish reason and store id (None when not saved)."""
    sig_editing = Signal(object)
    """The next send replaces an earlier message with this text (None: it does not)."""
    sig_text_returned = Signal(str)
    """This text could not be sent; it goes back into the composer."""

    def __init__(self, host: ChatBackend, store: ConversationStore, view: ChatView, composer: Composer, parent=None,
                 overflow_policy: Callable[[], str] = lambda: DROP_OLDEST):
        super().__init__(parent)
        self.store = store
        self.view = view
        self.composer = composer
        self.model = ConversationModel(store, host, _SignalRelay(self), start_task=spawn,
                                       overflow_policy=overflow_policy)
        self.sig_opened.connect(view.show_messages)
        self.sig_message_added.connect(self._show_message)
        self.sig_removed_from.connect(view.remove_from)
        self.sig_message_changed.connect(view.change_message)
        self.sig_renumbered.connect(view.renumber)
        self.sig_reply_started.connect(view.begin_reply)
        self.sig_reply_status.connect(view.set_reply_status)
        self.sig_reply_reading_prompt.connect(view.set_reading_prompt)
        self.sig_reply_text.connect(view.append_reply_text)
        self.sig_reply_finished.connect(view.finish_reply)
        self.sig_replying.connect(composer.set_replying)
        self.sig_editing.connect(composer.set_editing)
        self.sig_text_returned.connect(composer.restore_text)
        composer.sig_send.connect(self.send)
        composer.sig_stop.connect(self.stop)
        composer.sig_cancel_edit.connect(self.model.cancel_edit)
        view.sig_edit.connect(self.model.start_edit)
        view.sig_regenerate.connect(self.regenerate)
        view.sig_show_version.connect(self.show_version)

    # -- the model, as the window reads and sets it -------------------------------------------

    @property
    def host(self) -> ChatBackend:
        """Where replies come from (the local engine, or a server in remote mode)."""
        return self.model.backend

    @host.setter
    def host(self, backend: ChatBackend) -> None:
        self.model.backend = backend

    @property
    def conversation(self) -> Conversation | None:
        return self.model.conversation

    @property
    def messages(self) -> list[StoredMessage]:
        return self.model.messages

    @property
    def overflow_policy(self) -> str:
        return self.model.overflow_policy

    @overflow_policy.setter
    def overflow_policy(self, policy: str) -> None:
        self.model.overflow_policy = policy

    @property
    def replying(self) -> bool:
        return self.model.replying

    async def open(self, conversation_id: int | None) -> None:
        await self.model.open(conversation_id)

    async def stop_and_wait(self, timeout: float | None = None) -> None:
        await self.model.stop_and_wait(timeout)

    def update_settings(self, system_prompt: str, sampling: SamplingParams) -> None:
        self.model.update_settings(system_prompt, sampling)

    def rename(self, title: str) -> None:
        self.model.rename(title)

    def history(self) -> list[ChatMessage]:
        return self.model.history()

    # -- the user's requests ------------------------------------------------------------------

    @Slot(str)
    def send(self, text: str) -> None:
        self.model.send(text)

    @Slot()
    def stop(self) -> None:
        self.model.stop()

    @Slot()
    def regenerate(self) -> None:
        self.model.regenerate()

    @Slot(int, int)
    def show_version(self, message_id: int, version: int) -> None:
        self.model.show_version(message_id, version)

    @Slot(object)
    def _show_message(self, message: StoredMessage) -> None:
        self.view.add_message(message.role, message.content, message.id, message.stats, message.finish_reason,
                              message.version, message.versions)


class _SignalRelay(ConversationEvents):
    """The model's events, emitted as the session's signals (same thread: delivered at once, in order)."""

    def __init__(self, session: ChatSession) -> None:
        self._session = session

    def opened(self, messages):
        self._session.sig_opened.emit(messages)

    def message_added(self, message):
        self._session.sig_message_added.emit(message)

    def message_removed_from(self, index):
        self._session.sig_removed_from.emit(index)

    def message_changed(self, index, message):
        self._session.sig_message_changed.emit(index, message)

    def renumbered(self, new_ids):
        self._session.sig_renumbered.emit(new_ids)

    def reply_started(self):
        self._session.sig_reply_started.emit()

    def reply_status(self, text):
        self._session.sig_reply_status.emit(text)

    def reply_reading_prompt(self, progress):
        self._session.sig_reply_reading_prompt.emit(progress)

    def reply_text(self, text):
        self._session.sig_reply_text.emit(text)

    def reply_finished(self, stats, finish_reason, message_id):
        self._session.sig_reply_finished.emit(stats, finish_reason, message_id)

    def replying_changed(self, replying):
        self._session.sig_replying.emit(replying)

    def usage(self, usage):
        self._session.sig_usage.emit(usage)

    def error(self, error):
        self._session.sig_error.emit(error)

    def notice(self, text):
        self._session.sig_notice.emit(text)

    def titles_changed(self):
        self._session.sig_titles_changed.emit()

    def saved_again(self, text):
        self._session.sig_saved_again.emit(text)

    def editing_changed(self, text):
        self._session.sig_editing.emit(text)

    def text_returned(self, text):
        self._session.sig_text_returned.emit(text)
