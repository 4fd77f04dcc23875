"""The open conversation, without a window: its messages, the reply being written, sending, stop,
regenerate, edit-and-resend, and saving every message to the store as it completes.

Regenerate keeps the reply it replaces: the new one becomes the reply's next version, and the user
can flip back (`show_version`). The version shown is the one the conversation goes on from. An
edit-and-resend replaces the message and everything after it, versions included.

A stopped reply is saved as far as it got; a reply an error ended is saved too, marked "error". What
the user has seen is never dropped: if the conversation's row has gone from the database (another KV
Chat deleted it), the next write saves the conversation again as a new one first and says so.

The window follows the model through `ConversationEvents` (conversation_events.py): the model tells,
the window shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from dataclasses import replace

from app.core.conversation_events import ConversationEvents
from app.core.conversation_io import PortableConversation, PortableMessage, into_store
from app.core.reply_under_way import ReplyUnderWay
from app.core.store import (
    DEFAULT_TITLE,
    Conversation,
    ConversationGoneError,
    ConversationStore,
    StoredMessage,
    StoreError,
)
from app.engine.backend import ChatBackend
from app.engine.history_fit import DROP_OLDEST
from app.engine.records import ChatMessage, ReplyChunk, SamplingParams
from app.i18n import translate

TITLE_LENGTH = 48  # characters of the first message that become an untitled conversation's title
TITLE_SHOWN = 200  # characters of a title in the list; an imported title can be megabytes long
ERROR_FINISH = "error"
"""The finish reason of a reply that an error ended (what it had written is kept)."""

_log = logging.getLogger(__name__)


def kept_cache_name(conversation_id: int) -> str:
    """The name a stored conversation's kept KV cache goes by in the engine and on disk."""
    return f"conversation-{conversation_id}"


def shown_title(title: str) -> str:
    return title if len(title) <= TITLE_SHOWN else title[:TITLE_SHOWN] + "…"


def _start_task(coro: Coroutine) -> asyncio.Task:
    return asyncio.ensure_future(coro)


