"""Sampling settings, reply statistics and text read from data nobody has checked: an imported
file, a database row, a hand-edited settings file.

One reader serves every door. `read_sampling` / `read_stats` refuse the first bad field with a
RecordFieldError that names it (an import is refused with the reason); `sampling_or_defaults` /
`stats_or_none` put the default in place of what is bad (a database row never stops the app).
Sampling ranges are the engine's own (app/engine/sampling_check.py), not a second copy.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import fields

from app.engine.records import ReplyStats, SamplingParams
from app.engine.sampling_check import sampling_problem, short_repr
from app.i18n import translate

MAX_COUNT = 2**63 - 1  # SQLite's largest integer; any token count is far below it
MAX_STATS_SEED = 2**32 - 1  # llama.cpp's seed is a uint32
MAX_MEASURE = 1e300  # seconds or tokens per second: any number a float holds (10**400 does not)
MAX_TYPE_NAME_CHARS = 32  # "q8_0", "iq4_nl", or whatever a server reports

_SURROGATE = re.compile("[\ud800-\udfff]")  # what SQLite (UTF-8) cannot store


class RecordFieldError(ValueError):
    """A field of a record is of the wrong type or out of range; the message names it."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.field = name


def text_problem(name: str, value, limit: int) -> str | None:
    """Why `value` cannot be stored as the text field `name`, or None when it can."""
    if not isinstance(value, str):
        return translate("RecordFields", "{name} must be text, not {value}").format(
            name=name, value=short_repr(value))
    if len(value) > limit:
        return translate("RecordFields", "{name} is {length:,} characters long; at most {limit:,} are allowed").format(
            name=name, length=len(value), limit=limit)
    bad = _SURROGATE.search(value)
    if bad is not None:
        return translate(
            "RecordFields", "{name} is not valid Unicode text (a lone surrogate at character {index:,})").format(
            name=name, index=bad.start() + 1)
    return None


def check_text(name: str, value, limit: int) -> str:
    """`value` when it is storable text of at most `limit` characters; else RecordFieldError."""
    problem = text_problem(name, value, limit)
    if problem is not None:
        raise RecordFieldError(name, problem)
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count_problem(name: str, value, high: int = MAX_COUNT) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
        return translate("RecordFields", "{name} must be a whole number from 0 to {high}, not {value}").format(
            name=name, high=high, value=short_repr(value))
    return None


def _measure_problem(name: str, value) -> str | None:
    """Seconds or tokens per second: a finite number of 0 or more, or nothing."""
    if value is None:
        return None
    if not _is_number(value) or not 0 <= value <= MAX_MEASURE or not math.isfinite(value):
        return translate("RecordFields", "{name} must be a finite number of 0 or more, not {value}").format(
            name=name, value=short_repr(value))
    return None


def _seed_problem(name: str, value) -> str | None:
    return None if value is None else _count_problem(name, value, MAX_STATS_SEED)


_FLOAT_STATS = {"time_to_first_token", "tokens_per_second", "prompt_tokens_per_second", "restore_seconds"}
_CACHE_SOURCES = ("", "ram", "disk")
MAX_REASON_CHARS = 500
_STATS_RULES: dict[str, Callable[[str, object], str | None]] = {
    "prompt_tokens": _count_problem,
    "cached_tokens": _count_problem,
    "generated_tokens": _count_problem,
    "time_to_first_token": _measure_problem,
    "tokens_per_second": _measure_problem,
    "prompt_tokens_per_second": _measure_problem,
    "seed": _seed_problem,
    "dropped_messages": _count_problem,
    "type_k": lambda name, value: text_problem(name, value, MAX_TYPE_NAME_CHARS),
    "type_v": lambda name, value: text_problem(name, value, MAX_TYPE_NAME_CHARS),
    "cache_source": lambda name, value: None if value in _CACHE_SOURCES else translate(
        "RecordFields", "{name} must be one of {choices}, not {value}").format(
        name=name, choices=", ".join(repr(c) for c in _CACHE_SOURCES), value=short_repr(value)),
    "restore_seconds": _measure_problem,
    "read_again": lambda name, value: text_problem(name, value, MAX_REASON_CHARS),
}


def object_problem(value) -> str:
    """Why `value`, which should be a JSON object (a record), is not one."""
    return translate("RecordFields", "it must be an object, not {value}").format(value=short_repr(value))


@functools.cache
def _field_kinds(cls) -> tuple[tuple[str, bool], ...]:
    """(name, holds a float) for each field of the record class; looked up once (imports read many)."""
    defaults = cls()
    return tuple((f.name, isinstance(getattr(defaults, f.name), float) or f.name in _FLOAT_STATS)
                 for f in fields(cls))


def _good_fields(cls, data: dict, problem_of: Callable[[str, object], str | None], strict: bool) -> dict:
    """The fields of `data` that `cls` knows and that pass; the first bad one raises when `strict`."""
    values = {}
    for name, holds_float in _field_kinds(cls):
        if name not in data:
            continue
        value = data[name]
        problem = problem_of(name, value)
        if problem is not None:
            if strict:
                raise RecordFieldError(name, problem)
            continue
        values[name] = float(value) if holds_float and value is not None else value  # a JSON 1 is 1.0 here
    return values


def _stats_problem(name: str, value) -> str | None:
    return _STATS_RULES[name](name, value)


def read_sampling(data) -> SamplingParams:
    """Sampling settings from `data` (unknown keys ignored, missing ones default); RecordFieldError if bad."""
    if not isinstance(data, dict):
        raise RecordFieldError("", object_problem(data))
    return SamplingParams(**_good_fields(SamplingParams, data, sampling_problem, strict=True))


def read_stats(data) -> ReplyStats:
    """Reply statistics from `data` (unknown keys ignored, missing ones default); RecordFieldError if bad."""
    if not isinstance(data, dict):
        raise RecordFieldError("", object_problem(data))
    return ReplyStats(**_good_fields(ReplyStats, data, _stats_problem, strict=True))


def sampling_or_defaults(data) -> SamplingParams:
    """Never raises: each bad or missing setting is the default one."""
    if not isinstance(data, dict):
        return SamplingParams()
    return SamplingParams(**_good_fields(SamplingParams, data, sampling_problem, strict=False))


def stats_or_none(data) -> ReplyStats | None:
    """Never raises: None when `data` is not a record at all, else its good fields (the rest default)."""
    if not isinstance(data, dict):
        return None
    return ReplyStats(**_good_fields(ReplyStats, data, _stats_problem, strict=False))
