"""One process-wide llama.cpp log callback, whose lines can be captured per thread.

llama-cpp-python's own callback maps ggml's log levels wrongly: it hides ERROR lines (the only
place llama.cpp says why a load failed) and prints WARN lines when asked to be quiet. This
callback replaces it. A thread that wants llama.cpp's words about its own call wraps the call
in `capture()`; lines outside any capture go to Python logging (warnings and errors only).
"""

from __future__ import annotations

import ctypes
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import llama_cpp.llama_cpp as llama_c

DEBUG, INFO, WARN, ERROR, CONT = 1, 2, 3, 4, 5  # ggml_log_level in the pinned llama.cpp

_logger = logging.getLogger("llama.cpp")


@dataclass
class LogCapture:
    """llama.cpp's log pieces as they came; split into lines only when read, so that feeding a
    piece is one list append (see _on_llama_log for why that matters)."""

    pieces: list[tuple[int, str]] = field(default_factory=list)

    def feed(self, level: int, text: str) -> None:
        self.pieces.append((level, text))

    def _split(self, pieces) -> tuple[list[tuple[int, str]], tuple[int, str]]:
        """The complete lines, and what follows the last newline (with its level)."""
        lines, partial, partial_level = [], "", INFO
        for level, text in pieces:
            if level != CONT:
                partial_level = level
            *complete, partial = (partial + text).split("\n")
            lines.extend((partial_level, line) for line in complete)
        return lines, (partial_level, partial)

    @property
    def lines(self) -> list[tuple[int, str]]:
        return self._split(list(self.pieces))[0]

    def take_lines(self) -> list[tuple[int, str]]:
        """The complete lines, forgetting them (an unfinished line is kept for the next piece)."""
        taken = list(self.pieces)
        lines, (level, partial) = self._split(taken)
        self.pieces[:len(taken)] = [(level, partial)] if partial else []  # pieces fed meanwhile stay
        return lines

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def at_least(self, level: int) -> tuple[str, ...]:
        return tuple(line.strip() for lvl, line in self.lines if lvl >= level and line.strip())


# Re-entrant: Python's garbage collector can run inside the callback (any allocation may trigger
# it), free a Llama there, and llama.cpp then logs from inside its own log callback. A plain lock
# deadlocked the engine thread on exactly that (a model whose chat template failed to compile).
_lock = threading.RLock()
_captures: dict[int, LogCapture] = {}
_uncaptured = LogCapture()


@llama_c.llama_log_callback
def _on_llama_log(level: int, text: bytes, _user_data) -> None:
    decoded = text.decode("utf-8", errors="replace") if text else ""
    with _lock:
        capture = _captures.get(threading.get_ident())
        if capture is not None:
            capture.feed(level, decoded)
            return
        _uncaptured.feed(level, decoded)
        if "\n" not in decoded:
            return  # the rest of the line is still to come
        fresh = _uncaptured.take_lines()
    for lvl, line in fresh:
        if lvl == ERROR:
            _logger.error(line)
        elif lvl == WARN:
            _logger.warning(line)


_installed = False


def install() -> None:
    """Route llama.cpp's log through this module. Idempotent; the callback lives forever."""
    global _installed
    with _lock:
        if not _installed:
            llama_c.llama_log_set(_on_llama_log, ctypes.c_void_p(0))
            _installed = True


@contextmanager
def capture():
    """Collect the log lines llama.cpp emits on this thread inside the block."""
    install()
    record = LogCapture()
    ident = threading.get_ident()
    with _lock:
        outer = _captures.get(ident)
        _captures[ident] = record
    try:
        yield record
    finally:
        with _lock:
            if outer is None:
                _captures.pop(ident, None)
            else:
                _captures[ident] = outer
                outer.pieces.extend(record.pieces)