class ConversationModel:
    """The open conversation. `messages` is the one list of its messages, in order, as stored."""

    def __init__(self, store: ConversationStore, backend: ChatBackend, events: ConversationEvents | None = None,
                 start_task: Callable[[Coroutine], asyncio.Task] = _start_task,
                 overflow_policy: Callable[[], str] = lambda: DROP_OLDEST) -> None:
        """`overflow_policy` is asked at each reply: the setting has one owner (the settings), not a copy here."""
        self.store = store
        self.backend = backend  # replaced when the app switches to a server and back
        self.events = events or ConversationEvents()
        self._overflow_policy = overflow_policy
        self.conversation: Conversation | None = None
        self.messages: list[StoredMessage] = []
        self.editing: int | None = None  # index in messages of the message being edited
        self._reply: ReplyUnderWay | None = None
        self._start_task = start_task  # the app's task runner, so a failure reaches its error banner
        self._saved_again_as: dict[int, int] = {}  # a vanished conversation's id -> its new id

    @property
    def overflow_policy(self) -> str:
        """What a conversation longer than the context does (history_fit's DROP_OLDEST or STOP)."""
        return self._overflow_policy()

    @overflow_policy.setter
    def overflow_policy(self, policy: str) -> None:
        self._overflow_policy = lambda: policy

    @property
    def replying(self) -> bool:
        return self._reply is not None and self._reply.task is not None and not self._reply.task.done()

    @property
    def reply_text(self) -> str:
        """What the reply under way has written so far ("" when none is under way)."""
        return self._reply.text if self.replying else ""

    # -- conversations ----------------------------------------------------------------------

    async def open(self, conversation_id: int | None) -> None:
        """Open a stored conversation, or a new one (None, or an id that is not stored)."""
        await self.stop_and_wait()
        conversation = self.store.conversation(conversation_id) if conversation_id is not None else None
        if conversation is None:
            conversation = self.store.create_conversation()
            self.events.titles_changed()
        self.conversation = conversation
        self.messages = self.store.messages(conversation.id)
        self._saved_again_as.clear()
        self._set_editing(None)
        self.events.opened(list(self.messages))

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

    def history(self) -> list[ChatMessage]:
        """The conversation as the engine reads it: the system prompt, then every message."""
        history = []
        if self.conversation.system_prompt.strip():
            history.append(ChatMessage("system", self.conversation.system_prompt.strip()))
        history += [ChatMessage(m.role, m.content) for m in self.messages]
        return history

    # -- a conversation deleted elsewhere ---------------------------------------------------

    def _keep_conversation(self) -> None:
        """Before a write: if the open conversation's row is gone, save what the user has again."""
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
            raise StoreError(translate("ChatSession", "The conversation could not be saved again: {saved} of {total} "
                                       "messages were written.").format(saved=len(saved), total=len(self.messages)))
        new_ids = {m.id: s.id for m, s in zip(self.messages, saved)}
        self.messages = [replace(m, id=s.id) for m, s in zip(self.messages, saved)]
        self.conversation = replace(old, id=new_id)
        for earlier, current in self._saved_again_as.items():  # one look-up finds the latest id
            if current == old.id:
                self._saved_again_as[earlier] = new_id
        self._saved_again_as[old.id] = new_id
        _log.warning("conversation %s vanished from the store; saved again as %s", old.id, new_id)
        self.events.renumbered(new_ids)
        self.events.titles_changed()
        self.events.saved_again(translate(
            "ChatSession", "“{title}” was deleted outside this window (by another KV Chat, perhaps). Nothing is "
            "lost: what this window shows was saved again as a new conversation.").format(
                title=shown_title(old.display_title)))

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

    def send(self, text: str) -> bool:
        """Save `text` as the user's message (replacing the one being edited) and start the reply.
        False when it was not sent; the user was told why and the text given back."""
        if self.replying:
            return False
        if self.conversation is None:
            self.events.error(StoreError(translate(
                "ChatSession", "No conversation is open to send this to: start a new conversation (Ctrl+N).")))
            self.events.text_returned(text)
            return False
        try:
            self._keep_conversation()
            if self.editing is not None:
                self._truncate(self.editing)
                self._set_editing(None)
            if not self.messages and self.conversation.title == DEFAULT_TITLE:
                self.rename(" ".join(text.split())[:TITLE_LENGTH])
                self.events.titles_changed()
            stored = self._add_message("user", text)
        except Exception as exc:  # shown to the user; the text goes back to them
            self.events.error(exc)
            self.events.text_returned(text)
            return False
        self.messages.append(stored)
        self.events.message_added(stored)
        self._start_reply()
        return True

    def regenerate(self) -> None:
        """Write the last reply again. The one it replaces stays stored: the new one becomes its next version."""
        if self.replying or not self.messages or self.messages[-1].role != "assistant":
            return
        earlier = self.messages.pop()
        self.events.message_removed_from(len(self.messages))
        self._start_reply(replacing=earlier)

    def show_version(self, message_id: int, version: int) -> None:
        """Show another version of a reply (0 is the first written); it is the one the conversation goes on from."""
        index = next((i for i, m in enumerate(self.messages) if m.id == message_id), None)
        if self.replying or index is None or not 0 <= version < self.messages[index].versions:
            return
        if version == self.messages[index].version:
            return
        try:
            shown = self.store.show_version(message_id, version)
            if shown is None:  # its row went: the conversation was deleted elsewhere
                raise ConversationGoneError()
        except Exception as exc:  # shown; the version shown stays as it was
            self.events.error(exc)
            return
        self.messages[index] = shown
        self.events.message_changed(index, shown)

    def stop(self) -> None:
        """Stop the reply under way (it is saved as far as it got)."""
        if self.replying:
            self._reply.stop()

    async def stop_and_wait(self, timeout: float | None = None) -> None:
        """Stop the reply and wait until it is saved. After `timeout` seconds (an engine that does not
        answer) the reply is abandoned: what it had written is saved all the same."""
        if not self.replying:
            return
        reply = self._reply
        reply.stop()
        done, _pending = await asyncio.wait([reply.task], timeout=timeout)
        if not done:
            _log.warning("the reply did not stop within %s s; it is saved as far as it got", timeout)
            reply.task.cancel()  # _stream_reply's finally saves the text
        await asyncio.gather(reply.task, return_exceptions=True)

    async def wait_reply(self) -> None:
        """Wait until the reply under way (if any) has ended and been saved."""
        if self._reply is not None and self._reply.task is not None:
            await asyncio.gather(self._reply.task, return_exceptions=True)

    def _truncate(self, index: int) -> None:
        self.store.truncate_from(self.conversation.id, self.messages[index].id)
        del self.messages[index:]
        self.events.message_removed_from(index)

    # -- editing ----------------------------------------------------------------------------

    def start_edit(self, message_id: int) -> None:
        """The next send replaces this user message and everything after it."""
        if self.replying:
            return
        index = next((i for i, m in enumerate(self.messages) if m.id == message_id), None)
        if index is not None and self.messages[index].role == "user":
            self._set_editing(index)

    def cancel_edit(self) -> None:
        self._set_editing(None)

    def _set_editing(self, index: int | None) -> None:
        self.editing = index
        self.events.editing_changed(self.messages[index].content if index is not None else None)

    # -- the reply --------------------------------------------------------------------------

    def _start_reply(self, replacing: StoredMessage | None = None) -> None:
        reply = ReplyUnderWay(self.conversation.id, replacing)
        self._reply = reply
        reply.task = self._start_task(self._stream_reply(reply, self.history(), self.conversation.sampling))
        self.events.replying_changed(True)
        self.events.reply_started()

    def _open_stream(self, history: list[ChatMessage], sampling: SamplingParams):
        report = self.backend.report
        if report is not None and not report.chat_template:
            # A base model has no chat format; it continues the last message as plain text.
            self.events.reply_status(translate(
                "ChatSession", "No chat template: continuing the text as plain completion…"))
            return self.backend.complete(history[-1].content, sampling, conversation=self.cache_name)
        return self.backend.chat(history, sampling, overflow=self.overflow_policy, conversation=self.cache_name)

    @property
    def cache_name(self) -> str | None:
        """The name the open conversation's kept cache goes by (None when none is open)."""
        return kept_cache_name(self.conversation.id) if self.conversation is not None else None

    async def _stream_reply(self, reply: ReplyUnderWay, history: list[ChatMessage], sampling: SamplingParams) -> None:
        last: ReplyChunk | None = None
        error = None
        ended = False  # the stream ran to its end (not abandoned by cancelling the task)
        try:
            # Opened here, on the running loop: a stream belongs to the loop that reads it.
            reply.stream = self._open_stream(history, sampling)
            if reply.stop_requested:  # stopped before the stream existed
                reply.stop()
            async with aclosing(reply.stream) as chunks:
                async for chunk in chunks:
                    last = chunk
                    self._take(chunk, reply)
            ended = True
        except Exception as exc:  # shown to the user; whatever arrived is still saved
            error = exc
        finally:
            self._finish_reply(reply, last, ERROR_FINISH if error is not None else None, ended)
        if error is not None:
            self.events.error(error)

    def _take(self, chunk: ReplyChunk, reply: ReplyUnderWay) -> None:
        if chunk.phase == "prompt":
            self.events.reply_reading_prompt(reply.reading.update(chunk.stats, chunk.prompt_read))
            if chunk.stats.dropped_messages and not reply.read_prompt:
                self.events.notice(self._dropped_notice(chunk.stats.dropped_messages))
            reply.read_prompt = True
        elif chunk.text:
            reply.parts.append(chunk.text)
            self.events.reply_text(chunk.text)
        if chunk.usage is not None:
            self.events.usage(chunk.usage)

    @staticmethod
    def _dropped_notice(count: int) -> str:
        if count == 1:
            return translate("ChatSession", "This conversation is longer than the model's context: the oldest "
                             "message was left out of this reply's prompt (the system prompt and the latest messages "
                             "are kept). A longer context or a smaller KV cache type keeps more.")
        return translate("ChatSession", "This conversation is longer than the model's context: the {count} oldest "
                         "messages were left out of this reply's prompt (the system prompt and the latest messages "
                         "are kept). A longer context or a smaller KV cache type keeps more.").format(count=count)

    def _finish_reply(self, reply: ReplyUnderWay, last: ReplyChunk | None, failure: str | None, ended: bool) -> None:
        stats = last.stats if last is not None and last.stats.generated_tokens else None
        if failure is not None:
            finish = failure
        else:
            finish = last.finish_reason if ended and last is not None else "cancelled"
        text = reply.text
        stored = None
        conversation_id = self._saved_again_as.get(reply.conversation_id, reply.conversation_id)
        here = self.conversation is not None and self.conversation.id == conversation_id
        if text.strip() and here:
            try:
                stored = self._save_reply(reply, text, stats, finish)
                self.messages.append(stored)
            except Exception as exc:  # the reply stays on screen; the user is told it was not saved
                self.events.error(exc)
        self.events.reply_finished(stats, finish, stored.id if stored else None)
        if stored is not None and stored.versions > 1:
            self.events.message_changed(len(self.messages) - 1, stored)
        if not text.strip():
            self.events.message_removed_from(len(self.messages))  # the empty reply goes
            if reply.replacing is not None and here:  # nothing new was written: the reply it replaced is back
                self.messages.append(reply.replacing)
                self.events.message_added(reply.replacing)
        self.events.replying_changed(False)

    def _save_reply(self, reply: ReplyUnderWay, text: str, stats, finish: str | None) -> StoredMessage:
        """A regenerate's text as the next version of the reply it replaces; any other reply as a new message."""
        if reply.replacing is not None:
            try:
                return self.store.add_version(reply.replacing.id, text, stats, finish)
            except ConversationGoneError:
                pass  # saved again meanwhile, without that reply: this one is a message of its own
        return self._add_message("assistant", text, stats, finish)
