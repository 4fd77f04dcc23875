"""Time to first token and tokens/s of a reply streamed through RemoteHost vs a bare client of the
same OpenAI-compatible server.

Starts llama-cpp-python's server on loopback with the starter model as the tests do (n_ctx 2048,
flash attention on, q8_0 K / q4_0 V cache), then sends the same chat request both ways: through
RemoteHost (a worker thread reading server-sent events, ReplyChunk records handed to the event
loop), and as a plain urllib POST to /v1/chat/completions with the same body fields, reading the
event lines in a loop. Temperature 0 and a fixed seed, so both get the same tokens. One request
before the rounds warms the server up (not counted); rounds are interleaved, alternating which goes
first. Time to first token is from sending the request to the first piece of text; tokens/s counts
the text events after the first, over the time from the first to the last. Prints each round and
the medians, and the median ratio RemoteHost/bare of tokens/s.

    python benchmarks/remote_overhead.py [MODEL] [--rounds 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.paths import starter_model_path  # noqa: E402
from app.engine.records import ChatMessage, SamplingParams  # noqa: E402
from app.engine.remote.host import RemoteHost  # noqa: E402
from tests.llama_server import ALIAS, llama_cpp_server  # noqa: E402

PROMPT = [ChatMessage("user", "Write a long, detailed story about a lighthouse keeper and a storm.")]


def request_body(sampling: SamplingParams) -> dict:
    """The fields RemoteHost sends for a chat."""
    return {"messages": [m.as_dict() for m in PROMPT], "model": ALIAS, "stream": True,
            "temperature": sampling.temperature, "top_p": sampling.top_p, "max_tokens": sampling.max_tokens,
            "top_k": sampling.top_k, "min_p": sampling.min_p, "repeat_penalty": sampling.repeat_penalty,
            "seed": sampling.seed}


def figures(started: float, times: list[float]) -> tuple[float, float, int]:
    n = len(times)
    return times[0] - started, (n - 1) / (times[-1] - times[0]), n


def run_bare(url: str, sampling: SamplingParams) -> tuple[str, float, float, int]:
    request = urllib.request.Request(url + "/v1/chat/completions", data=json.dumps(request_body(sampling)).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    times, text = [], []
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        for raw in response:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            choice = (json.loads(payload).get("choices") or [{}])[0]
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                times.append(time.perf_counter())
                text.append(piece)
    return "".join(text), *figures(started, times)


async def run_host(host: RemoteHost, sampling: SamplingParams) -> tuple[str, float, float, int]:
    times, text = [], []
    started = time.perf_counter()
    async with contextlib.aclosing(host.chat(PROMPT, sampling)) as stream:
        async for chunk in stream:
            if chunk.phase == "generating":
                times.append(time.perf_counter())
                text.append(chunk.text)
    return "".join(text), *figures(started, times)


async def rounds(url: str, args) -> None:
    sampling = SamplingParams(max_tokens=args.tokens, seed=1234, temperature=0.0)
    host = RemoteHost(url)
    report = await host.connect()
    print(f"{report.server} at {url}, model {report.model}, "
          + ", ".join(f"{k} {v}" for k, v in report.facts.items()) + f"; up to {args.tokens} tokens per reply")
    run_bare(url, sampling)  # warm-up: the first request reads the whole prompt
    bare_ttft, bare_tps, host_ttft, host_tps, ratios = [], [], [], [], []
    try:
        for i in range(args.rounds):
            if i % 2 == 0:
                bare = run_bare(url, sampling)
                hosted = await run_host(host, sampling)
            else:
                hosted = await run_host(host, sampling)
                bare = run_bare(url, sampling)
            assert bare[0] == hosted[0] and bare[3] == hosted[3], "the two clients received different replies"
            bare_ttft.append(bare[1])
            bare_tps.append(bare[2])
            host_ttft.append(hosted[1])
            host_tps.append(hosted[2])
            ratios.append(hosted[2] / bare[2])
            print(f"  round {i + 1}: bare TTFT {bare[1] * 1000:6.1f} ms {bare[2]:6.1f} tok/s   "
                  f"RemoteHost TTFT {hosted[1] * 1000:6.1f} ms {hosted[2]:6.1f} tok/s   ratio {ratios[-1]:.3f}   "
                  f"({hosted[3]} tokens)")
    finally:
        await host.close()
    print(f"median TTFT: bare {statistics.median(bare_ttft) * 1000:.1f} ms, "
          f"RemoteHost {statistics.median(host_ttft) * 1000:.1f} ms")
    print(f"median tok/s: bare {statistics.median(bare_tps):.1f}, RemoteHost {statistics.median(host_tps):.1f}")
    print(f"median ratio RemoteHost/bare tok/s: {statistics.median(ratios):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, llama_cpp_server(args.model, Path(tmp) / "server.log") as url:
        print("server started (its log says: K (q8_0), V (q4_0))")
        asyncio.run(rounds(url, args))


if __name__ == "__main__":
    main()
