"""Tokens/s of a reply streamed through EngineHost vs a bare llama-cpp-python loop.

Same model, same settings, same prompt tokens, same sampler and seed (so both produce the
same tokens); runs are interleaved, alternating which goes first. Prints each round and
the median ratio host/bare. Target: >= 0.98.

    python benchmarks/engine_overhead.py [MODEL] [--rounds 10] [--tokens 256] [--type-k q8_0 --type-v q8_0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import statistics
import time

import llama_cpp.llama_cpp as llama_c
from llama_cpp import Llama

from app.core.paths import starter_model_path
from app.engine import llama_log
from app.engine.config import LoadConfig, default_threads
from app.engine.host import EngineHost
from app.engine.memory import N_UBATCH
from app.engine.prompt import PromptBuilder
from app.engine.records import ChatMessage, SamplingParams

PROMPT = [ChatMessage("user", "Write a long, detailed story about a lighthouse keeper and a storm.")]


def bare_llama(host_report) -> Llama:
    r = host_report
    llama_log.install()
    with contextlib.redirect_stderr(io.StringIO()):
        return Llama(
            model_path=r.model.path, n_ctx=r.n_ctx, n_batch=N_UBATCH, n_ubatch=N_UBATCH,
            n_threads=default_threads(), n_threads_batch=default_threads(),
            type_k=r.estimate.type_k.ggml_id, type_v=r.estimate.type_v.ggml_id,
            flash_attn=r.flash_attn, swa_full=not r.compact_window, n_gpu_layers=0, verbose=True,
        )


def run_bare(llm: Llama, tokens: list[int], sampling: SamplingParams) -> tuple[int, float]:
    llm.set_seed(sampling.seed)
    vocab = llama_c.llama_model_get_vocab(llm.model)
    times = []
    n = 0
    for token in llm.generate(tokens, top_k=sampling.top_k, top_p=sampling.top_p, min_p=sampling.min_p,
                              temp=sampling.temperature, repeat_penalty=sampling.repeat_penalty):
        if llama_c.llama_vocab_is_eog(vocab, token):
            break
        llm.detokenize([token])
        times.append(time.perf_counter())
        n += 1
        if n >= sampling.max_tokens:
            break
    return n, (n - 1) / (times[-1] - times[0])


async def run_host(host: EngineHost, sampling: SamplingParams) -> tuple[int, float]:
    times = []
    n = 0
    async for chunk in host.chat(PROMPT, sampling):
        if chunk.phase == "generating":
            times.append(time.perf_counter())
            n += 1
    return n, (n - 1) / (times[-1] - times[0])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--type-k", default="f16")
    parser.add_argument("--type-v", default="f16")
    args = parser.parse_args()

    host = EngineHost()
    report = await host.load(LoadConfig(args.model, n_ctx=args.ctx, type_k=args.type_k, type_v=args.type_v))
    bare = bare_llama(report)
    bare.verbose = False  # no per-call prefix-cache chatter
    tokens = PromptBuilder(bare, report.model).chat_tokens(PROMPT)
    sampling = SamplingParams(seed=1234, max_tokens=args.tokens)
    print(f"{report.model.display_name}, K {report.type_k} / V {report.type_v}, n_ctx {report.n_ctx}, "
          f"flash attention {'on' if report.flash_attn else 'off'}, {args.tokens} tokens per run")
    ratios = []
    try:
        for i in range(args.rounds):
            if i % 2 == 0:
                n_bare, bare_tps = run_bare(bare, tokens, sampling)
                n_host, host_tps = await run_host(host, sampling)
            else:
                n_host, host_tps = await run_host(host, sampling)
                n_bare, bare_tps = run_bare(bare, tokens, sampling)
            assert n_bare == n_host, f"the two loops produced {n_bare} and {n_host} tokens"
            ratios.append(host_tps / bare_tps)
            print(f"  round {i + 1}: bare {bare_tps:6.1f} tok/s   host {host_tps:6.1f} tok/s   "
                  f"ratio {ratios[-1]:.3f}   ({n_host} tokens)")
    finally:
        bare.close()
        await host.close()
    print(f"median ratio host/bare: {statistics.median(ratios):.3f}  (target >= 0.98)")


if __name__ == "__main__":
    asyncio.run(main())
