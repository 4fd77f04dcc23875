"""Start-up time of the frozen app (PyInstaller one-folder build) against `python -m app`.

Both run `--self-test` offscreen, which times itself from process creation: to the window on
screen, to the starter model loaded, and to the end of an 8-token reply. Runs alternate;
medians and the ratio frozen/source are printed. Target: the frozen app is no slower (<= 1.0).

    python benchmarks/startup_time.py [build/dist/kvchat/kvchat] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("window_shown_s", "model_loaded_s", "total_s")


def run(command: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        subprocess.run([*command, "--self-test", "--self-test-out", str(report)], env=env, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        data = json.loads(report.read_text())
    if not data.get("ok"):
        raise SystemExit(f"{command[0]}: self-test failed: {data.get('error')}")
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("frozen", nargs="?", default=str(ROOT / "build" / "dist" / "kvchat" / "kvchat"))
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    commands = {"frozen": [args.frozen], "source": [sys.executable, "-m", "app"]}
    results: dict[str, list[dict]] = {"frozen": [], "source": []}
    run(commands["frozen"])  # warm the page cache for both before timing
    run(commands["source"])
    for i in range(args.rounds):
        order = ("frozen", "source") if i % 2 == 0 else ("source", "frozen")
        for name in order:
            results[name].append(run(commands[name]))
    print(f"{'':<16}{'frozen (median)':>17}{'python -m app':>16}{'ratio':>9}")
    for measure in MEASURES:
        frozen = statistics.median(r[measure] for r in results["frozen"])
        source = statistics.median(r[measure] for r in results["source"])
        print(f"{measure:<16}{frozen:>15.3f} s{source:>14.3f} s{frozen / source:>9.2f}")
    print(f"{args.rounds} alternating rounds; target: ratio <= 1.0")


if __name__ == "__main__":
    main()
