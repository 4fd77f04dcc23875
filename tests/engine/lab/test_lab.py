"""The KV lab on the real starter model: KL divergence against f16/f16 behaves as it must."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.gguf.info import read_model_info
from app.engine.kvtypes import F16, cache_type
from app.engine.lab.context import LabContext, LabDecodeError
from app.engine.lab.results import LabPair, LabReport, PairResult, agreement_words, pareto_front, recommend
from app.engine.lab.run import LabSpec, run_lab
from app.engine.memory import kv_cache_bytes
from app.engine.llm import ChatEngine
from app.engine.memory import MIB
from app.engine.records import SamplingParams

SHORT = 128  # scored tokens: enough to order the pairs, quick enough for a test


@pytest.fixture(scope="module")
def engine(starter_model):
    engine = ChatEngine()
    info = read_model_info(starter_model)
    engine.load(resolve(LoadConfig(str(starter_model), n_ctx=4096), info, 16 * 1024 * MIB))
    yield engine
    engine.unload()


def lab(engine, pairs, cancel=None, progress=None, **spec):
    steps = progress if progress is not None else []
    spec.setdefault("scored_tokens", SHORT)
    return run_on(engine, LabSpec(pairs=tuple(pairs), **spec), cancel or threading.Event(),
                  steps.append)


def run_on(engine, spec, cancel, on_progress):
    model = engine.loaded()
    return run_lab(model.llm, model.resolved, model.prompts, spec, cancel, on_progress)


def by_label(report: LabReport) -> dict[str, PairResult]:
    return {r.pair.label: r for r in report.results}


def test_quality_orders_as_it_must(engine):
    report = lab(engine, [LabPair("f16", "f16", "off"), LabPair("f32", "f32"), LabPair("q8_0", "q8_0"),
                          LabPair("q4_0", "q4_0")])
    r = by_label(report)
    assert report.scored_tokens >= SHORT and report.reference_source == "built-in"
    same = r["f16/f16 FA off"]  # the reference's own settings: the same distributions
    assert same.kl_mean == 0.0 and same.kl_max == 0.0 and same.top1_agreement == 1.0
    assert same.perplexity_ratio == pytest.approx(1.0)
    assert 0.0 < r["f32/f32"].kl_mean < 0.02  # f32 vs f16 storage: a small difference
    assert r["q4_0/q4_0"].kl_mean > r["q8_0/q8_0"].kl_mean > 0
    assert r["q4_0/q4_0"].top1_agreement < 1.0 and r["q4_0/q4_0"].perplexity_ratio > 1.0
    assert report.noise_floor is not None and report.noise_floor.pair.label == "f16/f16 FA on"
    assert r["q8_0/q8_0"].kv_bytes == 4096 * 30 * 2 * 192 * 34 // 32  # priced at the loaded context
    assert r["q4_0/q4_0"].saving_percent == pytest.approx(71.875)
    assert all(x.prompt_tokens_per_second > 0 and x.generation_tokens_per_second > 0 for x in report.results)
    for x in report.results:  # each speed is a median with the spread of the runs around it
        assert x.prompt_range[0] <= x.prompt_tokens_per_second <= x.prompt_range[1]
        assert x.generation_range[0] <= x.generation_tokens_per_second <= x.generation_range[1]
    q4 = r["q4_0/q4_0"]
    assert agreement_words(q4) == f"the same next word as f16 {round(q4.top1_agreement * 100)} % of the time"


def test_cancel_stops_a_sweep_within_one_step(engine):
    cancel = threading.Event()
    steps = []

    def on_progress(step):
        steps.append(step)
        if len(steps) == 6:
            cancel.set()

    report = run_on(engine, LabSpec(pairs=(LabPair("q5_0", "q5_0"), LabPair("q5_1", "q5_1")), scored_tokens=SHORT),
                    cancel, on_progress)
    assert report is None  # a cancelled lab has nothing to report, and is no error
    assert len(steps) <= 7  # the step under way when cancel came, and no other
    # The chat engine is untouched by the lab's contexts.
    tokens = engine.completion_tokens("Hello")
    assert list(engine.stream(tokens, SamplingParams(max_tokens=4), threading.Event()))[-1].phase == "done"


def test_a_second_look_comes_from_the_cache(engine, tmp_path):
    pairs = [LabPair("q8_0", "q4_0")]
    first = lab(engine, pairs, cache_dir=str(tmp_path))
    steps = []
    second = lab(engine, pairs, progress=steps, cache_dir=str(tmp_path))
    assert steps == []  # nothing was measured again
    assert second.cached_pairs == 2  # the pair and the noise floor
    assert by_label(second)["q8_0/q4_0"] == by_label(first)["q8_0/q4_0"]


def test_a_text_file_as_reference(engine, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("The river rose in the night and the town woke to water in the streets. " * 20)
    report = lab(engine, [LabPair("q8_0", "q8_0")], text_file=str(text), noise_floor=False)
    assert report.reference_source == "notes.txt" and report.scored_tokens > 100
    assert report.noise_floor is None and report.results[0].kl_mean > 0


README = Path(__file__).resolve().parents[3] / "README.md"


def test_a_text_longer_than_the_measuring_context_is_scored_in_chunks_and_the_probe_fits(engine, tmp_path):
    text = tmp_path / "readme.txt"
    text.write_text(README.read_text(encoding="utf-8")[:12_000], encoding="utf-8")  # a real text, ~3,000 tokens
    report = lab(engine, [LabPair("q8_0", "q8_0")], text_file=str(text), noise_floor=False, scored_tokens=400)
    # Chunks of 512 tokens, each scored over its second half (as llama-perplexity -c 512 scores them):
    # two chunks for 400 scored tokens; the generation probe ran inside each 512-cell context.
    assert report.scored_tokens == 2 * (512 - 1 - 256)
    assert report.results[0].kl_mean > 0 and report.results[0].generation_tokens_per_second > 0


def test_a_decode_that_does_not_fit_is_a_clear_error(engine):
    model = engine.loaded()
    ctx = LabContext(model.llm, 256, 1, 1, False, False, model.resolved.n_threads)
    try:
        with pytest.raises(LabDecodeError, match="256-cell measuring context"):
            list(ctx.scored_logits([1] * 300, 150, threading.Event()))
    finally:
        ctx.close()


def test_progress_rises_over_the_whole_run_and_names_each_phase(engine):
    steps = []
    report = lab(engine, [LabPair("q8_0", "q8_0"), LabPair("q4_0", "q4_0")], progress=steps)
    assert report is not None
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # one bar: it never restarts
    assert [s.done for s in steps] == list(range(1, len(steps) + 1))
    writing = [s for s in steps if s.label.startswith("Writing the reference text")]
    assert len(writing) >= 8 and writing[0].fraction < 0.05  # the bar moves while the text is written
    for name in ("f16/f16 (the reference)", "q8_0/q8_0", "q4_0/q4_0", "f16/f16 FA on"):
        phase = [s for s in steps if s.label.startswith(f"Measuring {name}:")]
        assert len(phase) >= 5, name  # each sequence read, then the speed probe
    # No phase takes more of the bar than its share of the work: a pair's reading is about a fifth of it.
    assert max(b - a for a, b in zip([0.0, *fractions], fractions, strict=False)) < 0.2


def test_a_context_change_reuses_every_result_and_prices_at_the_new_context(engine, tmp_path):
    pairs = [LabPair("q8_0", "q4_0")]
    first = lab(engine, pairs, cache_dir=str(tmp_path))
    model = engine.loaded()
    longer = replace(model.resolved, n_ctx=8192)
    steps = []
    second = run_lab(model.llm, longer, model.prompts, LabSpec(pairs=tuple(pairs), scored_tokens=SHORT,
                                                               cache_dir=str(tmp_path)), threading.Event(),
                     steps.append)
    assert steps == [] and second.cached_pairs == 2  # nothing measured again
    before, after = by_label(first)["q8_0/q4_0"], by_label(second)["q8_0/q4_0"]
    assert after.kl_mean == before.kl_mean and after.top1_agreement == before.top1_agreement
    assert before.kv_bytes == kv_cache_bytes(model.resolved.model, 4096, cache_type("q8_0"), cache_type("q4_0"),
                                             flash_attn=True).total
    assert after.kv_bytes == 2 * before.kv_bytes and second.n_ctx == 8192  # priced at the new context
    assert second.reference.f16_kv_bytes == kv_cache_bytes(model.resolved.model, 8192, F16, F16,
                                                           flash_attn=False).total


def _result(label, kv, kl):
    k, v = label.split("/")
    return PairResult(LabPair(k, v), True, kv, 100, kl, kl, kl, 1.0, 1.0, 1.0, 1.0, 1.0, 10)


def test_pareto_front_and_recommendation(engine):
    reference = _result("f16/f16", 100, 0.0)
    results = (_result("q8_0/q8_0", 53, 0.004), _result("q5_0/q5_0", 60, 0.02), _result("q4_0/q4_0", 28, 0.05))
    report = LabReport(engine.report.model, 4096, "built-in", 512, reference, None, results, 1.0)
    assert [r.pair.label for r in pareto_front(report.all_points)] == ["f16/f16", "q8_0/q8_0", "q4_0/q4_0"]
    assert recommend(report, 0.01, 8 * 1024 * MIB).result.pair.label == "q8_0/q8_0"
    assert recommend(report, 0.1, 8 * 1024 * MIB).result.pair.label == "q4_0/q4_0"
    strict = recommend(report, 0.0, 8 * 1024 * MIB)
    assert strict.result is reference and strict.largest_ctx > 0
