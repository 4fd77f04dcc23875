"""Tokens/s at 1..N llama.cpp threads, on a quiet CPU and beside one busy background process.

One bare llama-cpp-python context; `llama_set_n_threads` sets the generation and the prompt
threads before each measurement. Each round measures every (load, threads) case, the order
rotated from round to round; the busy case runs a `python -c "while True: pass"` child for its
measurement only. Prints each case's median generation and prompt tok/s, and for both loads the
ratio of the app's default (app/engine/cpu_cores.py) to the best thread count.

    python benchmarks/threads.py [MODEL] [--rounds 5] [--tokens 64] [--prompt 256] [--max-threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import time

import llama_cpp.llama_cpp as llama_c
from llama_cpp import Llama

from app.core.paths import starter_model_path
from app.engine import llama_log
from app.engine.cpu_cores import generation_threads, prompt_threads, read_topology
from app.engine.memory import N_UBATCH

BUSY = "while True: pass"


def load(model: str, n_ctx: int) -> Llama:
    llama_log.install()
    with contextlib.redirect_stderr(io.StringIO()):
        return Llama(model_path=model, n_ctx=n_ctx, n_batch=N_UBATCH, n_ubatch=N_UBATCH, n_gpu_layers=0,
                     verbose=True)


def measure(llm: Llama, threads: int, prompt: list[int], n_tokens: int) -> tuple[float, float]:
    """(generation tok/s, prompt tok/s) with `threads` for both."""
    llama_c.llama_set_n_threads(llm.ctx, threads, threads)
    llm.reset()
    llama_c.llama_memory_clear(llama_c.llama_get_memory(llm.ctx), True)
    started = time.perf_counter()
    llm.eval(prompt)
    read = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(n_tokens):
        logits = llm.scores[llm.n_tokens - 1]
        llm.eval([int(logits.argmax())])  # greedy: the same tokens every time
    return n_tokens / (time.perf_counter() - started), len(prompt) / read


@contextlib.contextmanager
def background(busy: bool):
    child = subprocess.Popen([sys.executable, "-c", BUSY]) if busy else None
    try:
        yield
    finally:
        if child is not None:
            child.kill()
            child.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--prompt", type=int, default=256)
    parser.add_argument("--max-threads", type=int, default=None)
    args = parser.parse_args()
    cpus = read_topology()
    top = args.max_threads or cpus.logical
    llm = load(args.model, 1024)
    text = "The river flows past the old mill and the hills, and the miller counts the sacks. " * 40
    prompt = llm.tokenize(text.encode())[:args.prompt]
    cases = [(busy, t) for busy in (False, True) for t in range(1, top + 1)]
    results: dict[tuple[bool, int], list[tuple[float, float]]] = {case: [] for case in cases}
    measure(llm, 1, prompt[:16], 4)  # warm up
    for r in range(args.rounds):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for busy, t in order:
            with background(busy):
                results[busy, t].append(measure(llm, t, prompt, args.tokens))
        print(f"round {r + 1}/{args.rounds} done", flush=True)
    llm.close()

    gen_default, read_default = generation_threads(cpus), prompt_threads(cpus)
    print(f"\n{cpus.logical} logical CPUs, {cpus.physical} physical cores; default: {gen_default} generation, "
          f"{read_default} prompt thread(s); {args.rounds} rounds, {args.tokens} tokens, {len(prompt)}-token prompt")
    print("| background | threads | generation tok/s | prompt tok/s |")
    print("|---|---:|---:|---:|")
    medians = {}
    for busy, t in cases:
        gen = statistics.median(g for g, _ in results[busy, t])
        read = statistics.median(p for _, p in results[busy, t])
        medians[busy, t] = gen, read
        defaults = ((" (generation default)", gen_default), (" (prompt default)", read_default))
        mark = " (default)" if gen_default == read_default == t else "".join(s for s, n in defaults if n == t)
        print(f"| {'one busy process' if busy else 'none'} | {t}{mark} | {gen:.1f} | {read:.1f} |")
    for busy in (False, True):
        rows = {t: medians[busy, t] for t in range(1, top + 1)}
        best_gen = max(rows, key=lambda t: rows[t][0])
        best_read = max(rows, key=lambda t: rows[t][1])
        where = "beside one busy process" if busy else "quiet"
        print(f"{where}: generation default {gen_default} / best {best_gen} = "
              f"{rows[min(gen_default, top)][0] / rows[best_gen][0]:.2f}; prompt default {read_default} / best "
              f"{best_read} = {rows[min(read_default, top)][1] / rows[best_read][1]:.2f}")


if __name__ == "__main__":
    main()
