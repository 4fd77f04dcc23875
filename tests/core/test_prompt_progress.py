"""How far a prompt's reading has got, and the time it has left, from the engine's steps and a clock the test turns."""

from __future__ import annotations

from app.core.prompt_progress import PromptProgress, PromptReading
from app.engine.records import ReplyStats


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_time_left_comes_from_the_rate_of_the_tokens_read_since_the_first_step():
    clock = Clock()
    reading = PromptReading(clock)
    stats = ReplyStats(prompt_tokens=3000)
    first = reading.update(stats, 500)  # the cache held 500 of them: no rate yet
    assert (first.read, first.percent, first.seconds_left) == (500, 16, None)
    clock.now += 2.0
    later = reading.update(stats, 1500)  # 1,000 tokens in 2 s: 500 a second, 1,500 to go
    assert later.percent == 50 and later.seconds_left == 3.0


def test_a_few_tokens_promise_no_time():
    clock = Clock()
    reading = PromptReading(clock)
    stats = ReplyStats(prompt_tokens=3000)
    reading.update(stats, 0)
    clock.now += 0.01
    assert reading.update(stats, 10).seconds_left is None


def test_what_the_kept_cache_did_travels_with_the_progress():
    stats = ReplyStats(prompt_tokens=40, cache_source="disk", restore_seconds=0.012)
    progress = PromptReading(Clock()).update(stats, 39)
    assert (progress.cache_source, progress.restore_seconds, progress.percent) == ("disk", 0.012, 97)
    assert PromptProgress(0, 0, None).percent == 100  # an empty prompt is read
