"""`kvchat lab`: the KV lab's table for scripts and the README."""

from __future__ import annotations

import asyncio
import json
import sys

from app.core.paths import cache_dir
from app.engine.config import LoadConfig
from app.engine.errors import EngineError
from app.engine.host import EngineHost
from app.engine.lab.context import LabDecodeError
from app.engine.lab.results import (
    LabPair,
    LabReport,
    PairResult,
    agreement_words,
    pareto_front,
    recommend,
    speed_with_spread,
)
from app.engine.lab.run import ALL_PAIRS, PRESET_PAIRS, PROBE_RUNS, PROBE_TOKENS, LabProgress, LabSpec
from app.engine.memory import MIB
from app.engine.planner import available_memory


def parse_pairs(text: str | None) -> tuple[LabPair, ...]:
    if not text or text == "presets":
        return PRESET_PAIRS
    if text == "all":
        return ALL_PAIRS
    return tuple(LabPair.parse(part) for part in text.split(",") if part.strip())


def _row(r: PairResult, note: str = "") -> str:
    return (f"| {r.pair.label}{note} | {'on' if r.flash_attn else 'off'} | {r.kv_bytes:,} | {r.saving_percent:.1f} % | "
            f"{r.kl_mean:.5f} | {r.kl_p99:.4f} | {r.top1_agreement * 100:.1f} % | {r.perplexity_ratio:.4f} | "
            f"{speed_with_spread(r.prompt_tokens_per_second, r.prompt_range)} | "
            f"{speed_with_spread(r.generation_tokens_per_second, r.generation_range)} |")


def recommendation_text(report: LabReport, budget: float) -> str:
    rec = recommend(report, budget, available_memory())
    r = rec.result
    head = (f"Recommended for a mean KL budget of {budget}: K {r.pair.type_k} / V {r.pair.type_v} "
            f"({r.kv_bytes / MIB:,.1f} MiB at {report.n_ctx:,} tokens, {agreement_words(r)}); ")
    available = f"{rec.available_bytes / MIB / 1024:,.1f} GiB available now"
    if rec.fits_trained_context:
        return head + f"it fits the whole trained context ({report.model.n_ctx_train:,}) in the {available}."
    return head + f"it fits {rec.largest_ctx:,} tokens in the {available}" + (
        f" (the model was trained on {report.model.n_ctx_train:,})." if report.model.n_ctx_train else ".")


def report_text(report: LabReport, budget: float) -> str:
    front = {id(r) for r in pareto_front(report.all_points)}
    lines = [
        f"{report.model.display_name}: {report.scored_tokens} scored tokens ({report.reference_source} text), "
        f"KV bytes at {report.n_ctx:,} tokens, {report.seconds:.0f} s"
        + (f", {report.cached_pairs} pairs from the cache" if report.cached_pairs else ""),
        "",
        "| K / V | FA | KV bytes | saving | KL mean | KL p99 | top-1 | PPL ratio | prompt tok/s | gen tok/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        _row(report.reference, " (reference)"),
    ]
    if report.noise_floor is not None:
        lines.append(_row(report.noise_floor, " (noise floor)"))
    ordered = sorted(report.results, key=lambda r: r.kv_bytes, reverse=True)
    for r in ordered:
        lines.append(_row(r, " *" if id(r) in front else ""))
    lines.append("")
    lines.append("* on the Pareto front: no other pair saves more memory for less quality loss.")
    lines.append(f"tok/s: the median, and in brackets the slowest and fastest, of the reads (one per sequence) "
                 f"and of {PROBE_RUNS} generation runs of {PROBE_TOKENS} tokens.")
    lines.append("")
    lines.append("In words:")
    for r in ([report.noise_floor] if report.noise_floor else []) + ordered:
        lines.append(f"  {r.pair.label}: {agreement_words(r)} (mean KL {r.kl_mean:.4f})")
    for label, why in report.errors.items():
        lines.append(f"{label}: not measured: {why}")
    lines.append(recommendation_text(report, budget))
    return "\n".join(lines)


def report_json(report: LabReport, budget: float) -> dict:
    rec = recommend(report, budget, available_memory())
    return {
        "model": report.model.path,
        "n_ctx": report.n_ctx,
        "reference_source": report.reference_source,
        "scored_tokens": report.scored_tokens,
        "seconds": round(report.seconds, 2),
        "reference": report.reference.to_json(),
        "noise_floor": report.noise_floor.to_json() if report.noise_floor else None,
        "results": [r.to_json() for r in report.results],
        "pareto_front": [r.pair.label for r in pareto_front(report.all_points)],
        "recommendation": {"pair": rec.result.pair.label, "budget": budget, "largest_context": rec.largest_ctx,
                           "fits_trained_context": rec.fits_trained_context},
        "in_words": {r.pair.label: agreement_words(r)
                     for r in (report.reference, *([report.noise_floor] if report.noise_floor else ()),
                               *report.results)},
        "errors": report.errors,
    }


async def _lab(model: str, n_ctx: int, spec: LabSpec, quiet: bool) -> LabReport | None:
    """The lab's report, or None if it was cancelled before it finished."""
    host = EngineHost()
    try:
        await host.load(LoadConfig(model, n_ctx=n_ctx))
        report = None
        async for item in host.lab(spec):
            if isinstance(item, LabProgress):
                if not quiet:
                    print(f"\r[{item.fraction * 100:3.0f} %] {item.label:<64}", end="", file=sys.stderr, flush=True)
            else:
                report = item
        if not quiet:
            print(file=sys.stderr)
        return report
    finally:
        await host.close()


def run_lab_command(model: str, n_ctx: int, pairs: str | None, tokens: int, text_file: str | None,
                    budget: float, use_cache: bool, as_json: bool) -> int:
    try:
        spec = LabSpec(pairs=parse_pairs(pairs), scored_tokens=tokens, text_file=text_file,
                       cache_dir=str(cache_dir()) if use_cache else None)
        report = asyncio.run(_lab(model, n_ctx, spec, quiet=as_json))
    except LabDecodeError as exc:
        print(f"\nFailed: {exc}", file=sys.stderr)
        return 2
    except (EngineError, ValueError, OSError) as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
    if report is None:
        print("Cancelled: the lab stopped before it finished; nothing was measured to report.", file=sys.stderr)
        return 1
    print(json.dumps(report_json(report, budget), indent=2) if as_json else report_text(report, budget))
    return 0
