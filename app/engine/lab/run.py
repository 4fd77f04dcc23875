"""The KV lab: what each cache precision costs in quality and speed, for the model in hand.

For each K/V pair, the next-token distributions over a reference text are compared with those
of the f16/f16 cache on the same tokens: mean and p99 KL divergence, top-1 agreement and the
perplexity ratio -- the method of llama.cpp's `llama-perplexity --kl-divergence`, with the
cache type, not the weights, as the thing that varies. f16/f16 with flash attention on gives
the noise floor: a difference no larger than that is no difference.
"""

from __future__ import annotations

import os
import statistics
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
from app.engine.kvtypes import CACHE_TYPES, F16
from app.engine.lab.context import LabCancelled, LabContext
from app.engine.lab.divergence import ReferenceStore
from app.engine.lab.progress import GENERATED_TOKEN_COST, LabProgress, ProgressMeter
from app.engine.lab.reference import (
    BUILT_IN_PROMPTS,
    ReferenceText,
    chunk_tokens,
    first_scored,
    sequence_length_scoring,
)
from app.engine.lab.result_cache import ResultCache
from app.engine.lab.results import LabPair, LabReport, PairResult
from app.engine.memory import N_UBATCH
from app.engine.planner import available_memory
from app.engine.prompt import PromptBuilder
from app.engine.records import ChatMessage
from app.i18n import translate

__all__ = ["LabProgress", "LabSpec", "ResultCache", "run_lab", "ALL_PAIRS", "PRESET_PAIRS"]

PROBE_RUNS, PROBE_TOKENS = 4, 8  # the generation-speed probe: its spread is the runs' spread
PRESET_PAIRS = (LabPair("q8_0", "q8_0"), LabPair("q8_0", "q4_0"), LabPair("q4_0", "q4_0"))
ALL_PAIRS = tuple(LabPair(k.name, v.name) for k in CACHE_TYPES for v in CACHE_TYPES if (k, v) != (F16, F16))
REFERENCE = LabPair("f16", "f16")
NOISE_FLOOR = LabPair("f16", "f16", "on")
TEXT_REPORT_EVERY = 8  # generated tokens between progress reports while the reference text is written


@dataclass(frozen=True)
class LabSpec:
    pairs: tuple[LabPair, ...] = PRESET_PAIRS
    scored_tokens: int = 512
    conversation: tuple[ChatMessage, ...] = ()  # score this conversation instead of the built-in text
    text_file: str | None = None  # ...or this file
    noise_floor: bool = True
    cache_dir: str | None = None  # where results are kept per model; None: not kept


def pass_cost(lengths) -> float:
    """A pair's reading of the text and its speed probe, in token-reads."""
    return sum(lengths) + PROBE_RUNS * PROBE_TOKENS * GENERATED_TOKEN_COST


