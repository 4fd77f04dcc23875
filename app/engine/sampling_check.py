"""The one check a SamplingParams passes before a reply is asked for, wherever it came from
(the settings panel, an imported file, the database, a hand-edited record).

llama-cpp-python takes these values unchecked: a string temperature raises a bare TypeError
deep in the sampler, max_tokens 0 still generates a token, and a seed of 2**32 silently becomes
seed 0 (llama.cpp keeps 32 bits, and 0xFFFFFFFF means "random").
"""

from __future__ import annotations

import math
from dataclasses import fields

from app.engine.errors import EngineError
from app.engine.records import SamplingParams
from app.i18n import translate

MAX_SEED = 2**32 - 2  # llama.cpp's seed is a uint32, and 2**32 - 1 asks it for a random one
MAX_TOKENS_LIMIT = 1 << 24  # far beyond any context; a larger number is a typing mistake

# name: (kind, lowest, highest); floats must also be finite
_RANGES = {
    "temperature": (float, 0.0, 100.0),
    "top_p": (float, 0.0, 1.0),
    "top_k": (int, 0, 1 << 20),
    "min_p": (float, 0.0, 1.0),
    "repeat_penalty": (float, 0.0, 100.0),
    "max_tokens": (int, 1, MAX_TOKENS_LIMIT),
    "seed": (int, 0, MAX_SEED),
}


class SamplingError(EngineError):
    """A sampling setting is of the wrong type or out of range; the message names it."""


def sampling_problem(name: str, value) -> str | None:
    """Why `value` cannot be the sampling setting `name`, or None when it can."""
    kind, low, high = _RANGES[name]
    if name == "seed" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return translate("Sampling", "{name} must be a number, not {value}").format(
            name=name, value=short_repr(value))
    if kind is int and not isinstance(value, int):
        return translate("Sampling", "{name} must be a whole number, not {value}").format(name=name, value=value)
    if isinstance(value, float) and not math.isfinite(value):
        return translate("Sampling", "{name} must be a finite number, not {value}").format(name=name, value=value)
    if not low <= value <= high:
        return translate("Sampling", "{name} must be between {low} and {high}, not {value}").format(
            name=name, low=low, high=high, value=value)
    return None


def check_sampling(sampling: SamplingParams) -> SamplingParams:
    """Return `sampling` unchanged, or raise SamplingError naming the first bad setting."""
    for f in fields(SamplingParams):
        problem = sampling_problem(f.name, getattr(sampling, f.name))
        if problem is not None:
            raise SamplingError(translate("Sampling", "The sampling settings cannot be used: {problem}.").format(
                problem=problem))
    return sampling


def short_repr(value) -> str:
    """A value as a message quotes it: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
