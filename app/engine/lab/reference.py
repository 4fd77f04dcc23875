"""The text the KV lab scores: by default the model's own f16 greedy continuation of a few
built-in prompts, so no data set is needed; or a conversation; or a text file.

Every sequence is read from an empty cache and scored over its second half only, the first half
being the context it is read in: what llama.cpp's `llama-perplexity --kl-divergence` scores in
each chunk, so that the two measure the same positions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.engine.memory import N_UBATCH

# Openings in English and Chinese that most models continue with ordinary prose.
BUILT_IN_PROMPTS = (
    "The history of the lighthouse begins in the ancient world. The first lighthouses were",
    "To make a good cup of tea, start with fresh water. Bring it to the boil and",
    "Photosynthesis is the process by which plants turn sunlight into chemical energy. It takes place",
    "长城是中国古代的军事防御工程，它的修建历史可以追溯到",
)
MIN_SEQUENCE_TOKENS = 32
CHUNK_TOKENS = N_UBATCH  # a text is cut into chunks of this many tokens, as llama-perplexity -c 512 does


def first_scored(sequence) -> int:
    """The first position whose prediction is scored: the second half of the sequence."""
    return len(sequence) // 2


def scored_in(sequence) -> int:
    return max(0, len(sequence) - 1 - first_scored(sequence))


def sequence_length_scoring(scored: int) -> int:
    """The shortest sequence that scores `scored` positions."""
    return 2 * scored + 2


@dataclass(frozen=True)
class ReferenceText:
    """Token sequences to score, each evaluated from an empty cache."""

    source: str  # "built-in", "conversation" or a file name
    sequences: tuple[tuple[int, ...], ...]

    @property
    def scored_tokens(self) -> int:
        return sum(scored_in(s) for s in self.sequences)

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.source.encode())
        for sequence in self.sequences:
            h.update(len(sequence).to_bytes(4, "little"))
            h.update(b"".join(t.to_bytes(4, "little", signed=True) for t in sequence))
        return h.hexdigest()[:16]


def chunk_tokens(tokens: list[int], scored_tokens: int, bos: int | None,
                 chunk: int = CHUNK_TOKENS) -> tuple[tuple[int, ...], ...]:
    """Cut a text's tokens into chunks as llama-perplexity does: whole chunks of `chunk` tokens, each
    starting with the beginning-of-text token where the model uses one, as many as it takes to score
    `scored_tokens`; a text shorter than one chunk is one shorter sequence."""
    wanted = -(-scored_tokens // (chunk - 1 - chunk // 2))
    whole = [tokens[i : i + chunk] for i in range(0, len(tokens) - chunk + 1, chunk)][:wanted]
    parts = whole or [tokens[:chunk]]
    if bos is not None:
        parts = [[bos, *part[1:]] for part in parts]
    return tuple(tuple(p) for p in parts if len(p) >= MIN_SEQUENCE_TOKENS)
