"""The backend contract: both backends keep it, and ThreadStream hands a worker thread's items to the
event loop in order, ends once, and stops only itself. No model: the worker here is a plain thread
the test drives with events, so every moment is the test's."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.engine.backend import ChatBackend, ThreadStream
from app.engine.host import EngineHost
from app.engine.remote.host import RemoteHost


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))  # a hang guard only; nothing waits on the clock


def test_both_backends_keep_the_contract():
    assert isinstance(RemoteHost("http://127.0.0.1:9"), ChatBackend)

    async def local():
        host = EngineHost()  # the engine thread starts; no model is loaded
        try:
            assert isinstance(host, ChatBackend)
        finally:
            await host.close()

    run(local())


def test_items_from_a_worker_thread_arrive_in_order_then_the_end():
    async def main():
        closed = []
        stream = ThreadStream(on_closed=closed.append)
        worker = threading.Thread(target=lambda: ([stream.put(i) for i in range(100)], stream.end()))
        worker.start()
        items = [item async for item in stream]
        worker.join()
        return items, closed, stream

    items, closed, stream = run(main())
    assert items == list(range(100)) and closed == [stream]


def test_the_error_that_ended_a_stream_is_raised_to_its_reader_after_what_came_before():
    async def main():
        stream = ThreadStream()
        stream.put("partial")
        stream.end(ValueError("the server went away"))
        got = []
        with pytest.raises(ValueError, match="went away"):
            async for item in stream:
                got.append(item)
        return got

    assert run(main()) == ["partial"]


def test_the_first_end_wins_and_later_items_are_dropped():
    async def main():
        stream = ThreadStream()
        assert stream.put(1) and stream.end(last=2)
        assert not stream.put(3) and not stream.end(RuntimeError("late"))
        return [item async for item in stream]

    assert run(main()) == [1, 2]


def test_cancel_runs_the_hooks_once_and_stops_only_that_stream():
    async def main():
        mine, other = ThreadStream(), ThreadStream()
        hooks = []
        mine.on_cancel(lambda: hooks.append("socket shut"))
        mine.cancel()
        mine.cancel()
        mine.on_cancel(lambda: hooks.append("late hook, run at once"))
        assert mine.cancelled.is_set() and not other.cancelled.is_set()
        other.put("still running")
        other.end()
        return hooks, [item async for item in other]

    hooks, items = run(main())
    assert hooks == ["socket shut", "late hook, run at once"] and items == ["still running"]


def test_a_reader_that_leaves_early_cancels_the_worker():
    async def main():
        stream = ThreadStream()
        released = threading.Event()

        def worker():
            stream.put("first")
            released.wait(30)
            while not stream.cancelled.is_set():  # what the engine checks at every token
                stream.put("more")
                released.wait(0.001)
            stream.end()

        thread = threading.Thread(target=worker)
        thread.start()
        async for item in stream:
            assert item == "first"
            break
        await stream.aclose()
        released.set()
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 30)
        return stream.cancelled.is_set(), thread.is_alive()

    assert run(main()) == (True, False)
