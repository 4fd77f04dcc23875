"""Which conversation the engine's context holds, so that the gauge's Context bar shows the conversation
on screen, not the engine's last one.

The context holds the conversation whose reply last reached the engine (a reply's first chunk comes
after the engine made it the occupant) until a load gives it a new, empty context. The conversation on
screen shows its cells while the context holds it; otherwise what it would take there: its kept cache's
tokens (put back at its next reply), or the count its last reply left (read again), or nothing when it
is empty.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, Slot

from app.core.conversation import kept_cache_name
from app.core.store import Conversation, StoredMessage
from app.engine.records import CacheUsage
from app.ui.kv.kept_caches import KeptCachesControl
from app.ui.kv.memory_gauge import MemoryGauge, NotHeld


class OpenConversation(Protocol):
    """What this reads of the window's chat session (app/ui/chat/chat_session.py)."""

    conversation: Conversation | None
    messages: list[StoredMessage]
    sig_replying: object  # Signal(bool)
    sig_usage: object  # Signal(CacheUsage)
    sig_opened: object  # Signal(list)


def tokens_taken(messages: list[StoredMessage]) -> int | None:
    """What a conversation took in the context after its last reply (0: empty; None: no reply says)."""
    if not messages:
        return 0
    stats = next((m.stats for m in reversed(messages) if m.stats is not None and m.stats.prompt_tokens), None)
    return stats.prompt_tokens + stats.generated_tokens if stats is not None else None


class ContextOnScreen(QObject):
    def __init__(self, session: OpenConversation, gauge: MemoryGauge, kept: KeptCachesControl, parent=None):
        super().__init__(parent)
        self._session = session
        self._gauge = gauge
        self._kept = kept
        self._held_by: int | None = None  # the conversation whose tokens the context holds
        self._replying: int | None = None  # the conversation of the reply under way
        self._usage: CacheUsage | None = None  # the engine's last count of the context's cells
        session.sig_replying.connect(self._on_replying)
        session.sig_usage.connect(self.reply_usage)
        session.sig_opened.connect(lambda _messages: self.render())
        kept.sig_marks.connect(lambda _marks: self.render())  # a kept cache came, went or changed

    @Slot(bool)
    def _on_replying(self, replying: bool) -> None:
        conversation = self._session.conversation
        self._replying = conversation.id if replying and conversation is not None else None

    @Slot(object)
    def reply_usage(self, usage: CacheUsage) -> None:
        """The cells after a step of the reply under way: its conversation is in the context now."""
        if self._replying is not None:
            self._held_by = self._replying
        self.engine_usage(usage)

    def engine_usage(self, usage: CacheUsage | None) -> None:
        """The engine's count of the cells it holds (asked after a reply), for whichever conversation holds them."""
        if usage is not None:
            self._usage = usage
        self.render()

    def loaded(self) -> None:
        """A model was loaded: its new context holds no conversation yet."""
        self._held_by, self._usage = None, None
        self.render()

    @property
    def held_by(self) -> int | None:
        return self._held_by

    def render(self) -> None:
        conversation = self._session.conversation
        if self._gauge.report is None or conversation is None:
            return
        if conversation.id == self._held_by and self._usage is not None:
            self._gauge.set_usage(self._usage)
            return
        kept = self._kept_tokens(conversation.id)
        if kept:
            self._gauge.set_not_held(NotHeld(kept, kept=True))
        else:
            self._gauge.set_not_held(NotHeld(tokens_taken(self._session.messages)))

    def _kept_tokens(self, conversation_id: int) -> int:
        """The tokens of its kept cache, if that cache fits the loaded context's cache types (0: none)."""
        if not self._kept.available:
            return 0
        report = self._gauge.report
        name = kept_cache_name(conversation_id)
        return next((r.cache.tokens for r in self._kept.rows if r.cache.conversation == name
                     and (r.cache.type_k, r.cache.type_v) == (report.type_k, report.type_v)), 0)
