"""One progress figure over the whole lab run: the reference text, then every pair's reading of it
and its speed probe, weighted by what each costs, so the bar only ever rises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# On a CPU, a token generated on its own costs about as much as three read in a batch.
GENERATED_TOKEN_COST = 3


@dataclass(frozen=True)
class LabProgress:
    done: int  # reports so far, counting from 1
    fraction: float  # of the whole run, from 0 to 1; never lower than the report before
    label: str  # what the lab is doing, in words


class ProgressMeter:
    """Work done against work left, in token-reads; the plan may change (a result turns out to be
    cached, a text is shorter than planned) but the fraction shown never falls."""

    def __init__(self, on_progress: Callable[[LabProgress], None]):
        self._on_progress = on_progress
        self.done = 0.0
        self.left = 0.0
        self.reports = 0
        self._shown = 0.0

    def plan(self, left: float) -> None:
        """The work still to do, from here."""
        self.left = max(0.0, left)

    def advance(self, units: float, label: str) -> None:
        self.done += units
        self.left = max(0.0, self.left - units)
        total = self.done + self.left
        self._shown = max(self._shown, self.done / total if total else 1.0)
        self.reports += 1
        self._on_progress(LabProgress(self.reports, min(self._shown, 1.0), label))
