"""How long the window's event loop stalls while a long reply streams.

A QTimer asks to fire every 5 ms on the GUI thread; the lateness of each tick is a stall the
user would feel as a frozen window. Runs the real window (offscreen unless a display is set)
with the starter model and prints the largest stall and the p99. Target: max stall < 50 ms (aim: one
frame, 16 ms). The window is 2560 x 1440 by default: the largest size, where a frame has the most to draw.

    python benchmarks/ui_responsiveness.py [--tokens 600] [--rounds 2] [--size 2560x1440]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.store import ConversationStore  # noqa: E402
from app.engine.host import EngineHost  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402

TICK_MS = 5
PROMPT = ("Write a very long, detailed guide in Markdown, with twelve numbered sections, bullet lists, a table "
          "and Python code blocks, about building a lighthouse. Do not stop early.")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(window: MainWindow, tokens: int) -> tuple[list[float], int]:
    window.conversation_settings.max_tokens.setValue(tokens)
    window.conversation_settings.flush()
    stalls: list[float] = []
    last = time.perf_counter()

    def tick() -> None:
        nonlocal last
        now = time.perf_counter()
        stalls.append(max(0.0, (now - last) * 1000 - TICK_MS))
        last = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    window.composer.edit.setPlainText(PROMPT)
    window.composer._on_submit()
    timer.start()
    last = time.perf_counter()
    while window.session.replying:
        await asyncio.sleep(0.05)
    timer.stop()
    return stalls, window.session.messages[-1].stats.generated_tokens


async def main(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(EngineHost(), ConversationStore(Path(tmp) / "c.sqlite3"), Path(tmp) / "s.json")
        width, height = (int(n) for n in args.size.lower().split("x"))
        window.resize(width, height)
        window.show()
        await window.start()
        try:
            for round_ in range(args.rounds):
                await window.new_conversation()
                stalls, generated = await measure(window, args.tokens)
                print(f"round {round_ + 1}: {generated} tokens streamed, {len(stalls)} ticks, "
                      f"max stall {max(stalls):.1f} ms, p99 {percentile(stalls, 99):.1f} ms, "
                      f"median {percentile(stalls, 50):.1f} ms")
        finally:
            await window.shutdown()
    print(f"window {window.width()} x {window.height()}; target: max stall < 50 ms (aim: 16 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", default="2560x1440", help="window size, WIDTHxHEIGHT")
    arguments = parser.parse_args()
    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main(arguments))
