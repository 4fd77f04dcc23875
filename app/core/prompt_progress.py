"""How far the reading of a prompt has got, and about how long it has left, from the engine's chunks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.records import ReplyStats

# Below this many tokens read, a rate is too noisy to promise a time from.
_MIN_TOKENS_FOR_ESTIMATE = 64


@dataclass(frozen=True)
class PromptProgress:
    total: int  # the prompt's tokens
    read: int  # in the cache so far, the ones it already held included
    seconds_left: float | None  # None until there is a rate to estimate from
    cache_source: str = ""  # "ram" or "disk": the conversation's kept cache was restored from there
    restore_seconds: float | None = None
    read_again: str = ""  # why the kept cache could not be used, in words

    @property
    def percent(self) -> int:
        return min(100, self.read * 100 // self.total) if self.total else 100


class PromptReading:
    """Follows one prompt's reading: the first chunk says what the cache held, later ones how far it got."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: tuple[float, int] | None = None  # when the first chunk came, and what was read then

    def update(self, stats: ReplyStats, read: int) -> PromptProgress:
        now = self._clock()
        if self._started is None:
            self._started = (now, read)
        since, read_then = self._started
        fresh = read - read_then
        left = None
        if fresh >= _MIN_TOKENS_FOR_ESTIMATE and now > since:
            left = (stats.prompt_tokens - read) / (fresh / (now - since))
        return PromptProgress(stats.prompt_tokens, read, left, stats.cache_source, stats.restore_seconds,
                              stats.read_again)
