"""The KV lab: what each cache precision costs in quality and speed, for the model in hand.

For each K/V pair, the next-token distributions over a reference text are compared with those
of the f16/f16 cache on the same tokens: mean and p99 KL divergence, top-1 agreement and the
perplexity ratio -- the method of llama.cpp's `llama-perplexity --kl-divergence`, with the
cache type, not the weights, as the thing that varies. f16/f16 with flash attention on gives
the noise floor: a difference no larger than that is no difference.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import llama_cpp.llama_cpp as llama_c
import numpy as np
from llama_cpp import Llama

from app.engine.config import LoadConfig, ResolvedConfig, resolve
from app.engine.errors import EngineError
from app.engine.kvtypes import CACHE_TYPES, F16, cache_type
from app.engine.lab.context import LabCancelled, LabContext, kl_divergence
from app.engine.lab.reference import BUILT_IN_PROMPTS, WARMUP_TOKENS, ReferenceText, split_tokens
from app.engine.lab.results import LabPair, LabReport, PairResult
from app.engine.memory import N_UBATCH, kv_cache_bytes
from app.engine.planner import available_memory
from app.engine.prompt import PromptBuilder
from app.engine.records import ChatMessage
from app.i18n import translate

LAB_VERSION = 1  # part of every cache key: bump when the measurement changes
SPEED_TOKENS = 32
PRESET_PAIRS = (LabPair("q8_0", "q8_0"), LabPair("q8_0", "q4_0"), LabPair("q4_0", "q4_0"))
ALL_PAIRS = tuple(LabPair(k.name, v.name) for k in CACHE_TYPES for v in CACHE_TYPES if (k, v) != (F16, F16))
REFERENCE = LabPair("f16", "f16")
NOISE_FLOOR = LabPair("f16", "f16", "on")


@dataclass(frozen=True)
class LabSpec:
    pairs: tuple[LabPair, ...] = PRESET_PAIRS
    scored_tokens: int = 512
    conversation: tuple[ChatMessage, ...] = ()  # score this conversation instead of the built-in text
    text_file: str | None = None  # ...or this file
    noise_floor: bool = True
    cache_dir: str | None = None  # where results are kept per model; None: not kept


@dataclass(frozen=True)
class LabProgress:
    done: int
    total: int
    label: str


class _ReferenceStore:
    """The f16/f16 log-probabilities at every scored position, in a temporary memory-mapped file
    (512 positions of a 262k vocabulary are 512 MiB)."""

    def __init__(self, rows: int, n_vocab: int):
        self._file = tempfile.NamedTemporaryFile(prefix="kvchat-lab-", suffix=".f32", delete=False)
        self._file.close()
        self.log_probs = np.memmap(self._file.name, dtype=np.float32, mode="w+", shape=(max(rows, 1), n_vocab))

    def close(self) -> None:
        del self.log_probs
        try:
            os.unlink(self._file.name)
        except OSError:
            pass


def _scored_rows(sequence) -> slice:
    return slice(WARMUP_TOKENS, len(sequence) - 1)


@dataclass
class _Runner:
    llm: Llama
    resolved: ResolvedConfig
    prompts: PromptBuilder
    spec: LabSpec
    cancel: threading.Event
    on_progress: Callable[[LabProgress], None]
    done: int = 0
    total: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def step(self, label: str) -> None:
        self.done += 1
        self.on_progress(LabProgress(self.done, self.total, label))

    def context(self, pair: LabPair, n_ctx: int) -> tuple[LabContext, bool]:
        """A measuring context for `pair`, validated like any load (a refusal is an EngineError)."""
        model = self.resolved.model
        checked = resolve(LoadConfig(model.path, n_ctx, pair.type_k, pair.type_v, pair.flash_attn), model,
                          available_memory() + model.weights_bytes)  # the weights are already in memory
        ctx = LabContext(self.llm, n_ctx, checked.type_k.ggml_id, checked.type_v.ggml_id, checked.flash_attn,
                         self.resolved.compact_window, self.resolved.n_threads)
        return ctx, checked.flash_attn

    # -- the reference text ------------------------------------------------------------------

    def reference_text(self) -> ReferenceText:
        spec = self.spec
        if spec.text_file:
            text = Path(spec.text_file).read_text(encoding="utf-8", errors="replace")
            tokens = self.prompts.completion_tokens(text)
            return ReferenceText(os.path.basename(spec.text_file), split_tokens(tokens, N_UBATCH))
        if spec.conversation:
            if self.prompts.has_chat_template:
                tokens = self.prompts.chat_tokens(spec.conversation)
            else:
                tokens = self.prompts.completion_tokens("\n\n".join(m.content for m in spec.conversation))
            return ReferenceText("conversation", split_tokens(tokens, N_UBATCH))
        return self.built_in_text()

    def built_in_text(self) -> ReferenceText:
        """The model's own f16 greedy continuation of the built-in prompts."""
        starts = [self.prompts.completion_tokens(p) for p in BUILT_IN_PROMPTS]
        per_prompt = -(-self.spec.scored_tokens // len(starts)) + WARMUP_TOKENS + 1
        vocab = llama_c.llama_model_get_vocab(self.llm.model)
        end_of_text = frozenset(
            [t for t in range(self.llm.n_vocab()) if llama_c.llama_vocab_is_eog(vocab, t)]
            + [t for t in (self.llm.token_bos(),) if t >= 0]
        )
        ctx, _ = self.context(REFERENCE, N_UBATCH)
        try:
            sequences = []
            for start in starts:
                new = max(8, per_prompt - len(start))
                sequences.append(tuple(start + ctx.greedy(start, new, self.cancel, banned=end_of_text)))
                self.step(translate("KvLab", "writing the reference text"))
        finally:
            ctx.close()
        return ReferenceText("built-in", tuple(sequences))

    # -- measuring ---------------------------------------------------------------------------

    def measure(self, pair: LabPair, reference: ReferenceText, store: _ReferenceStore, fill: bool) -> PairResult:
        n_ctx = max(len(s) for s in reference.sequences)
        ctx, flash_attn = self.context(pair, n_ctx)
        try:
            kl_parts, agree, target_lp = [], 0, []
            row = 0
            for sequence in reference.sequences:
                log_probs = ctx.log_probs(sequence, self.cancel)[_scored_rows(sequence)]
                targets = np.asarray(sequence[WARMUP_TOKENS + 1 :])
                rows = slice(row, row + len(log_probs))
                if fill:
                    store.log_probs[rows] = log_probs
                ref = store.log_probs[rows]
                kl_parts.append(kl_divergence(ref, log_probs))
                agree += int((ref.argmax(axis=1) == log_probs.argmax(axis=1)).sum())
                target_lp.append(log_probs[np.arange(len(targets)), targets])
                row += len(log_probs)
                self.step(translate("KvLab", "{pair}: {done} of {total} tokens").format(
                    pair=pair.label, done=row, total=store.log_probs.shape[0]))
            prompt_tps = ctx.decoded_tokens / ctx.decode_seconds if ctx.decode_seconds else 0.0
            gen_tps = ctx.generation_speed(reference.sequences[0], SPEED_TOKENS, self.cancel)
            self.step(translate("KvLab", "{pair}: generation speed").format(pair=pair.label))
        finally:
            ctx.close()
        kl = np.concatenate(kl_parts)
        perplexity = float(np.exp(-np.concatenate(target_lp).astype(np.float64).mean()))
        model, resolved = self.resolved.model, self.resolved
        kv = kv_cache_bytes(model, resolved.n_ctx, cache_type(pair.type_k), cache_type(pair.type_v),
                            flash_attn=flash_attn, compact_window=resolved.compact_window).total
        f16 = kv_cache_bytes(model, resolved.n_ctx, F16, F16, flash_attn=flash_attn,
                             compact_window=resolved.compact_window).total
        return PairResult(
            pair=pair, flash_attn=flash_attn, kv_bytes=kv, f16_kv_bytes=f16,
            kl_mean=float(kl.mean()), kl_p99=float(np.percentile(kl, 99)), kl_max=float(kl.max()),
            top1_agreement=agree / len(kl), perplexity=perplexity, perplexity_ratio=1.0,
            prompt_tokens_per_second=prompt_tps, generation_tokens_per_second=gen_tps, scored_tokens=len(kl),
        )


def _with_ratio(result: PairResult, reference: PairResult) -> PairResult:
    return replace(result, perplexity_ratio=result.perplexity / reference.perplexity)


class ResultCache:
    """Measured pairs per (model file, context, reference text, pair), and the built-in reference
    text itself, so that a second look is instant."""

    def __init__(self, cache_dir: str | None, resolved: ResolvedConfig):
        self.path = None
        if cache_dir:
            st = os.stat(resolved.model.path)
            key = f"{resolved.model.path}|{st.st_size}|{st.st_mtime_ns}"
            name = hashlib.sha256(key.encode()).hexdigest()[:20]
            self.path = Path(cache_dir) / "lab" / f"{name}.json"
        self.setting = f"v{LAB_VERSION}|ctx{resolved.n_ctx}|w{int(resolved.compact_window)}|"
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


def run_lab(llm: Llama, resolved: ResolvedConfig, prompts: PromptBuilder, spec: LabSpec,
            cancel: threading.Event, on_progress: Callable[[LabProgress], None]) -> LabReport | None:
    """Measure `spec.pairs` against f16/f16 on the loaded model; None when `cancel` stopped it."""
    try:
        return _measure_all(_Runner(llm, resolved, prompts, spec, cancel, on_progress))
    except LabCancelled:
        return None


def _measure_all(runner: _Runner) -> LabReport:
    started = time.monotonic()
    spec, resolved = runner.spec, runner.resolved
    cache = ResultCache(spec.cache_dir, resolved)
    built_in = not spec.conversation and not spec.text_file
    reference = cache.built_in_text(spec.scored_tokens) if built_in else None
    if reference is None:
        runner.total = len(BUILT_IN_PROMPTS) if built_in else 0
        reference = runner.reference_text()
        if built_in:
            cache.put_built_in_text(spec.scored_tokens, reference)
    if not reference.sequences:
        raise EngineError(translate(
            "KvLab", "The reference text is too short to measure: it needs at least a few dozen tokens."))
    cache.use_reference(reference)
    pairs = [p for p in spec.pairs if p != REFERENCE]
    extra = [NOISE_FLOOR] if spec.noise_floor else []
    base = cache.get(REFERENCE)
    uncached = [p for p in pairs + extra if cache.get(p) is None]
    per_pair = len(reference.sequences) + 1
    runner.total = runner.done + per_pair * (len(uncached) + (base is None))
    results, noise, cached = [], None, 0
    store = None
    try:
        if base is None or uncached:
            store = _ReferenceStore(reference.scored_tokens, runner.llm.n_vocab())
            base = runner.measure(REFERENCE, reference, store, fill=True)
            cache.put(base)
        for pair in pairs + extra:
            result = cache.get(pair)
            if result is not None:
                cached += 1
            else:
                try:
                    result = _with_ratio(runner.measure(pair, reference, store, fill=False), base)
                except EngineError as exc:  # a pair this model or machine cannot run
                    runner.errors[pair.label] = str(exc)
                    continue
                cache.put(result)
            if pair == NOISE_FLOOR:
                noise = result
            else:
                results.append(result)
    finally:
        if store is not None:
            store.close()
    return LabReport(
        model=resolved.model, n_ctx=resolved.n_ctx, reference_source=reference.source,
        scored_tokens=reference.scored_tokens, reference=base, noise_floor=noise, results=tuple(results),
        seconds=time.monotonic() - started, cached_pairs=cached, errors=dict(runner.errors),
    )
