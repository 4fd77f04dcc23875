"""EngineHost: the only door to the model, an asyncio facade over one dedicated thread.

One thread creates, uses and closes the `Llama` for its whole life; requests are queued to
it and run one at a time. Results come back through `loop.call_soon_threadsafe`, so every
method is awaited on the caller's event loop (plain asyncio or qasync) and never blocks it.
Cancelling bypasses the queue: each streamed request carries its own `threading.Event`,
checked on every token and, while a prompt is read, by llama.cpp itself.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from app.engine.config import LoadConfig
from app.engine.devices.dry_run import checked_against_dry_run, dry_run
from app.engine.devices.placement import CPU
from app.engine.errors import EngineClosedError, EngineError, ModelLoadError
from app.engine.history_fit import DROP_OLDEST, FittedPrompt
from app.engine.lab.results import LabReport
from app.engine.lab.run import LabProgress, LabSpec
from app.engine.llm import ChatEngine
from app.engine.planner import LoadPlan, plan_load
from app.engine.records import CacheUsage, ChatMessage, LoadReport, ReplyChunk, SamplingParams
from app.engine.sampling_check import check_sampling
from app.i18n import translate

_log = logging.getLogger(__name__)
_END = object()
# How long close() waits for the engine thread to finish its request and unload. A normal
# close takes well under a second (benchmarks/shutdown_time.py); this bounds a wedged one.
CLOSE_TIMEOUT_SECONDS = 20.0


@dataclass
class _Request:
    id: int
    work: Callable  # runs on the engine thread
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future | None = None  # one-shot requests
    chunks: asyncio.Queue | None = None  # streamed requests
    cancel: threading.Event = field(default_factory=threading.Event)

    def settle(self, result=None, error: BaseException | None = None) -> None:
        def apply():
            if self.future.done():  # the caller stopped waiting
                return
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)

        self._post(apply)

    def push(self, item) -> None:
        self._post(self.chunks.put_nowait, item)

    def _post(self, fn, *args) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the caller's loop is closed; nobody is listening any more
            pass


class EngineHost:
    def __init__(self) -> None:
        self._engine = ChatEngine()
        self._inbox: queue.Queue[_Request | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._streams: dict[int, _Request] = {}
        self._streams_lock = threading.Lock()
        self._report: LoadReport | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kvchat-engine", daemon=True)
        self._thread.start()
        # Plans and the final join run here, not on the event loop's default executor
        # (under qasync that is a pool of QThreads the engine should not depend on).
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kvchat-helper")

    # -- state visible to the caller --------------------------------------------------------

    @property
    def report(self) -> LoadReport | None:
        """What the loaded model allocated (None when nothing is loaded)."""
        return self._report

    @property
    def busy(self) -> bool:
        with self._streams_lock:
            return bool(self._streams)

    # -- requests ---------------------------------------------------------------------------

    async def plan(self, config: LoadConfig) -> LoadPlan:
        """Estimate and validate a load without touching the model (runs off the engine thread,
        so it answers while a reply streams)."""
        self._check_open()
        reclaimable = self.reclaimable_bytes()
        reclaimable_gpu = self.reclaimable_gpu_bytes()
        return await asyncio.get_running_loop().run_in_executor(
            self._helper, lambda: plan_load(config, reclaimable_bytes=reclaimable,
                                            reclaimable_gpu_bytes=reclaimable_gpu)
        )

    async def load(self, config: LoadConfig) -> LoadReport:
        """Load (or reload with new settings). A reply that is streaming is stopped first.

        A refused setting leaves the current model untouched. If llama.cpp fails on the new
        settings, the previous model is loaded again and the error says so.
        """
        self.cancel()
        plan = await self.plan(config)
        if not plan.ok:
            raise plan.error
        return await self._call(lambda: self._load_on_thread(plan))

    async def unload(self) -> None:
        self.cancel()
        await self._call(self._unload_on_thread)

    async def usage(self) -> CacheUsage | None:
        return await self._call(self._engine.usage)

    def chat(self, messages: Sequence[ChatMessage], sampling: SamplingParams | None = None,
             overflow: str = DROP_OLDEST) -> AsyncIterator[ReplyChunk]:
        """Stream a reply to a conversation, formatted with the model's own chat template. A conversation
        longer than the context loses its oldest turns (`overflow="stop"`: raises ContextOverflowError);
        the reply's stats say how many messages were left out."""
        messages = tuple(messages)
        sampling = sampling or SamplingParams()
        return self._stream(self._reply_work(
            lambda engine: engine.fitted_chat_tokens(messages, sampling, overflow), sampling))

    def complete(self, prompt: str, sampling: SamplingParams | None = None) -> AsyncIterator[ReplyChunk]:
        """Stream a plain continuation of `prompt` (for models without a chat template)."""
        return self._stream(self._reply_work(
            lambda engine: FittedPrompt(engine.completion_tokens(prompt), 0), sampling))

    def lab(self, spec: LabSpec) -> AsyncIterator[LabProgress | LabReport]:
        """Run the KV lab on the loaded model: LabProgress items, then the LabReport.
        Cancelling raises LabCancelled in the caller; a reply asked for meanwhile waits its turn."""

        def work(request: _Request) -> None:
            request.push(self._engine.run_lab(spec, request.cancel, request.push))
            request.push(_END)

        return self._stream(work)

    def cancel(self) -> None:
        """Stop every streamed request, running or queued. The running one stops within a token."""
        with self._streams_lock:
            for request in self._streams.values():
                request.cancel.set()

    async def close(self) -> None:
        """Stop, unload on the engine thread, and end it. Safe to call twice.

        Waits at most CLOSE_TIMEOUT_SECONDS for the engine thread: a thread stuck inside llama.cpp
        must not keep the window from closing (it is a daemon thread; the process ends without it)."""
        if self._closed:
            return
        self._closed = True
        self.cancel()
        self._inbox.put(None)
        await asyncio.get_running_loop().run_in_executor(
            self._helper, lambda: self._thread.join(CLOSE_TIMEOUT_SECONDS))
        if self._thread.is_alive():
            _log.error("the engine thread did not stop within %s s; closing without it", CLOSE_TIMEOUT_SECONDS)
        self._helper.shutdown(wait=False)
        self._report = None

    def close_blocking(self, timeout: float = 5.0) -> None:
        """The same as close() for callers without a running loop (e.g. at exit)."""
        if not self._closed:
            self._closed = True
            self.cancel()
            self._inbox.put(None)
        self._thread.join(timeout)
        self._helper.shutdown(wait=False)

    # -- plumbing ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosedError(translate("EngineHost", "The engine has been shut down."))

    async def _call(self, work: Callable):
        self._check_open()
        loop = asyncio.get_running_loop()
        request = _Request(next(self._ids), work, loop, future=loop.create_future())
        self._inbox.put(request)
        return await request.future

    async def _stream(self, work: Callable[[_Request], None]) -> AsyncIterator:
        """Run `work(request)` on the engine thread and yield what it pushes until _END."""
        self._check_open()
        loop = asyncio.get_running_loop()
        request = _Request(next(self._ids), None, loop, chunks=asyncio.Queue())
        request.work = lambda: work(request)
        with self._streams_lock:
            self._streams[request.id] = request
        self._inbox.put(request)
        try:
            while True:
                item = await request.chunks.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            # Reached on completion, on error, and when the caller stops listening early.
            request.cancel.set()
            with self._streams_lock:
                self._streams.pop(request.id, None)

    def reclaimable_bytes(self) -> int:
        """What unloading the current model would give back: its weights, cache and buffers."""
        report = self._report
        if report is None:
            return 0
        if report.devices:
            return next((d.total_bytes for d in report.devices if not d.is_gpu), 0)
        return report.kv.total + report.compute_bytes + report.output_bytes + report.weights_bytes

    def reclaimable_gpu_bytes(self) -> dict[str, int]:
        """Per GPU, what unloading the current model would give back there."""
        report = self._report
        return {d.name: d.total_bytes for d in report.gpu_devices} if report else {}

    # -- the engine thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            request = self._inbox.get()
            if request is None:
                break
            try:
                if request.chunks is not None:
                    request.work()
                else:
                    request.settle(request.work())
            except BaseException as exc:  # delivered to the caller; the thread lives on
                if not isinstance(exc, EngineError):
                    _log.exception("unexpected engine failure")
                if request.chunks is not None:
                    request.push(exc)
                else:
                    request.settle(error=exc)
        self._engine.unload()
        self._report = None

    def _load_on_thread(self, plan: LoadPlan) -> LoadReport:
        resolved = plan.resolved
        if resolved.placement.devices != (CPU,):
            # Compute buffers on a GPU are sized by llama.cpp's own allocator before anything is
            # freed or allocated: a load that would not fit is refused with the current model kept.
            resolved = checked_against_dry_run(resolved, dry_run(resolved))
        previous = self._engine.report
        self._report = None
        try:
            self._report = self._engine.load(resolved)
        except Exception as exc:  # whatever failed, the previous model comes back if it can
            if not isinstance(exc, EngineError):
                _log.exception("unexpected load failure")
                exc = ModelLoadError(translate("EngineHost", "Loading failed unexpectedly: {error}").format(
                    error=f"{type(exc).__name__}: {exc}"))
            if previous is None:
                raise exc from None
            restore = plan_load(previous.config)
            if restore.ok:
                try:
                    self._report = self._engine.load(restore.resolved)
                except Exception:
                    _log.exception("the previous model could not be loaded again")
                    raise exc from None
                raise ModelLoadError(translate("EngineHost", "{error}\nThe previous model was loaded again.").format(
                    error=exc)) from None
            raise exc from None
        return self._report

    def _unload_on_thread(self) -> None:
        self._engine.unload()
        self._report = None

    def _reply_work(self, make_tokens: Callable, sampling: SamplingParams | None) -> Callable[[_Request], None]:
        sampling = sampling or SamplingParams()

        def work(request: _Request) -> None:
            check_sampling(sampling)  # from a file or the database, it may hold anything
            prompt = make_tokens(self._engine)
            for chunk in self._engine.stream(request.id, prompt.tokens, sampling, request.cancel,
                                             prompt.dropped_messages):
                request.push(chunk)
            request.push(_END)

        return work
