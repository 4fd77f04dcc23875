"""The open conversation: sending, streaming a reply into the view, stop, regenerate, edit,
and saving every message to the store as it completes (a stopped reply is saved as far as it got).

What is on screen is never dropped: if the conversation's row has gone from the database (another
KV Chat deleted it), the next write saves the conversation again as a new one first and says so.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from app.core.conversation_io import PortableConversation, PortableMessage, into_store
from app.core.store import DEFAULT_TITLE, Conversation, ConversationStore, StoredMessage, StoreError
from app.engine.history_fit import DROP_OLDEST
from app.engine.host import EngineHost
from app.engine.records import ChatMessage, SamplingParams
from app.ui.chat.chat_view import ChatView
from app.ui.chat.composer import Composer
from app.ui.chat.conversation_list import shown_title
from app.ui.tasks import spawn

TITLE_LENGTH = 48

_log = logging.getLogger(__name__)


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

    def __init__(self, host: EngineHost, store: ConversationStore, view: ChatView, composer: Composer, parent=None):
        super().__init__(parent)
        self.host = host
        self.store = store
        self.view = view
        self.composer = composer
        self.conversation: Conversation | None = None
        self.messages: list[StoredMessage] = []
        self._reply: asyncio.Task | None = None
        self._editing: int | None = None  # index in self.messages of the message being edited
        self._saved_again_as: dict[int, int] = {}  # a vanished conversation's id -> its new id
        self.overflow_policy = DROP_OLDEST
        composer.sig_send.connect(self.send)
        composer.sig_stop.connect(self.stop)
        composer.sig_cancel_edit.connect(self._on_cancel_edit)
        view.sig_edit.connect(self._on_edit_requested)
        view.sig_regenerate.connect(self.regenerate)

    @property
    def replying(self) -> bool:
        return self._reply is not None and not self._reply.done()

    # -- conversations ----------------------------------------------------------------------

    async def open(self, conversation_id: int | None) -> None:
        await self.stop_and_wait()
        conversation = self.store.conversation(conversation_id) if conversation_id is not None else None
        if conversation is None:
            conversation = self.store.create_conversation()
            self.sig_titles_changed.emit()
        self.conversation = conversation
        self.messages = self.store.messages(conversation.id)
        self._saved_again_as.clear()
        self._set_editing(None)
        self.view.show_messages(self.messages)

    def update_settings(self, system_prompt: str, sampling: SamplingParams) -> None:
        if self.conversation is None:
            return
        self._keep_conversation()
        self.store.update_settings(self.conversation.id, system_prompt, sampling)
        self.conversation = replace(self.conversation, system_prompt=system_prompt, sampling=sampling)

    def rename(self, title: str) -> None:
        """Give the open conversation a new title."""
        if self.conversation is None:
            return
        self._keep_conversation()
        self.store.rename(self.conversation.id, title)
        self.conversation = replace(self.conversation, title=title.strip() or DEFAULT_TITLE)

    # -- a conversation deleted elsewhere ---------------------------------------------------

    def _keep_conversation(self) -> None:
        """Before a write: if the open conversation's row is gone, save what is on screen again."""
        if self.store.conversation(self.conversation.id) is None:
            self._save_again()

    def _save_again(self) -> None:
        """Save the open conversation (title, system prompt, sampling, messages) as a new one."""
        old = self.conversation
        portable = PortableConversation(old.title, old.system_prompt, old.sampling, tuple(
            PortableMessage(m.role, m.content, m.stats, m.finish_reason) for m in self.messages))
        new_id = into_store(self.store, portable)
        saved = self.store.messages(new_id)
        if len(saved) != len(self.messages):
            raise StoreError(self.tr("The conversation could not be saved again: {saved} of {total} messages "
                                     "were written.").format(saved=len(saved), total=len(self.messages)))
        new_ids = {m.id: s.id for m, s in zip(self.messages, saved)}
        self.messages = [replace(m, id=s.id) for m, s in zip(self.messages, saved)]
        self.view.renumber(new_ids)
        self.conversation = replace(old, id=new_id)
        for earlier, current in self._saved_again_as.items():  # one look-up finds the latest id
            if current == old.id:
                self._saved_again_as[earlier] = new_id
        self._saved_again_as[old.id] = new_id
        _log.warning("conversation %s vanished from the store; saved again as %s", old.id, new_id)
        self.sig_titles_changed.emit()
        self.sig_saved_again.emit(self.tr(
            "“{title}” was deleted outside this window (by another KV Chat, perhaps). Nothing is lost: what "
            "this window shows was saved again as a new conversation.").format(title=shown_title(old.display_title)))

    def _add_message(self, role: str, text: str, stats=None, finish_reason: str | None = None) -> StoredMessage:
        """Save a message into the open conversation, saving the conversation again if it has vanished."""
        self._keep_conversation()
        try:
            return self.store.add_message(self.conversation.id, role, text, stats, finish_reason)
        except StoreError:
            if self.store.conversation(self.conversation.id) is not None:
                raise
        self._save_again()  # deleted between the check and the write
        return self.store.add_message(self.conversation.id, role, text, stats, finish_reason)

    # -- sending ----------------------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.replying:
            return
        if self.conversation is None:
            self.composer.edit.setPlainText(text)  # nothing typed is lost
            self.sig_error.emit(StoreError(self.tr(
                "No conversation is open to send this to: start a new conversation (Ctrl+N).")))
            return
        try:
            self._keep_conversation()
            if self._editing is not None:
                self._truncate(self._editing)
                self._set_editing(None)
            if not self.messages and self.conversation.title == DEFAULT_TITLE:
                self.rename(" ".join(text.split())[:TITLE_LENGTH])
                self.sig_titles_changed.emit()
            stored = self._add_message("user", text)
        except Exception as exc:  # shown to the user; the text goes back into the composer
            self.sig_error.emit(exc)
            self.composer.edit.setPlainText(text)  # nothing typed is lost
            return
        self.messages.append(stored)
        self.view.add_message("user", text, stored.id)
        self._start_reply()

    def regenerate(self) -> None:
        if self.replying or not self.messages or self.messages[-1].role != "assistant":
            return
        try:
            self._truncate(len(self.messages) - 1)
        except Exception as exc:  # shown; the reply on screen stays as it was
            self.sig_error.emit(exc)
            return
        self._start_reply()

    def stop(self) -> None:
        if self.replying:
            self.host.cancel()

    async def stop_and_wait(self, timeout: float | None = None) -> None:
        """Stop the reply and wait until it is saved. After `timeout` seconds (an engine that does not
        answer) the reply is abandoned: what it had written is saved all the same."""
        if not self.replying:
            return
        self.host.cancel()
        reply = self._reply
        done, _pending = await asyncio.wait([reply], timeout=timeout)
        if not done:
            _log.warning("the reply did not stop within %s s; it is saved as far as it got", timeout)
            reply.cancel()  # _stream_reply's finally saves the text
        await asyncio.gather(reply, return_exceptions=True)

    def _truncate(self, index: int) -> None:
        self.store.truncate_from(self.conversation.id, self.messages[index].id)
        del self.messages[index:]
        self.view.remove_from(index)

    def history(self) -> list[ChatMessage]:
        history = []
        if self.conversation.system_prompt.strip():
            history.append(ChatMessage("system", self.conversation.system_prompt.strip()))
        history += [ChatMessage(m.role, m.content) for m in self.messages]
        return history

    def _start_reply(self) -> None:
        self._reply = spawn(self._stream_reply(self.conversation.id, self.history(), self.conversation.sampling))

    async def _stream_reply(self, conversation_id: int, history: list[ChatMessage], sampling: SamplingParams):
        self.composer.set_replying(True)
        self.sig_replying.emit(True)
        widget = self.view.begin_reply()
        report = self.host.report
        if report is not None and not report.chat_template:
            # A base model has no chat format; it continues the last message as plain text.
            stream = self.host.complete(history[-1].content, sampling)
            widget.set_status(self.tr("No chat template: continuing the text as plain completion…"))
        else:
            stream = self.host.chat(history, sampling, overflow=self.overflow_policy)
        last = None
        error = None
        ended = False  # the stream ran to its end (not abandoned by cancelling the task)
        try:
            async with aclosing(stream) as chunks:
                async for chunk in chunks:
                    last = chunk
                    if chunk.phase == "prompt":
                        self.view.set_reading_prompt(chunk.stats.prompt_tokens)
                        if chunk.stats.dropped_messages:
                            self.sig_notice.emit(self._dropped_notice(chunk.stats.dropped_messages))
                    elif chunk.text:
                        self.view.append_reply_text(chunk.text)
                    if chunk.usage is not None:
                        self.sig_usage.emit(chunk.usage)
            ended = True
        except Exception as exc:  # shown to the user; whatever arrived is still saved
            error = exc
        finally:
            self._finish_reply(conversation_id, last, ended)
        if error is not None:
            self.sig_error.emit(error)

    def _dropped_notice(self, count: int) -> str:
        if count == 1:
            return self.tr("This conversation is longer than the model's context: the oldest message was left "
                           "out of this reply's prompt (the system prompt and the latest messages are kept). A "
                           "longer context or a smaller KV cache type keeps more.")
        return self.tr("This conversation is longer than the model's context: the {count} oldest messages were "
                       "left out of this reply's prompt (the system prompt and the latest messages are kept). A "
                       "longer context or a smaller KV cache type keeps more.").format(count=count)

    def _finish_reply(self, conversation_id: int, last, ended: bool) -> None:
        stats = last.stats if last is not None and last.stats.generated_tokens else None
        finish = last.finish_reason if ended and last is not None else "cancelled"
        text = self.view.reply_text
        stored = None
        conversation_id = self._saved_again_as.get(conversation_id, conversation_id)
        if text.strip() and self.conversation is not None and self.conversation.id == conversation_id:
            try:
                stored = self._add_message("assistant", text, stats, finish)
                self.messages.append(stored)
            except Exception as exc:  # the reply stays on screen; the user is told it was not saved
                self.sig_error.emit(exc)
        self.view.finish_reply(stats, finish, stored.id if stored else None)
        if not text.strip():
            self.view.remove_from(self.view.count - 1)
        self.composer.set_replying(False)
        self.sig_replying.emit(False)

    # -- editing ----------------------------------------------------------------------------

    def _on_edit_requested(self, message_id: int) -> None:
        if self.replying:
            return
        index = next((i for i, m in enumerate(self.messages) if m.id == message_id), None)
        if index is not None and self.messages[index].role == "user":
            self._set_editing(index)

    def _on_cancel_edit(self) -> None:
        self._set_editing(None)
        self.composer.edit.clear()

    def _set_editing(self, index: int | None) -> None:
        self._editing = index
        self.composer.set_editing(self.messages[index].content if index is not None else None)

