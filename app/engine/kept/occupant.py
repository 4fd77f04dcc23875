"""Occupant: which conversation's tokens sequence 0 holds, handed to the kept caches when it leaves and
brought back when its turn comes again. Used by ChatEngine on the engine thread only."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from llama_cpp import Llama

from app.engine.kept import sequence
from app.engine.kept.caches import KeptCaches, NotRestored
from app.engine.kept.state_file import StateKey
from app.i18n import translate


def common_prefix(held, tokens: Sequence[int]) -> int:
    """How many leading tokens two token sequences share."""
    m = min(len(held), len(tokens))
    same = np.asarray(held[:m]) == np.asarray(tokens[:m], dtype=np.asarray(held).dtype)
    return m if same.all() else int(np.argmin(same))


@dataclass(frozen=True)
class Restore:
    """What bringing a conversation's kept cache into the context did, for the reply's stats."""

    source: str = ""  # "ram" or "disk" when it was restored
    seconds: float | None = None
    reason: str = ""  # why a kept cache was not used


class Occupant:
    def __init__(self, kept: KeptCaches | None) -> None:
        self.kept = kept
        self._key: StateKey | None = None  # what a state of the loaded context needs
        self._n_caches = 0
        self._name: str | None = None  # the conversation whose tokens sequence 0 holds
        self._current = True  # whether the kept caches have its current state

    def loaded(self, key: StateKey, n_caches: int) -> None:
        """A new context: it holds nobody's tokens."""
        self._key, self._n_caches = key, n_caches
        self._name, self._current = None, True

    def changed(self) -> None:
        """The context's tokens changed (a prompt was read, a reply generated)."""
        self._current = False

    def keep(self, llm: Llama | None) -> None:
        """Hand the occupant's state to the kept caches, unless they already have it."""
        if self.kept is None or self._name is None or self._current or llm is None:
            return
        taken = sequence.snapshot(llm)
        if taken is not None:
            tokens, state = taken
            self.kept.keep(self._name, self._key, tokens, state, sequence.f16_state_bytes(state, self._n_caches))
        self._current = True

    def leave(self, llm: Llama | None) -> None:
        """The context goes (an unload): keep what it holds, for a reload or the next start."""
        self.keep(llm)
        self._name = None

    def bring_in(self, llm: Llama, conversation: str | None, tokens: Sequence[int]) -> Restore:
        """Make `conversation` the occupant: keep the one leaving, restore its own kept cache if that
        serves `tokens` better than what the context holds."""
        if conversation == self._name:
            return Restore()
        self.keep(llm)
        self._name, self._current = conversation, True
        if conversation is None or self.kept is None:
            return Restore()
        started = time.monotonic()
        found = self.kept.take(conversation, self._key)
        if found is None:
            return Restore()
        if isinstance(found, NotRestored):
            return Restore(reason=found.reason)
        if common_prefix(found.tokens, tokens) <= common_prefix(llm.input_ids[:llm.n_tokens], tokens):
            return Restore()  # what the context holds already serves this prompt as well
        if not sequence.restore(llm, found.tokens, found.state):
            self.kept.refused(conversation)
            return Restore(reason=translate("ChatEngine", "llama.cpp did not accept its kept cache"))
        return Restore(found.source, time.monotonic() - started)
