"""ConversationEvents: what the open conversation's model tells whoever shows it (app/core/conversation.py)."""

from __future__ import annotations

from app.core.prompt_progress import PromptProgress
from app.core.store import StoredMessage
from app.engine.records import CacheUsage, ReplyStats


class ConversationEvents:
    """What the model tells whoever shows it. Every method does nothing here; a window overrides those it needs."""

    def opened(self, messages: list[StoredMessage]) -> None:
        """A conversation was opened: show these messages from the start."""

    def message_added(self, message: StoredMessage) -> None:
        """A message was sent and saved (or a reply came back: a regenerate that wrote nothing)."""

    def message_removed_from(self, index: int) -> None:
        """Message `index` and every later one are gone (an edit, a regenerate, an empty reply)."""

    def message_changed(self, index: int, message: StoredMessage) -> None:
        """Message `index` is now `message`: another of its versions is shown, or a regenerate added one."""

    def renumbered(self, new_ids: dict[int, int]) -> None:
        """The messages were saved again under new store ids (old id -> new id)."""

    def reply_started(self) -> None:
        """A reply is under way; it comes after the last message."""

    def reply_status(self, text: str) -> None:
        """What the reply under way is doing, before its first text."""

    def reply_reading_prompt(self, progress: PromptProgress) -> None:
        """The engine is reading the prompt: how far it has got, and what it could take from a kept cache."""

    def reply_text(self, text: str) -> None:
        """More text of the reply under way."""

    def reply_finished(self, stats: ReplyStats | None, finish_reason: str | None, message_id: int | None) -> None:
        """The reply ended; `message_id` is its store id (None when it was not saved)."""

    def replying_changed(self, replying: bool) -> None:
        """A reply started (True) or ended (False)."""

    def usage(self, usage: CacheUsage) -> None:
        """How full the KV cache is, after a streamed token."""

    def error(self, error: BaseException) -> None:
        """Something went wrong that the user should see."""

    def notice(self, text: str) -> None:
        """Something the user should know that is not an error."""

    def titles_changed(self) -> None:
        """A conversation was created or renamed; a list of them should refresh."""

    def saved_again(self, text: str) -> None:
        """The conversation had vanished from the store and was saved again as a new one (the notice)."""

    def editing_changed(self, text: str | None) -> None:
        """The next send replaces an earlier message with this text (None: it does not)."""

    def text_returned(self, text: str) -> None:
        """This text could not be sent: give it back to the user, nothing typed is lost."""
