"""What a backend is: the contract the local engine (EngineHost) and a server (RemoteHost) both keep,
and the one helper both use to hand a worker thread's items to the event loop.

A reply is a `ReplyStream`: `async for chunk in stream` yields ReplyChunks and ends with exactly one
chunk of phase "done" (finish_reason "stop", "length", "context_full" or "cancelled"), or raises the
error that ended it. `stream.cancel()` stops that stream and no other; it then ends soon with a
"cancelled" chunk that keeps the stats so far. `backend.cancel()` stops all of them (before a reload
or a close).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from app.engine.history_fit import DROP_OLDEST
from app.engine.records import CacheUsage, ChatMessage, ReplyChunk, SamplingParams

T = TypeVar("T")


class _End:
    """The marker a worker's end() puts behind its last item; carries the error that ended it, if any."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class ThreadStream(Generic[T]):
    """Items made on a worker thread, read with `async for` on the event loop that created the stream.

    The worker calls put(item) for each item and end(error=None) once. Any thread may call cancel():
    it sets `cancelled` (the worker checks it between items) and runs the hooks registered with
    on_cancel (a socket to shut, so a blocked read returns). The reader sees every item put before
    end(), then the end. The first end() wins: what is put or ended after it is dropped, so a cancel
    hook may end the stream at once while its worker is still finishing. aclose() (also reached by
    leaving an `async with aclosing(...)` block or the loop early) cancels a stream that has not
    ended and tells its owner it is gone.
    """

    def __init__(self, on_closed: Callable[[ThreadStream], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue = asyncio.Queue()
        self.cancelled = threading.Event()
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._on_closed = on_closed
        self._ended = False  # the worker's side: end() has been called
        self._finished = False  # the reader has seen the end, or stopped reading

    # -- the worker's side (any thread) -------------------------------------------------------

    def put(self, item: T) -> bool:
        """Hand `item` to the reader; False (and dropped) once the stream has ended."""
        with self._lock:
            if self._ended:
                return False
            self._post(item)
            return True

    def end(self, error: BaseException | None = None, *, last: T | None = None) -> bool:
        """End the stream, after `last` if given, or with `error`; False if it had already ended."""
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            if last is not None:
                self._post(last)
            self._post(_End(error))
            return True

    def _post(self, item) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the reader's loop is closed: nobody is listening any more
            pass

    # -- stopping (any thread) ------------------------------------------------------------------

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Run `hook` when the stream is cancelled (at once if it already is)."""
        with self._lock:
            if not self.cancelled.is_set():
                self._hooks.append(hook)
                return
        hook()

    def cancel(self) -> None:
        with self._lock:
            if self.cancelled.is_set():
                return
            self.cancelled.set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    # -- the reader's side (the event loop) -----------------------------------------------------

    def __aiter__(self) -> ThreadStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._finished:
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, _End):
            self._close()
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        if not self._finished:
            self.cancel()
            self._close()

    def _close(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._on_closed is not None:
            self._on_closed(self)


ReplyStream = ThreadStream[ReplyChunk]


@runtime_checkable
class ChatBackend(Protocol):
    """Where replies come from: the model on this machine, or a server."""

    @property
    def report(self) -> Any:
        """What is loaded or connected (LoadReport, RemoteReport), None when nothing is.
        Its `chat_template` says whether the backend formats chats, or only continues text."""

    def chat(self, messages: Sequence[ChatMessage], sampling: SamplingParams | None = None,
             overflow: str = DROP_OLDEST, conversation: str | None = None) -> ReplyStream:
        """Stream a reply to a conversation; `conversation` names it (a backend may keep its cache for it)."""

    def complete(self, prompt: str, sampling: SamplingParams | None = None,
                 conversation: str | None = None) -> ReplyStream:
        """Stream a plain continuation of `prompt` (a model without a chat format)."""

    def cancel(self) -> None:
        """Stop every stream of this backend."""

    async def usage(self) -> CacheUsage | None:
        """How full the KV cache is (None where the backend cannot say)."""

    async def close(self) -> None:
        """Stop and let go of everything; safe to call twice."""
