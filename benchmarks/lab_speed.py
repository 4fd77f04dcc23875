"""Seconds for a 512-token fidelity check (q8_0/q8_0 against f16/f16) on the starter model,
against one bare forward pass over the same tokens.

A check is at least two forward passes (the f16 reference and the pair, each keeping the
distributions of the scored second half of every sequence), plus the KL arithmetic and a short
generation-speed probe per pass; the ratio shows what that costs over one bare pass, and the
floor beside it is the two bare passes a check cannot do without (f16/f16 with flash attention
off, then q8_0/q8_0 with it on). The first check on a model also writes the reference text
(greedy continuation); that is timed separately.

    python benchmarks/lab_speed.py [MODEL] [--tokens 512] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

from app.core.paths import starter_model_path
from app.engine.config import LoadConfig, resolve
from app.engine.gguf.info import read_model_info
from app.engine.lab.context import LabContext
from app.engine.lab.results import LabPair
from app.engine.lab.run import LabSpec, ResultCache, run_lab
from app.engine.llm import ChatEngine
from app.engine.memory import MIB


def bare_pass(model, text, type_id: int, flash_attn: bool, never: threading.Event) -> float:
    """Seconds for one forward pass over the text's tokens, last logits only (ggml type 1: f16, 8: q8_0)."""
    ctx = LabContext(model.llm, 512, type_id, type_id, flash_attn, False, model.resolved.n_threads,
                     model.resolved.n_threads_batch)
    started = time.perf_counter()
    for sequence in text.sequences:
        ctx.greedy(sequence, 0, never)
    seconds = time.perf_counter() - started
    ctx.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = ChatEngine()
    info = read_model_info(args.model)
    engine.load(resolve(LoadConfig(args.model, n_ctx=4096), info, 16 * 1024 * MIB))
    never = threading.Event()
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        spec = LabSpec(pairs=(LabPair("q8_0", "q8_0"),), scored_tokens=args.tokens, noise_floor=False, cache_dir=cache)
        model = engine.loaded()
        run_lab(model.llm, model.resolved, model.prompts, spec, never, lambda _p: None)
        first = time.perf_counter() - started
        # From here the reference text comes from the cache; results must not, so each round gets a fresh one.
        text = ResultCache(cache, model.resolved).built_in_text(args.tokens)
        checks, passes, floors = [], [], []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as fresh:
                keeper = ResultCache(fresh, model.resolved)
                keeper.put_built_in_text(args.tokens, text)
                started = time.perf_counter()
                report = run_lab(model.llm, model.resolved, model.prompts,
                                 LabSpec(pairs=spec.pairs, scored_tokens=args.tokens, noise_floor=False,
                                         cache_dir=fresh),
                                 never, lambda _p: None)
                checks.append(time.perf_counter() - started)
            seconds = [bare_pass(model, text, type_id, flash_attn, never)
                       for type_id, flash_attn in ((1, False), (8, True))]
            passes.append(seconds[0])
            floors.append(sum(seconds))
    engine.unload()
    check, one_pass, floor = statistics.median(checks), statistics.median(passes), statistics.median(floors)
    print(f"{info.display_name}: {report.scored_tokens} scored tokens, q8_0/q8_0 against f16/f16")
    print(f"  fidelity check           {check:6.2f} s   (median of {args.rounds})")
    print(f"  one bare forward pass    {one_pass:6.2f} s")
    print(f"  ratio                    {check / one_pass:6.2f}")
    print(f"  floor: two bare passes   {floor:6.2f} s   (f16/f16 FA off + q8_0/q8_0 FA on: {floor / one_pass:.2f})")
    print(f"  first check on a model   {first:6.2f} s   (includes writing the reference text)")


if __name__ == "__main__":
    main()
