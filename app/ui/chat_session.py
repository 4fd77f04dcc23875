"""The open conversation: sending, streaming a reply into the view, stop, regenerate, edit,
and saving every message to the store as it completes (a stopped reply is saved as far as it got)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from PySide6.QtCore import QObject, Signal

from app.engine.history_fit import DROP_OLDEST
from app.engine.host import EngineHost
from app.engine.records import ChatMessage, SamplingParams
from app.store import DEFAULT_TITLE, Conversation, ConversationStore, StoredMessage, StoreError
from app.ui.chat_view import ChatView
from app.ui.composer import Composer
from app.ui.tasks import spawn

TITLE_LENGTH = 48


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
        self._set_editing(None)
        self.view.clear()
        for m in self.messages:
            self.view.add_message(m.role, m.content, m.id, m.stats, m.finish_reason)

    def update_settings(self, system_prompt: str, sampling: SamplingParams) -> None:
        if self.conversation is None:
            return
        self.store.update_settings(self.conversation.id, system_prompt, sampling)
        self.conversation = Conversation(self.conversation.id, self.conversation.title, system_prompt, sampling,
                                         self.conversation.updated)

    # -- sending ----------------------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.replying or self.conversation is None:
            return
        if self._editing is not None:
            self._truncate(self._editing)
            self._set_editing(None)
        if not self.messages and self.conversation.title == DEFAULT_TITLE:
            title = " ".join(text.split())[:TITLE_LENGTH]
            self.store.rename(self.conversation.id, title)
            self.conversation = self.store.conversation(self.conversation.id)
            self.sig_titles_changed.emit()
        try:
            stored = self.store.add_message(self.conversation.id, "user", text)
        except StoreError as exc:
            self.sig_error.emit(exc)
            self.composer.edit.setPlainText(text)  # nothing typed is lost
            return
        self.messages.append(stored)
        self.view.add_message("user", text, stored.id)
        self._start_reply()

    def regenerate(self) -> None:
        if self.replying or not self.messages or self.messages[-1].role != "assistant":
            return
        self._truncate(len(self.messages) - 1)
        self._start_reply()

    def stop(self) -> None:
        if self.replying:
            self.host.cancel()

    async def stop_and_wait(self) -> None:
        if self.replying:
            self.host.cancel()
            await asyncio.gather(self._reply, return_exceptions=True)

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
        except Exception as exc:  # shown to the user; whatever arrived is still saved
            error = exc
        finally:
            self._finish_reply(conversation_id, last, error)
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

    def _finish_reply(self, conversation_id: int, last, error) -> None:
        stats = last.stats if last is not None and last.stats.generated_tokens else None
        finish = "cancelled" if error is not None or last is None else last.finish_reason
        text = self.view.reply_text
        stored = None
        if text.strip() and self.conversation is not None and self.conversation.id == conversation_id:
            try:
                stored = self.store.add_message(conversation_id, "assistant", text, stats, finish)
                self.messages.append(stored)
            except StoreError as exc:  # the reply stays on screen; the user is told it was not saved
                self.sig_error.emit(exc)
        self.view.finish_reply(stats, finish, stored.id if stored else None)
        if not text.strip():
            self.view.remove_from(len(self.view.messages) - 1)
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

