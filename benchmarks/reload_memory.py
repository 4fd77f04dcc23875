"""Process memory across repeated unload/reload cycles with different K/V settings.

    python benchmarks/reload_memory.py [--cycles 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools

import psutil

from app.core.paths import starter_model_path
from app.engine.config import LoadConfig
from app.engine.host import EngineHost
from app.engine.memory import MIB
from app.engine.records import ChatMessage, SamplingParams

PAIRS = [("f16", "f16"), ("q8_0", "q4_0"), ("q4_0", "q4_0"), ("bf16", "q8_0"), ("f32", "f16")]


async def main(cycles: int) -> None:
    process = psutil.Process()
    model = str(starter_model_path())
    host = EngineHost()
    try:
        await host.load(LoadConfig(model, n_ctx=8192))
        await host.unload()
        gc.collect()
        baseline = process.memory_info().rss
        peak = 0
        for i, (k, v) in zip(range(cycles), itertools.cycle(PAIRS)):
            await host.load(LoadConfig(model, n_ctx=4096 + 256 * i, type_k=k, type_v=v))
            async for _chunk in host.chat([ChatMessage("user", "Hi")], SamplingParams(max_tokens=4, seed=1)):
                pass
            peak = max(peak, process.memory_info().rss)
            await host.unload()
            gc.collect()
            if (i + 1) % 5 == 0:
                print(f"  after {i + 1:2} reloads: {process.memory_info().rss / MIB:7.1f} MiB unloaded")
        after = process.memory_info().rss
    finally:
        await host.close()
    print(f"baseline (one load and unload) {baseline / MIB:.1f} MiB; after {cycles} reloads {after / MIB:.1f} MiB "
          f"({(after - baseline) / MIB:+.1f} MiB); loaded peak {peak / MIB:.1f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=20)
    asyncio.run(main(parser.parse_args().cycles))
