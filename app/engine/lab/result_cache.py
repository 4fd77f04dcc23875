"""Measured pairs kept per model file, and the built-in reference text itself, so that a second
look is instant. A result depends on the model file, the reference text, the pair and the sliding
window's size -- not on the context length the cache is priced at, which the report prices anew."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from app.engine.config import ResolvedConfig
from app.engine.lab.reference import BUILT_IN_PROMPTS, ReferenceText
from app.engine.lab.results import LabPair, PairResult

LAB_VERSION = 2  # part of every key: bump when the measurement changes (2: second halves scored)


class ResultCache:
    def __init__(self, cache_dir: str | None, resolved: ResolvedConfig):
        self.path = None
        if cache_dir:
            st = os.stat(resolved.model.path)
            key = f"{resolved.model.path}|{st.st_size}|{st.st_mtime_ns}"
            name = hashlib.sha256(key.encode()).hexdigest()[:20]
            self.path = Path(cache_dir) / "lab" / f"{name}.json"
        self.setting = f"v{LAB_VERSION}|w{int(resolved.compact_window)}|"
        self.prefix = self.setting
        self.entries: dict = {}
        if self.path and self.path.is_file():
            try:
                self.entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def use_reference(self, reference: ReferenceText) -> None:
        self.prefix = f"{self.setting}{reference.digest}|"

    def get(self, pair: LabPair) -> PairResult | None:
        data = self.entries.get(self.prefix + pair.label)
        try:
            return PairResult.from_json(data) if data else None
        except (TypeError, KeyError):
            return None

    def put(self, result: PairResult) -> None:
        self.entries[self.prefix + result.pair.label] = result.to_json()
        self._save()

    def built_in_text(self, scored_tokens: int) -> ReferenceText | None:
        data = self.entries.get(f"v{LAB_VERSION}|text|{_prompts_digest()}|{scored_tokens}")
        return ReferenceText("built-in", tuple(tuple(s) for s in data)) if data else None

    def put_built_in_text(self, scored_tokens: int, text: ReferenceText) -> None:
        self.entries[f"v{LAB_VERSION}|text|{_prompts_digest()}|{scored_tokens}"] = [list(s) for s in text.sequences]
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _prompts_digest() -> str:
    return hashlib.sha256("\n".join(BUILT_IN_PROMPTS).encode()).hexdigest()[:12]
