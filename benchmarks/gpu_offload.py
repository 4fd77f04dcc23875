"""Tokens/s with layers on the GPU: a reply streamed through EngineHost vs a bare llama-cpp-python
loop at the same offload settings, by number of GPU layers.

For each GPU-layer count (0, half the layers, all of them and the output layer by default; a count
includes the output layer, as in llama.cpp, so n_layer + 1 is everything) EngineHost loads the model
with LoadConfig(gpu_layers=N), and a bare `Llama` is built with what the engine gives llama.cpp:
the same n_ctx, cache types, flash attention, threads, n_gpu_layers and offload_kqv, n_batch and
n_ubatch 512. Both continue the same prompt (host.complete; the bare loop tokenizes it the same way)
greedily, temperature 0 and a fixed seed, for the same number of tokens. One short run each after
every load warms up (not counted: a GPU backend builds its pipelines on first use); rounds are
interleaved, alternating which goes first. EngineHost's tok/s is its own `stats.tokens_per_second`
(tokens after the first, over the time since the first); the bare loop's is measured the same way
on llm.generate. Prints the devices, each load's offloaded layers and KV bytes per device, each
round, and per GPU-layer count the medians, the median ratio EngineHost/bare, and each side's
speed relative to 0 GPU layers. A build without a GPU runs only the 0-layer row.

Both models stay loaded while a row is measured (the starter model is small); --separate loads one
at a time instead, reloading before every run (load time not counted).

    python benchmarks/gpu_offload.py [--model PATH] [--layers 0,half,all] [--rounds 3] [--tokens 64]
        [--type-k q8_0] [--type-v q4_0] [--flash-attn auto] [--ctx 2048] [--no-kv-offload] [--separate]

A Vulkan build sees Mesa's software device (llvmpipe) only with GGML_VK_VISIBLE_DEVICES=0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402
import llama_cpp.llama_cpp as llama_c  # noqa: E402
from llama_cpp import Llama  # noqa: E402

from app.core.paths import starter_model_path  # noqa: E402
from app.engine import llama_log  # noqa: E402
from app.engine.config import LoadConfig, default_threads  # noqa: E402
from app.engine.devices.registry import gpu_offload_supported, list_devices, offload_devices  # noqa: E402
from app.engine.gguf.info import read_model_info  # noqa: E402
from app.engine.host import EngineHost  # noqa: E402
from app.engine.memory import MIB, N_UBATCH  # noqa: E402
from app.engine.records import LoadReport, SamplingParams  # noqa: E402

PROMPT = ("The lighthouse keeper climbed the spiral stairs as the storm rolled in from the sea. "
          "He had kept the light for thirty years, and tonight")
SEED = 1234
WARMUP_TOKENS = 8


def layer_counts(spec: str, n_layer: int) -> list[int]:
    """'0,half,all,12' as llama.cpp n_gpu_layers values, in order, without repeats."""
    out = []
    for item in (s.strip().lower() for s in spec.split(",") if s.strip()):
        if item in ("0", "none"):
            n = 0
        elif item == "half":
            n = n_layer // 2
        elif item == "all":
            n = n_layer + 1
        else:
            n = int(item)
            if not 0 <= n <= n_layer + 1:
                raise SystemExit(f"--layers: {n} is not between 0 and {n_layer + 1} for this model")
        if n not in out:
            out.append(n)
    return out


def sampling(tokens: int) -> SamplingParams:
    return SamplingParams(temperature=0.0, seed=SEED, max_tokens=tokens)


def mib(n: int) -> str:
    return f"{n / MIB:.2f} MiB"


def describe_load(report: LoadReport) -> str:
    kv = ", ".join(f"{d.name} {mib(d.kv_bytes)}" for d in report.devices) or mib(report.kv.total)
    return (f"EngineHost: {report.offloaded_layers} of {report.model.n_layer} layers offloaded; "
            f"KV per device: {kv}; loaded in {report.load_seconds:.2f} s")


def bare_llama(report: LoadReport, n_gpu_layers: int, kv_offload: bool) -> Llama:
    """A Llama with what the engine gave llama.cpp for `report`."""
    threads = report.config.n_threads or default_threads()
    with llama_log.capture(), contextlib.redirect_stderr(io.StringIO()):
        llm = Llama(
            model_path=report.model.path, n_ctx=report.n_ctx, n_batch=N_UBATCH, n_ubatch=N_UBATCH,
            n_threads=threads, n_threads_batch=threads,
            type_k=report.estimate.type_k.ggml_id, type_v=report.estimate.type_v.ggml_id,
            flash_attn=report.flash_attn, swa_full=not report.compact_window,
            n_gpu_layers=n_gpu_layers, offload_kqv=kv_offload, verbose=True,
        )
    llm.verbose = False  # no per-call prefix-cache chatter
    return llm


def run_bare(llm: Llama, prompt_tokens: list[int], params: SamplingParams) -> tuple[str, int, float]:
    llm.set_seed(params.seed)
    vocab = llama_c.llama_model_get_vocab(llm.model)
    pieces, first_at, tps = [], None, 0.0
    for token in llm.generate(prompt_tokens, top_k=params.top_k, top_p=params.top_p, min_p=params.min_p,
                              temp=params.temperature, repeat_penalty=params.repeat_penalty, reset=True):
        now = time.perf_counter()
        if first_at is None:
            first_at = now
        if llama_c.llama_vocab_is_eog(vocab, token):
            break
        pieces.append(llm.detokenize([token]))
        if len(pieces) > 1 and now > first_at:
            tps = (len(pieces) - 1) / (now - first_at)
        if len(pieces) >= params.max_tokens:
            break
    return b"".join(pieces).decode("utf-8", errors="replace"), len(pieces), tps


async def run_host(host: EngineHost, params: SamplingParams) -> tuple[str, int, float]:
    text, stats = [], None
    async with contextlib.aclosing(host.complete(PROMPT, params)) as stream:
        async for chunk in stream:
            text.append(chunk.text)
            if chunk.phase == "generating":
                stats = chunk.stats
    if stats is None:
        return "", 0, 0.0
    return "".join(text), stats.generated_tokens, stats.tokens_per_second or 0.0


class Pair:
    """EngineHost and the bare Llama at one GPU-layer count, both loaded or (separate) one at a time."""

    def __init__(self, host: EngineHost, config: LoadConfig, n_gpu_layers: int, separate: bool) -> None:
        self.host, self.config, self.n_gpu_layers, self.separate = host, config, n_gpu_layers, separate
        self.report: LoadReport | None = None
        self.bare: Llama | None = None
        self.prompt_tokens: list[int] = []

    async def start(self) -> LoadReport:
        self.report = await self.host.load(self.config)
        self.bare = bare_llama(self.report, self.n_gpu_layers, self.config.kv_offload)
        self.prompt_tokens = self.bare.tokenize(PROMPT.encode("utf-8"), add_bos=True, special=False)
        await self.warm_up()
        return self.report

    async def warm_up(self) -> None:
        await run_host(self.host, sampling(WARMUP_TOKENS))
        if self.separate:
            await self.host.unload()
        run_bare(self.bare, self.prompt_tokens, sampling(WARMUP_TOKENS))
        if self.separate:
            self.free_bare()

    async def measure_host(self, params: SamplingParams) -> tuple[str, int, float]:
        if self.separate:
            await self.host.load(self.config)
            await run_host(self.host, sampling(WARMUP_TOKENS))
        try:
            return await run_host(self.host, params)
        finally:
            if self.separate:
                await self.host.unload()

    def measure_bare(self, params: SamplingParams) -> tuple[str, int, float]:
        if self.separate:
            self.bare = bare_llama(self.report, self.n_gpu_layers, self.config.kv_offload)
            run_bare(self.bare, self.prompt_tokens, sampling(WARMUP_TOKENS))
        try:
            return run_bare(self.bare, self.prompt_tokens, params)
        finally:
            if self.separate:
                self.free_bare()

    def free_bare(self) -> None:
        if self.bare is not None:
            self.bare.close()
            self.bare = None
            gc.collect()

    async def stop(self) -> None:
        self.free_bare()
        await self.host.unload()


async def measure_row(host: EngineHost, config: LoadConfig, n: int, args) -> tuple[list[float], list[float],
                                                                                   list[float]]:
    pair = Pair(host, config, n, args.separate)
    host_tps, bare_tps, ratios = [], [], []
    try:
        report = await pair.start()
        print(f"{n} GPU layers: {describe_load(report)}")
        params = sampling(args.tokens)
        for i in range(args.rounds):
            if i % 2 == 0:
                bare = pair.measure_bare(params)
                hosted = await pair.measure_host(params)
            else:
                hosted = await pair.measure_host(params)
                bare = pair.measure_bare(params)
            host_tps.append(hosted[2])
            bare_tps.append(bare[2])
            ratios.append(hosted[2] / bare[2] if bare[2] else float("nan"))
            if hosted[1] != bare[1]:
                note = f"EngineHost {hosted[1]} / bare {bare[1]} tokens"
            else:
                note = f"{hosted[1]} tokens" + ("" if hosted[0] == bare[0] else ", texts differ")
            print(f"  round {i + 1}: bare {bare[2]:7.2f} tok/s   EngineHost {hosted[2]:7.2f} tok/s   "
                  f"ratio {ratios[-1]:.3f}   ({note})")
    finally:
        await pair.stop()
    return host_tps, bare_tps, ratios


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(starter_model_path()))
    parser.add_argument("--layers", default="0,half,all",
                        help="comma list of GPU-layer counts: numbers (n_layer + 1 is everything), none, half, all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--type-k", default="q8_0")
    parser.add_argument("--type-v", default="q4_0")
    parser.add_argument("--flash-attn", default="auto", choices=("auto", "on", "off"))
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--kv-offload", action=argparse.BooleanOptionalAction, default=True,
                        help="offloaded layers keep their K and V in VRAM (llama.cpp's offload_kqv)")
    parser.add_argument("--separate", action="store_true",
                        help="never keep both models loaded: reload before every run")
    args = parser.parse_args()

    info = read_model_info(args.model)
    counts = layer_counts(args.layers, info.n_layer)
    devices = list_devices()
    gpus = offload_devices(devices)
    print(f"llama-cpp-python {llama_cpp.__version__}; devices: " + ", ".join(
        f"{d.name} ({d.description}, {d.kind}, {d.free_bytes / MIB:,.0f} of {d.total_bytes / MIB:,.0f} MiB free)"
        for d in devices))
    if gpu_offload_supported() and gpus:
        print("offload to: " + ", ".join(f"{d.name} ({d.description})" for d in gpus))
    else:
        why = "no GPU offload in this build" if not gpu_offload_supported() else "GPU offload built in, but no GPU found"
        print(f"{why}: only the 0-layer row is run")
        counts = [0]
    print(f"{info.display_name}: {info.n_layer} layers (+1 output layer); K {args.type_k} / V {args.type_v}, "
          f"flash attention {args.flash_attn}, n_ctx {args.ctx}, KV offload {'on' if args.kv_offload else 'off'}; "
          f"{args.tokens} tokens per run, greedy, seed {SEED}, {args.rounds} round{'s' if args.rounds != 1 else ''}"
          + (", one model loaded at a time" if args.separate else ""))

    llama_log.install()
    host = EngineHost()
    rows = {}
    try:
        for n in counts:
            config = LoadConfig(args.model, n_ctx=args.ctx, type_k=args.type_k, type_v=args.type_v,
                                flash_attn=args.flash_attn, gpu_layers=n, kv_offload=args.kv_offload)
            rows[n] = await measure_row(host, config, n, args)
    finally:
        await host.close()

    base = rows.get(0)
    base_host = statistics.median(base[0]) if base else None
    base_bare = statistics.median(base[1]) if base else None
    print(f"{'GPU layers':>10}  {'EngineHost tok/s':>16}  {'bare tok/s':>10}  {'ratio':>6}  "
          f"{'vs 0 layers: EngineHost':>23}  {'bare':>6}")
    for n, (host_tps, bare_tps, ratios) in rows.items():
        h, b = statistics.median(host_tps), statistics.median(bare_tps)
        rel_h = f"{h / base_host:.2f}x" if base_host else "n/a"
        rel_b = f"{b / base_bare:.2f}x" if base_bare else "n/a"
        print(f"{n:>10}  {h:>16.2f}  {b:>10.2f}  {statistics.median(ratios):>6.3f}  {rel_h:>23}  {rel_b:>6}")
    print("(medians over the rounds; ratio: median of each round's EngineHost/bare)")


if __name__ == "__main__":
    asyncio.run(main())
