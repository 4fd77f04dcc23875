"""Does the KV lab's KL divergence agree with llama.cpp's own `llama-perplexity --kl-divergence`?

Both read the same text in 512-token chunks and score the second half of each chunk. The base
logits come from an f16/f16 cache with flash attention off (the lab's reference); each pair then
runs with its quantized cache (`-ctk/-ctv`) and flash attention on, as the lab runs it. Prints
both mean KLs, their ratio and both top-1 agreements per pair.

llama-perplexity is built once from the llama.cpp source vendored in the llama-cpp-python 0.3.36
sdist, under build/llama-perplexity/ (git-ignored): pip download, extract, cmake with
-DGGML_NATIVE=OFF, only the llama-perplexity target, -j2. That takes a while on two cores.

    python benchmarks/lab_vs_perplexity.py [MODEL] [--text FILE] [--chunks 4]
                                           [--pairs q8_0/q8_0,q4_0/q4_0,f16/f16]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

from app.core.paths import starter_model_path
from app.engine.config import LoadConfig, resolve
from app.engine.gguf.info import read_model_info
from app.engine.lab.reference import CHUNK_TOKENS
from app.engine.lab.results import LabPair
from app.engine.lab.run import LabSpec, run_lab
from app.engine.llm import ChatEngine
from app.engine.memory import MIB

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "llama-perplexity"
VERSION = "0.3.36"
TOOL = BUILD / "cmake-build" / "bin" / "llama-perplexity"


def find_or_build_tool() -> Path:
    if TOOL.is_file():
        return TOOL
    BUILD.mkdir(parents=True, exist_ok=True)
    sdist = BUILD / f"llama_cpp_python-{VERSION}.tar.gz"
    if not sdist.is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        f"llama-cpp-python=={VERSION}", "-d", str(BUILD)], check=True)
    source = BUILD / f"llama_cpp_python-{VERSION}" / "vendor" / "llama.cpp"
    if not source.is_dir():
        with tarfile.open(sdist) as archive:
            archive.extractall(BUILD, filter="data")
    cmake_build = BUILD / "cmake-build"
    subprocess.run(["cmake", "-S", str(source), "-B", str(cmake_build), "-DGGML_NATIVE=OFF",
                    "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
                    "-DLLAMA_BUILD_SERVER=OFF", "-DBUILD_SHARED_LIBS=OFF"], check=True)
    subprocess.run(["cmake", "--build", str(cmake_build), "--target", "llama-perplexity", "-j2"], check=True)
    return TOOL


def perplexity_tool(tool: Path, model: str, text: str, chunks: int, threads: int, type_k: str, type_v: str,
                    flash_attn: bool, base: Path, compare: bool) -> str:
    cmd = [str(tool), "-m", model, "-f", text, "-c", str(CHUNK_TOKENS), "-b", str(CHUNK_TOKENS),
           "--chunks", str(chunks), "-t", str(threads), "-ctk", type_k, "-ctv", type_v,
           "-fa", "on" if flash_attn else "off", "--kl-divergence-base", str(base)]
    if compare:
        cmd.append("--kl-divergence")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"llama-perplexity failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout + done.stderr


def parsed(output: str) -> tuple[float, float, float]:
    """Mean KLD, its uncertainty and 'Same top p' (a fraction) from llama-perplexity's summary."""
    kl = re.search(r"Mean\s+KLD:\s+([-\d.]+)\s+±\s+([-\d.]+)", output)
    top = re.search(r"Same top p:\s+([-\d.]+)\s+±", output)
    if not kl or not top:
        raise SystemExit("could not read llama-perplexity's summary:\n" + output[-2000:])
    return float(kl.group(1)), float(kl.group(2)), float(top.group(1)) / 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=str(starter_model_path()))
    parser.add_argument("--text", default=str(ROOT / "README.md"), help="a text of at least 2 chunks")
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("--pairs", default="q8_0/q8_0,q4_0/q4_0,f16/f16")
    args = parser.parse_args()
    pairs = [LabPair.parse(p) for p in args.pairs.split(",")]
    tool = find_or_build_tool()

    engine = ChatEngine()
    info = read_model_info(args.model)
    engine.load(resolve(LoadConfig(args.model, n_ctx=4096), info, 16 * 1024 * MIB))
    model = engine.loaded()
    threads = model.resolved.n_threads_batch  # llama-perplexity only reads text
    scored = args.chunks * (CHUNK_TOKENS - 1 - CHUNK_TOKENS // 2)
    # f16/f16 in the list is the noise floor: the same cache with flash attention on.
    lab_pairs = tuple(LabPair(p.type_k, p.type_v, "on") for p in pairs)
    report = run_lab(model.llm, model.resolved, model.prompts,
                     LabSpec(pairs=lab_pairs, scored_tokens=scored, text_file=args.text, noise_floor=False),
                     threading.Event(), lambda _p: None)
    engine.unload()
    measured = (*report.results, *([report.noise_floor] if report.noise_floor else []))  # f16/f16 FA on lands here
    by_label = {r.pair.label: r for r in measured}
    print(f"{info.display_name}: {Path(args.text).name}, {args.chunks} chunks of {CHUNK_TOKENS} tokens, "
          f"{report.scored_tokens} scored tokens (the lab) ; base f16/f16 FA off, pairs FA on, {threads} threads")
    print(f"{'K/V':<12} {'lab KL':>10} {'llama.cpp KL':>20} {'ratio':>7} {'lab top-1':>10} {'llama.cpp top-1':>16}")
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "base.kld"
        perplexity_tool(tool, args.model, args.text, args.chunks, threads, "f16", "f16", False, base, False)
        for pair, lab_pair in zip(pairs, lab_pairs, strict=True):
            out = perplexity_tool(tool, args.model, args.text, args.chunks, threads, pair.type_k, pair.type_v,
                                  True, base, True)
            kl, spread, top = parsed(out)
            mine = by_label[lab_pair.label]
            print(f"{pair.type_k + '/' + pair.type_v:<12} {mine.kl_mean:>10.5f} {kl:>11.5f} ± {spread:.5f} "
                  f"{mine.kl_mean / kl:>7.3f} {mine.top1_agreement * 100:>9.1f}% {top * 100:>15.1f}%")
    if report.errors:
        print("not measured by the lab:", report.errors)


if __name__ == "__main__":
    main()
