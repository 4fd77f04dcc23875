"""EngineHost: the only door to the model, an asyncio facade over one dedicated thread.

One thread creates, uses and closes the `Llama` for its whole life; jobs are queued to it and
run one at a time. A one-shot call (load, unload, usage) is a future the caller awaits; a reply
or a lab run is a ThreadStream the caller reads with `async for`. Either way results come back
through `loop.call_soon_threadsafe`, so every method works on the caller's event loop (plain
asyncio or qasync) and never blocks it. Cancelling bypasses the queue: a stream's `cancelled`
event is checked on every token and, while a prompt is read, by llama.cpp itself; a stream
cancelled before its turn ends at once and never runs.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from app.engine.backend import ReplyStream, ThreadStream
from app.engine.config import LoadConfig
from app.engine.devices.dry_run import checked_against_dry_run, dry_run
from app.engine.devices.placement import CPU
from app.engine.errors import EngineClosedError, EngineError, ModelLoadError
from app.engine.history_fit import DROP_OLDEST, FittedPrompt
from app.engine.kept.caches import KeptCaches
from app.engine.lab.results import LabReport
from app.engine.lab.run import LabProgress, LabSpec, run_lab
from app.engine.llm import ChatEngine
from app.engine.planner import LoadPlan, plan_load
from app.engine.records import CacheUsage, ChatMessage, LoadReport, ReplyChunk, ReplyStats, SamplingParams
from app.engine.sampling_check import check_sampling
from app.i18n import translate

_log = logging.getLogger(__name__)
# How long close() waits for the engine thread to finish its job and unload. A normal
# close takes well under a second (benchmarks/shutdown_time.py); this bounds a wedged one.
CLOSE_TIMEOUT_SECONDS = 20.0
# How long closing waits for kept caches to reach the disk (a 4,000-token f16 state is ~0.1 s).
KEPT_FLUSH_SECONDS = 10.0
# How a reply cancelled before its turn ends: it read no prompt and made no token.
_NOT_STARTED = ReplyChunk(phase="done", text="", stats=ReplyStats(), finish_reason="cancelled")


def _log_if_unexpected(error: BaseException) -> None:
    if not isinstance(error, EngineError):
        _log.error("unexpected engine failure", exc_info=error)


class _Call:
    """A one-shot job: `work()` on the engine thread, its result or error in `future`."""

    def __init__(self, work: Callable) -> None:
        self.work = work
        self.future: Future = Future()

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():  # the caller stopped waiting before its turn
            return
        try:
            result = self.work()
        except BaseException as exc:  # delivered to the caller; the thread lives on
            _log_if_unexpected(exc)
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)


class _StreamJob:
    """A streamed job: `work(stream)` puts items on the engine thread, then the stream ends.

    Cancelled before its turn, it ends at once (after `not_started`, if given) and never runs."""

    def __init__(self, stream: ThreadStream, work: Callable[[ThreadStream], None], not_started=None,
                 on_finished: Callable[[ThreadStream], None] | None = None) -> None:
        self.stream = stream
        self._work = work
        self._not_started = not_started
        self._on_finished = on_finished
        self._lock = threading.Lock()
        self._started = False
        self._skipped = False
        stream.on_cancel(self._cancelled)

    def _cancelled(self) -> None:
        with self._lock:
            if self._started:
                return  # the work sees `cancelled` itself and ends the way it chooses
            self._skipped = True
        self._finish(last=self._not_started)

    def run(self) -> None:
        with self._lock:
            if self._skipped:
                return
            self._started = True
        try:
            self._work(self.stream)
        except BaseException as exc:  # delivered to the reader; the thread lives on
            _log_if_unexpected(exc)
            self._finish(error=exc)
        else:
            self._finish()

    def _finish(self, error: BaseException | None = None, last=None) -> None:
        self.stream.end(error, last=last)
        if self._on_finished is not None:
            self._on_finished(self.stream)


class EngineHost:
    def __init__(self, kept: KeptCaches | None = None) -> None:
        """`kept`: where conversations' caches are kept across switches and restarts (None: nowhere)."""
        self._engine = ChatEngine(kept)
        self._kept_watchers: list[tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = []
        if kept is not None:
            kept.on_change = self._kept_changed
        self._inbox: queue.Queue[_Call | _StreamJob | None] = queue.Queue()
        self._streams: set[ThreadStream] = set()
        self._streams_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kvchat-engine", daemon=True)
        self._thread.start()
        # Plans and the final join run here, not on the event loop's default executor
        # (under qasync that is a pool of QThreads the engine should not depend on).
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kvchat-helper")

    # -- state visible to the caller --------------------------------------------------------

    @property
    def report(self) -> LoadReport | None:
        """What the loaded model allocated (None when nothing is loaded, while a load runs, and after close)."""
        # The engine sets its report in one assignment once a load has succeeded and clears it
        # first thing when a load or an unload begins, so reading it from here is safe.
        return None if self._closed else self._engine.report

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
        await self._call(self._engine.unload)

    async def usage(self) -> CacheUsage | None:
        return await self._call(self._engine.usage)

    def chat(self, messages: Sequence[ChatMessage], sampling: SamplingParams | None = None,
             overflow: str = DROP_OLDEST, conversation: str | None = None) -> ReplyStream:
        """Stream a reply to a conversation, formatted with the model's own chat template. A conversation
        longer than the context loses its oldest turns (`overflow="stop"`: raises ContextOverflowError);
        the reply's stats say how many messages were left out. `conversation` names it, so that its
        cache is kept for it and restored when its turn comes again."""
        messages = tuple(messages)
        sampling = sampling or SamplingParams()
        return self._stream(self._reply_work(
            lambda engine: engine.fitted_chat_tokens(messages, sampling, overflow), sampling, conversation),
            _NOT_STARTED)

    def complete(self, prompt: str, sampling: SamplingParams | None = None,
                 conversation: str | None = None) -> ReplyStream:
        """Stream a plain continuation of `prompt` (for models without a chat template)."""
        return self._stream(self._reply_work(
            lambda engine: FittedPrompt(engine.completion_tokens(prompt), 0), sampling, conversation),
            _NOT_STARTED)

    def lab(self, spec: LabSpec) -> ThreadStream[LabProgress | LabReport]:
        """Run the KV lab on the loaded model: LabProgress items, then the LabReport. A cancelled lab
        ends its stream without a report; a reply asked for meanwhile waits its turn."""

        def work(stream: ThreadStream) -> None:
            model = self._engine.loaded()
            report = run_lab(model.llm, model.resolved, model.prompts, spec, stream.cancelled, stream.put)
            if report is not None:
                stream.put(report)

        return self._stream(work)

    def cancel(self) -> None:
        """Stop every stream, running or queued. The running one stops within a token."""
        with self._streams_lock:
            streams = list(self._streams)
        for stream in streams:
            stream.cancel()

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

    # -- kept caches ------------------------------------------------------------------------

    @property
    def kept(self) -> KeptCaches | None:
        """The conversations' kept caches (thread-safe to read and to forget from the caller's thread)."""
        return self._engine.kept

    def watch_kept(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the caller's event loop whenever a kept cache is added, written or removed."""
        self._kept_watchers.append((asyncio.get_running_loop(), callback))

    def _kept_changed(self) -> None:  # on the engine, writer or caller's thread
        for loop, callback in list(self._kept_watchers):
            if not loop.is_closed():
                loop.call_soon_threadsafe(callback)

    # -- plumbing ---------------------------------------------------------------------------

    def _closed_error(self) -> EngineClosedError:
        return EngineClosedError(translate("EngineHost", "The engine has been shut down."))

    def _check_open(self) -> None:
        if self._closed:
            raise self._closed_error()

    async def _call(self, work: Callable):
        self._check_open()
        call = _Call(work)
        self._inbox.put(call)
        return await asyncio.wrap_future(call.future)

    def _stream(self, work: Callable[[ThreadStream], None], not_started=None) -> ThreadStream:
        """A stream that `work(stream)` fills on the engine thread when its turn comes."""
        stream = ThreadStream(on_closed=self._forget)
        if self._closed:  # said through the stream, like any other failure of a reply
            stream.end(self._closed_error())
            return stream
        with self._streams_lock:
            self._streams.add(stream)
        self._inbox.put(_StreamJob(stream, work, not_started, on_finished=self._forget))
        return stream

    def _forget(self, stream: ThreadStream) -> None:
        """A stream that has ended, or whose reader has gone, needs no cancelling any more."""
        with self._streams_lock:
            self._streams.discard(stream)

    def reclaimable_bytes(self) -> int:
        """What unloading the current model would give back: its weights, cache and buffers."""
        report = self.report
        if report is None:
            return 0
        if report.devices:
            return next((d.total_bytes for d in report.devices if not d.is_gpu), 0)
        return report.kv.total + report.compute_bytes + report.output_bytes + report.weights_bytes

    def reclaimable_gpu_bytes(self) -> dict[str, int]:
        """Per GPU, what unloading the current model would give back there."""
        report = self.report
        return {d.name: d.total_bytes for d in report.gpu_devices} if report else {}

    # -- the engine thread ------------------------------------------------------------------

    def _run(self) -> None:
        while (job := self._inbox.get()) is not None:
            job.run()
        self._engine.unload()
        if self._engine.kept is not None:
            self._engine.kept.close(KEPT_FLUSH_SECONDS)

    def _load_on_thread(self, plan: LoadPlan) -> LoadReport:
        resolved = plan.resolved
        if resolved.placement.devices != (CPU,):
            # Compute buffers on a GPU are sized by llama.cpp's own allocator before anything is
            # freed or allocated: a load that would not fit is refused with the current model kept.
            resolved = checked_against_dry_run(resolved, dry_run(resolved))
        previous = self._engine.report
        try:
            return self._engine.load(resolved)
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
                    self._engine.load(restore.resolved)
                except Exception:
                    _log.exception("the previous model could not be loaded again")
                    raise exc from None
                raise ModelLoadError(translate("EngineHost", "{error}\nThe previous model was loaded again.").format(
                    error=exc)) from None
            raise exc from None

    def _reply_work(self, make_tokens: Callable, sampling: SamplingParams | None,
                    conversation: str | None) -> Callable[[ThreadStream], None]:
        sampling = sampling or SamplingParams()

        def work(stream: ThreadStream) -> None:
            check_sampling(sampling)  # from a file or the database, it may hold anything
            prompt = make_tokens(self._engine)
            for chunk in self._engine.stream(prompt.tokens, sampling, stream.cancelled, prompt.dropped_messages,
                                             conversation):
                stream.put(chunk)

        return work
