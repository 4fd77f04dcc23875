"""The text the KV lab scores: by default the model's own f16 greedy continuation of a few
built-in prompts, so no data set is needed; or a conversation; or a text file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Openings in English and Chinese that most models continue with ordinary prose.
BUILT_IN_PROMPTS = (
    "The history of the lighthouse begins in the ancient world. The first lighthouses were",
    "To make a good cup of tea, start with fresh water. Bring it to the boil and",
    "Photosynthesis is the process by which plants turn sunlight into chemical energy. It takes place",
    "长城是中国古代的军事防御工程，它的修建历史可以追溯到",
)
MIN_SEQUENCE_TOKENS = 32
WARMUP_TOKENS = 8  # the first predictions of a sequence have almost no context; they are not scored


@dataclass(frozen=True)
class ReferenceText:
    """Token sequences to score, each evaluated from an empty cache."""

    source: str  # "built-in", "conversation" or a file name
    sequences: tuple[tuple[int, ...], ...]

    @property
    def scored_tokens(self) -> int:
        return sum(max(0, len(s) - 1 - WARMUP_TOKENS) for s in self.sequences)

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.source.encode())
        for sequence in self.sequences:
            h.update(len(sequence).to_bytes(4, "little"))
            h.update(b"".join(t.to_bytes(4, "little", signed=True) for t in sequence))
        return h.hexdigest()[:16]


def split_tokens(tokens: list[int], max_len: int) -> tuple[tuple[int, ...], ...]:
    """Cut a long token list into sequences the lab evaluates one batch at a time."""
    parts = [tuple(tokens[i : i + max_len]) for i in range(0, len(tokens), max_len)]
    return tuple(p for p in parts if len(p) >= MIN_SEQUENCE_TOKENS)
