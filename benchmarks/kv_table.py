"""The README's measured table: per K/V pair, the KV bytes llama.cpp allocated, the saving
against f16/f16, and generation speed, all through EngineHost on one model.

    python benchmarks/kv_table.py [MODEL] [--ctx 8192] [--tokens 128] [--depth 2000] [--pairs f16/f16,q8_0/q4_0]

Speed is measured twice: right after a short prompt, and after a prompt of --depth tokens
(where the cache type matters most on CPU). Best of --repeat runs each.
"""

from __future__ import annotations

import argparse
import asyncio

from app.core.paths import starter_model_path
from app.engine.config import LoadConfig
from app.engine.host import EngineHost
from app.engine.memory import MIB
from app.engine.records import ChatMessage, SamplingParams

DEFAULT_PAIRS = (
    "f32/f32,f16/f16,bf16/bf16,q8_0/q8_0,q5_1/q5_1,q5_0/q5_0,q4_1/q4_1,q4_0/q4_0,iq4_nl/iq4_nl,"
    "q8_0/q4_0,f16/q4_0,q4_0/f16,f16/q8_0"
)


async def speed(host: EngineHost, prompt: str, tokens: int, repeat: int) -> float:
    best = 0.0
    for i in range(repeat):
        done = None
        async for chunk in host.chat([ChatMessage("user", prompt)], SamplingParams(seed=7 + i, max_tokens=tokens)):
            done = chunk
        best = max(best, done.stats.tokens_per_second or 0.0)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--depth", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pairs", default=DEFAULT_PAIRS)
    args = parser.parse_args()
    short = "Write a story about a lighthouse keeper."
    long = "Continue this text. " + "The lighthouse keeper watched the sea and wrote in his log. " * (args.depth // 12)

    host = EngineHost()
    try:
        print(f"| K / V | FA | KV bytes | KV MiB | saving vs f16/f16 | tok/s (short) | tok/s (after ~{args.depth} tokens) |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for pair in args.pairs.split(","):
            type_k, type_v = pair.split("/")
            report = await host.load(LoadConfig(args.model, n_ctx=args.ctx, type_k=type_k, type_v=type_v))
            assert report.kv_exact and report.kv == report.estimate.kv
            fast = await speed(host, short, args.tokens, args.repeat)
            deep = await speed(host, long, args.tokens, args.repeat)
            print(f"| {type_k} / {type_v} | {'on' if report.flash_attn else 'off'} | {report.kv.total:,} | "
                  f"{report.kv.total / MIB:.2f} | {report.saving_bytes / MIB:,.2f} MiB ({report.saving_percent:.1f} %) | "
                  f"{fast:.1f} | {deep:.1f} |", flush=True)
        print(f"\n{report.model.display_name}, n_ctx {report.n_ctx:,}, {args.tokens} generated tokens per run, "
              f"best of {args.repeat}.")
    finally:
        await host.close()


if __name__ == "__main__":
    asyncio.run(main())
