"""Faults to the whole process: killed with SIGKILL mid-reply, closed mid-reply."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.core.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def start_driver(data: Path, mode: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.app_driver", str(data), mode], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def read_until(process: subprocess.Popen, marker: str) -> list[str]:
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if line.startswith(marker):
            return lines
    raise AssertionError(f"the app ended before {marker}: {lines}")


def test_kill_9_mid_reply_loses_no_completed_message(tmp_path):
    driver = start_driver(tmp_path, "kill")
    try:
        lines = read_until(driver, "STREAMING")
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    assert driver.returncode == -signal.SIGKILL
    assert lines[:3] == ["SAVED 2 cache=none", "SAVED 4 cache=none", "SAVED 6 cache=none"]
    # The write-ahead log is replayed when the database is opened again.
    store = open_store(tmp_path / "conversations.sqlite3")
    assert store.notice is None
    (conversation,) = store.conversations()
    messages = store.messages(conversation.id)
    assert [m.role for m in messages][:7] == ["user", "assistant"] * 3 + ["user"]
    assert all(m.content.strip() for m in messages)
    assert messages[6].content.startswith("Write a very long story")
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_closing_mid_reply_exits_and_saves_the_partial_reply(tmp_path):
    driver = start_driver(tmp_path, "close")
    lines = read_until(driver, "CLOSED")
    assert driver.wait(timeout=30) == 0
    seconds = float(lines[-1].split()[1])
    assert seconds < 30  # a sanity bound only: benchmarks/shutdown_time.py measures the real figure
    store = open_store(tmp_path / "conversations.sqlite3")
    messages = store.messages(store.conversations()[0].id)
    assert messages[-1].role == "assistant" and messages[-1].finish_reason == "cancelled"
    assert len(messages[-1].content) >= 40


def test_a_killed_app_starts_again_and_carries_on(tmp_path):
    driver = start_driver(tmp_path, "kill")
    try:
        read_until(driver, "STREAMING")
    finally:
        driver.kill()
        driver.wait(timeout=30)
    again = start_driver(tmp_path, "close")  # the same files: the app reopens the conversation
    lines = read_until(again, "CLOSED")
    assert again.wait(timeout=30) == 0
    # 3 exchanges and the killed reply's question, then a new exchange; its cache, kept when the third
    # exchange ended, comes back from the disk after the crash.
    assert lines[0] == "SAVED 9 cache=disk"
