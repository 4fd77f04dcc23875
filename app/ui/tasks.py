"""Fire-and-forget coroutines from Qt slots, with failures routed to one error path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine

_log = logging.getLogger(__name__)
_running: set[asyncio.Task] = set()  # strong references: the loop keeps only weak ones
_error_handler: Callable[[BaseException], None] | None = None

error_observers: list[Callable[[asyncio.Task, BaseException], None]] = []
"""Called with every spawned task that fails, before the error handler; the app itself adds none.
Tests add one so that a failure the banner would show fails the test instead."""


def set_error_handler(handler: Callable[[BaseException], None] | None) -> None:
    """Where failures of spawned tasks go (the main window's error banner)."""
    global _error_handler
    _error_handler = handler


def spawn(coro: Coroutine) -> asyncio.Task:
    task = asyncio.ensure_future(coro)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is None:
        return
    for observe in list(error_observers):
        observe(task, error)
    if _error_handler is not None:
        _error_handler(error)
    else:
        _log.error("background task failed", exc_info=error)


async def wait_all() -> None:
    """Let every spawned task finish (tests and shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
