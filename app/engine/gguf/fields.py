"""Typed reads of a GGUF header's values: a value of the wrong type or out of range is a
ModelFileError naming the key, never a TypeError or OverflowError further on.

A header is written by whoever made the file; nothing in it can be trusted to be the type
the format's conventions say (a block count may be a string, NaN, or 2**63).
"""

from __future__ import annotations

from app.engine.errors import ModelFileError
from app.engine.gguf.header import SkippedArray
from app.i18n import translate

UINT32_MAX = 2**32 - 1


def _shown(value) -> str:
    if isinstance(value, SkippedArray):
        return translate("ModelFile", "an array of {count:,} entries").format(count=value.length)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class HeaderFields:
    def __init__(self, fields: dict[str, object]):
        self.raw = fields

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def need(self, key: str):
        if key not in self.raw:
            raise ModelFileError(translate(
                "ModelFile", "its header lacks '{key}', which llama.cpp needs to load it.").format(key=key))
        return self.raw[key]

    def integer(self, key: str, low: int = 0, high: int = UINT32_MAX, default: int | None = None,
                required: bool = False) -> int:
        """A whole number in [low, high]; `default` when absent (or raise if required)."""
        if key not in self.raw and not required:
            return default
        return self.check_integer(key, self.need(key), low, high)

    @staticmethod
    def check_integer(key: str, value, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ModelFileError(translate(
                "ModelFile", "its '{key}' should be a whole number, not {value}: the file is damaged.").format(
                key=key, value=_shown(value)))
        if not low <= value <= high:
            raise ModelFileError(translate(
                "ModelFile", "its '{key}' is {value:,}, outside what llama.cpp accepts ({low:,} to {high:,}).").format(
                key=key, value=value, low=low, high=high))
        return value

    def per_layer(self, key: str, n_layer: int, low: int, high: int, default: tuple[int, ...] | None = None,
                  required: bool = False) -> tuple[int, ...]:
        """One whole number per layer: a single number for all, or an array of exactly n_layer."""
        if key not in self.raw and not required:
            return default
        value = self.need(key)
        if isinstance(value, SkippedArray) and value.length == n_layer:
            raise ModelFileError(translate(
                "ModelFile", "its header holds too many arrays to read '{key}': the file is damaged.").format(key=key))
        if isinstance(value, (list, SkippedArray)):
            listed = value.length if isinstance(value, SkippedArray) else len(value)
            if listed != n_layer:
                raise ModelFileError(translate(
                    "ModelFile", "'{key}' lists {listed} layers but the model has {layers}.").format(
                    key=key, listed=listed, layers=n_layer))
            return tuple(self.check_integer(key, v, low, high) for v in value)
        return (self.check_integer(key, value, low, high),) * n_layer

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.raw.get(key, default)
        if value is not None and not isinstance(value, str):
            raise ModelFileError(translate(
                "ModelFile", "its '{key}' should be text, not {value}: the file is damaged.").format(
                key=key, value=_shown(value)))
        return value
