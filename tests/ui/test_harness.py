"""The test harness's event loop: a background task keeps its loop wherever Qt runs its next step.

Qt processes events outside the harness's `run_until_complete` slices too (qtbot waits, key
clicks, the last round of events after each slice); a spawned task's step that runs there must
still find its loop running, as it does in the app, where the loop runs for the whole session."""

import asyncio

from app.ui.tasks import spawn, wait_all


def test_a_step_run_between_slices_finds_its_loop(loop, qtbot):
    seen = []
    event = asyncio.Event()

    async def worker():
        for _ in range(40):
            await asyncio.sleep(0)
            seen.append(asyncio.get_running_loop())
        event.set()  # bound to the loop at its first use below; set from whichever step runs last

    async def waiter():
        await event.wait()

    spawn(worker())
    spawn(waiter())
    for _ in range(20):
        loop.run_until_complete(asyncio.sleep(0))
        qtbot.wait(1)
    loop.run_until_complete(asyncio.wait_for(event.wait(), 30))  # a bound only: it takes milliseconds
    loop.run_until_complete(wait_all())
    assert seen == [loop] * 40


def test_a_failed_background_task_is_reported_to_the_test(loop, expected_task_errors):
    async def fails():
        raise ValueError("shown in the banner")

    spawn(fails())
    loop.run_until_complete(wait_all())
    [(_, error)] = expected_task_errors
    assert isinstance(error, ValueError) and str(error) == "shown in the banner"
