"""A reply being written: its stream, its text as it arrives (the text that is saved), and the reply
a regenerate writes again (the new text becomes that reply's next version)."""

from __future__ import annotations

import asyncio

from app.core.prompt_progress import PromptReading
from app.core.store import StoredMessage
from app.engine.backend import ReplyStream


class ReplyUnderWay:
    """A reply under way: its stream, and its text as it arrives (the text that is saved)."""

    def __init__(self, conversation_id: int, replacing: StoredMessage | None = None) -> None:
        self.conversation_id = conversation_id
        self.replacing = replacing  # the reply a regenerate writes again: this one becomes its next version
        self.parts: list[str] = []  # joined once, at the end: += on a long reply is quadratic
        self.stream: ReplyStream | None = None
        self.stop_requested = False
        self.task: asyncio.Task | None = None
        self.reading = PromptReading()
        self.read_prompt = False  # a first chunk of the prompt's reading has come

    @property
    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    def stop(self) -> None:
        self.stop_requested = True
        if self.stream is not None:  # else it is cancelled as soon as it exists
            self.stream.cancel()  # this reply's stream only: a lab or another request goes on
