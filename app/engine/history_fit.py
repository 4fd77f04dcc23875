"""Fitting a conversation that has outgrown the context: keep the system prompt and the most
recent turns, leave out the oldest, and say how many -- never an error, never a silent cut."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.engine.errors import ContextOverflowError
from app.engine.records import ChatMessage
from app.i18n import translate

DROP_OLDEST = "drop_oldest"
STOP = "stop"
OVERFLOW_POLICIES = (DROP_OLDEST, STOP)


@dataclass(frozen=True)
class FittedPrompt:
    tokens: list[int]
    dropped_messages: int  # oldest messages left out of this prompt


def reply_reserve(max_tokens: int, n_ctx: int) -> int:
    """Room kept free for the reply: what it may use, but never more than a quarter of the context."""
    return max(1, min(max_tokens, n_ctx // 4))


def fit_history(messages: Sequence[ChatMessage], n_ctx: int, reserve: int,
                tokenize: Callable[[Sequence[ChatMessage]], list[int]], policy: str = DROP_OLDEST) -> FittedPrompt:
    if policy not in OVERFLOW_POLICIES:
        raise ValueError(f"unknown overflow policy {policy!r}")
    messages = list(messages)
    tokens = tokenize(messages)
    if len(tokens) + reserve <= n_ctx:
        return FittedPrompt(tokens, 0)
    system = messages[:1] if messages and messages[0].role == "system" else []
    turns = messages[len(system):]
    # A cut may only fall before a user message, so the kept part starts as a conversation does.
    cuts = [i for i, m in enumerate(turns) if m.role == "user" and i > 0]
    if policy == STOP or not cuts:
        if policy == STOP and cuts:
            message = translate(
                "HistoryFit",
                "This conversation needs {needed:,} tokens with room for the reply, but the context "
                "holds {n_ctx:,}. Start a new conversation, load the model with a longer context, "
                "or let the oldest messages be left out (KV cache → Context).",
            )
        else:
            message = translate(
                "HistoryFit",
                "This conversation needs {needed:,} tokens with room for the reply, but the context "
                "holds {n_ctx:,}. Start a new conversation, or load the model with a longer context.",
            )
        raise ContextOverflowError(message.format(needed=len(tokens) + reserve, n_ctx=n_ctx))
    # The prompt shrinks as the cut moves later: find the earliest cut that fits.
    low, high, best = 0, len(cuts) - 1, None
    while low <= high:
        middle = (low + high) // 2
        candidate = tokenize(system + turns[cuts[middle]:])
        if len(candidate) + reserve <= n_ctx:
            best, high = (cuts[middle], candidate), middle - 1
        else:
            low = middle + 1
    if best is None:
        last = tokenize(system + turns[cuts[-1]:])
        raise ContextOverflowError(translate(
            "HistoryFit",
            "The last message alone needs {needed:,} tokens with room for the reply, but the context "
            "holds {n_ctx:,}. Shorten it, or load the model with a longer context.",
        ).format(needed=len(last) + reserve, n_ctx=n_ctx))
    cut, kept = best
    return FittedPrompt(kept, cut)
