"""How long the app takes to exit when its window is closed mid-reply (target: within 2 s),
and whether the partial reply was saved. Runs the real window in a child process, offscreen.

    python benchmarks/shutdown_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.store import open_store  # noqa: E402


def one_run() -> tuple[float, bool]:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        child = subprocess.Popen([sys.executable, "-m", "tests.reliability.app_driver", data, "close"], cwd=ROOT,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in child.stdout:
            if line.startswith("STREAMING"):
                started = time.monotonic()  # the driver closes the window right after saying this
                break
        child.stdout.read()
        child.wait()
        seconds = time.monotonic() - started
        store = open_store(Path(data) / "conversations.sqlite3")
        last = store.messages(store.conversations()[0].id)[-1]
        return seconds, last.role == "assistant" and last.finish_reason == "cancelled"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = [one_run() for _ in range(parser.parse_args().runs)]
    times = [t for t, _ in runs]
    print(f"close mid-reply -> process exit: median {statistics.median(times):.3f} s, max {max(times):.3f} s "
          f"over {len(runs)} runs; partial reply saved in {sum(saved for _, saved in runs)}/{len(runs)} (target: < 2 s)")


if __name__ == "__main__":
    main()