@dataclass
class _Runner:
    llm: Llama
    resolved: ResolvedConfig
    prompts: PromptBuilder
    spec: LabSpec
    cancel: threading.Event
    meter: ProgressMeter
    errors: dict[str, str] = field(default_factory=dict)

    def context(self, pair: LabPair, n_ctx: int) -> tuple[LabContext, bool]:
        """A measuring context for `pair`, validated like any load (a refusal is an EngineError)."""
        model = self.resolved.model
        checked = resolve(LoadConfig(model.path, n_ctx, pair.type_k, pair.type_v, pair.flash_attn), model,
                          available_memory() + model.weights_bytes)  # the weights are already in memory
        ctx = LabContext(self.llm, n_ctx, checked.type_k.ggml_id, checked.type_v.ggml_id, checked.flash_attn,
                         self.resolved.compact_window, self.resolved.n_threads, self.resolved.n_threads_batch)
        return ctx, checked.flash_attn

    # -- the reference text ------------------------------------------------------------------

    def bos(self) -> int | None:
        vocab = llama_c.llama_model_get_vocab(self.llm.model)
        return self.llm.token_bos() if llama_c.llama_vocab_get_add_bos(vocab) else None

    def given_text(self) -> ReferenceText:
        """The text file or the conversation, cut into chunks."""
        spec = self.spec
        if spec.text_file:
            text = Path(spec.text_file).read_text(encoding="utf-8", errors="replace")
            tokens, source = self.prompts.completion_tokens(text), os.path.basename(spec.text_file)
        elif self.prompts.has_chat_template:
            tokens, source = self.prompts.chat_tokens(spec.conversation), "conversation"
        else:
            tokens = self.prompts.completion_tokens("\n\n".join(m.content for m in spec.conversation))
            source = "conversation"
        return ReferenceText(source, chunk_tokens(tokens, spec.scored_tokens, self.bos()))

    def built_in_plan(self) -> list[tuple[list[int], int]]:
        """Each built-in prompt's tokens and how many to generate after it."""
        starts = [self.prompts.completion_tokens(p) for p in BUILT_IN_PROMPTS]
        length = min(N_UBATCH, sequence_length_scoring(-(-self.spec.scored_tokens // len(starts))))
        return [(start, max(8, length - len(start))) for start in starts]

    def built_in_text(self, plan: list[tuple[list[int], int]]) -> ReferenceText:
        """The model's own f16 greedy continuation of the built-in prompts."""
        vocab = llama_c.llama_model_get_vocab(self.llm.model)
        end_of_text = frozenset(
            [t for t in range(self.llm.n_vocab()) if llama_c.llama_vocab_is_eog(vocab, t)]
            + [t for t in (self.llm.token_bos(),) if t >= 0]
        )
        total = sum(new for _, new in plan)
        written = 0

        def on_token(i: int) -> None:
            if (i + 1) % TEXT_REPORT_EVERY == 0:
                self.meter.advance(TEXT_REPORT_EVERY * GENERATED_TOKEN_COST, translate(
                    "KvLab", "Writing the reference text with f16/f16: {done:,} of {total:,} tokens").format(
                    done=written + i + 1, total=total))

        ctx, _ = self.context(REFERENCE, N_UBATCH)
        try:
            sequences = []
            for start, new in plan:
                generated = ctx.greedy(start, new, self.cancel, banned=end_of_text, on_token=on_token)
                sequences.append(tuple(start + generated))
                written += new
                unreported = new - len(generated) // TEXT_REPORT_EVERY * TEXT_REPORT_EVERY  # also any not written
                if unreported:
                    self.meter.advance(unreported * GENERATED_TOKEN_COST, translate(
                        "KvLab", "Writing the reference text with f16/f16: {done:,} of {total:,} tokens").format(
                        done=written, total=total))
        finally:
            ctx.close()
        return ReferenceText("built-in", tuple(sequences))

    # -- measuring ---------------------------------------------------------------------------

    def measure(self, pair: LabPair, name: str, reference: ReferenceText, store: ReferenceStore,
                fill: bool) -> PairResult:
        """Read the text with `pair`'s cache; `fill`: this is the reference, whose distributions
        `store` keeps for the pairs after it."""
        ctx, flash_attn = self.context(pair, max(len(s) for s in reference.sequences))
        total = sum(len(s) for s in reference.sequences)
        try:
            kl_parts, agree, target_lp = [], 0, []
            row = read = 0
            for sequence in reference.sequences:
                first = first_scored(sequence)
                targets = np.asarray(sequence, dtype=np.int64)
                for offset, logits in ctx.scored_logits(sequence, first, self.cancel):
                    at = row + offset
                    if fill:
                        lse = store.put(at, logits)
                    else:
                        kl, same_top, lse = store.compare(at, logits)
                        kl_parts.append(kl)
                        agree += int(same_top.sum())
                    wanted = targets[first + offset + 1 : first + offset + 1 + len(logits)]
                    target_lp.append(logits[np.arange(len(logits)), wanted] - lse)
                read += len(sequence)
                row += len(sequence) - 1 - first
                self.meter.advance(len(sequence), translate(
                    "KvLab", "Measuring {pair}: {done:,} of {total:,} tokens read").format(
                    pair=name, done=read, total=total))
            last = reference.sequences[-1]
            gen_speeds = ctx.generation_speeds(len(last), last[-1], PROBE_RUNS, PROBE_TOKENS, self.cancel)
            self.meter.advance(PROBE_RUNS * PROBE_TOKENS * GENERATED_TOKEN_COST, translate(
                "KvLab", "Measuring {pair}: generation speed").format(pair=name))
        finally:
            ctx.close()
        scored = row
        kl = np.concatenate(kl_parts) if kl_parts else np.zeros(scored)
        perplexity = float(np.exp(-np.concatenate(target_lp).astype(np.float64).mean()))
        return PairResult(
            pair=pair, flash_attn=flash_attn, kv_bytes=0, f16_kv_bytes=0,
            kl_mean=float(kl.mean()), kl_p99=float(np.percentile(kl, 99)), kl_max=float(kl.max()),
            top1_agreement=1.0 if fill else agree / scored, perplexity=perplexity, perplexity_ratio=1.0,
            prompt_tokens_per_second=statistics.median(ctx.read_speeds),
            generation_tokens_per_second=statistics.median(gen_speeds), scored_tokens=scored,
            prompt_range=(min(ctx.read_speeds), max(ctx.read_speeds)),
            generation_range=(min(gen_speeds), max(gen_speeds)),
        )

    def priced(self, result: PairResult) -> PairResult:
        """`result` with its cache priced at the loaded context length."""
        return result.priced_at(self.resolved.model, self.resolved.n_ctx, self.resolved.compact_window)


def run_lab(llm: Llama, resolved: ResolvedConfig, prompts: PromptBuilder, spec: LabSpec,
            cancel: threading.Event, on_progress: Callable[[LabProgress], None]) -> LabReport | None:
    """Measure `spec.pairs` against f16/f16 on the loaded model; None when `cancel` stopped it."""
    try:
        return _measure_all(_Runner(llm, resolved, prompts, spec, cancel, ProgressMeter(on_progress)))
    except LabCancelled:
        return None


def _measure_all(runner: _Runner) -> LabReport:
    started = time.monotonic()
    spec, resolved, meter = runner.spec, runner.resolved, runner.meter
    cache = ResultCache(spec.cache_dir, resolved)
    pairs = [p for p in spec.pairs if p != REFERENCE]
    extra = [NOISE_FLOOR] if spec.noise_floor else []
    built_in = not spec.conversation and not spec.text_file
    reference = cache.built_in_text(spec.scored_tokens) if built_in else runner.given_text()
    if reference is None:  # the built-in text is written first: plan it with every pair after it
        plan = runner.built_in_plan()
        lengths = [len(start) + new for start, new in plan]
        meter.plan(sum(new for _, new in plan) * GENERATED_TOKEN_COST + pass_cost(lengths) * (len(pairs + extra) + 1))
        reference = runner.built_in_text(plan)
        cache.put_built_in_text(spec.scored_tokens, reference)
    if not reference.sequences:
        raise EngineError(translate(
            "KvLab", "The reference text is too short to measure: it needs at least a few dozen tokens."))
    cache.use_reference(reference)
    base = cache.get(REFERENCE)
    uncached = [p for p in pairs + extra if cache.get(p) is None]
    passes = len(uncached) + (base is None or bool(uncached))
    meter.plan(pass_cost(len(s) for s in reference.sequences) * passes)
    results, noise, cached = [], None, 0
    store = None
    try:
        if base is None or uncached:
            store = ReferenceStore(reference.scored_tokens, runner.llm.n_vocab())
            base = runner.measure(REFERENCE, translate("KvLab", "f16/f16 (the reference)"), reference, store,
                                  fill=True)
            cache.put(base)
        for pair in pairs + extra:
            result = cache.get(pair)
            if result is not None:
                cached += 1
            else:
                try:
                    result = runner.measure(pair, pair.label, reference, store, fill=False)
                    result = replace(result, perplexity_ratio=result.perplexity / base.perplexity)
                except EngineError as exc:  # a pair this model or machine cannot run
                    runner.errors[pair.label] = str(exc)
                    continue
                cache.put(result)
            result = runner.priced(result)
            if pair == NOISE_FLOOR:
                noise = result
            else:
                results.append(result)
    finally:
        if store is not None:
            store.close()
    return LabReport(
        model=resolved.model, n_ctx=resolved.n_ctx, reference_source=reference.source,
        scored_tokens=reference.scored_tokens, reference=runner.priced(base), noise_floor=noise,
        results=tuple(results), seconds=time.monotonic() - started, cached_pairs=cached,
        errors=dict(runner.errors),
    )
