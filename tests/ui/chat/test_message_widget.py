"""The statistics line under a reply: what it says for each kind of reply, in English."""

import pytest

from app.core.prompt_progress import PromptProgress
from app.engine.records import ReplyStats
from app.ui.chat.message_widget import format_stats, reading_status

SEP = "  ·  "


@pytest.fixture(autouse=True)
def application(qapp):
    return qapp


def test_no_statistics_no_line():
    assert format_stats(None, "stop") == ""


def test_a_finished_reply_says_everything_it_measured():
    stats = ReplyStats(prompt_tokens=120, cached_tokens=100, generated_tokens=42, time_to_first_token=0.456,
                       tokens_per_second=31.25, dropped_messages=3, type_k="q8_0", type_v="q4_0")
    assert format_stats(stats, "stop") == SEP.join([
        "42 tokens", "first token 0.46 s", "31.2 tok/s", "prompt 120, 100 cached", "K q8_0 / V q4_0",
        "3 oldest messages left out",
    ])


def test_only_what_was_measured_is_shown():
    assert format_stats(ReplyStats(generated_tokens=0), "stop") == "0 tokens"
    assert format_stats(ReplyStats(generated_tokens=5, prompt_tokens=9), None) == "5 tokens  ·  prompt 9"


def test_a_first_token_at_zero_seconds_is_still_shown_but_zero_speed_is_not():
    stats = ReplyStats(generated_tokens=1, time_to_first_token=0.0, tokens_per_second=0.0)
    assert format_stats(stats, "stop") == "1 tokens  ·  first token 0.00 s"


@pytest.mark.parametrize("finish_reason,said", [
    ("cancelled", "stopped"),
    ("error", "ended by an error"),
    ("length", "max tokens reached"),
    ("context_full", "context full"),
])
def test_how_the_reply_ended_is_said_last(finish_reason, said):
    assert format_stats(ReplyStats(generated_tokens=7), finish_reason) == f"7 tokens{SEP}{said}"


@pytest.mark.parametrize("finish_reason", ["stop", None, "something new"])
def test_a_reply_that_ended_normally_says_nothing_about_it(finish_reason):
    assert format_stats(ReplyStats(generated_tokens=7), finish_reason) == "7 tokens"


def test_a_restored_kept_cache_and_a_re_read_are_said():
    restored = ReplyStats(generated_tokens=3, cache_source="disk", restore_seconds=0.0124)
    assert format_stats(restored, "stop") == "3 tokens  ·  cache restored from disk in 12 ms"
    in_ram = ReplyStats(generated_tokens=3, cache_source="ram", restore_seconds=0.002)
    assert format_stats(in_ram, "stop").endswith("cache restored from RAM in 2 ms")
    again = ReplyStats(generated_tokens=3, read_again="the cache was q4_0, now q8_0")
    assert format_stats(again, "stop") == "3 tokens  ·  read again: the cache was q4_0, now q8_0"


def test_reading_a_prompt_says_how_far_and_how_long_is_left():
    assert reading_status(PromptProgress(2703, 0, None)) == "Reading the prompt: 0 % of 2,703 tokens…"
    assert reading_status(PromptProgress(2703, 1216, 20.4)) == \
        "Reading the prompt: 44 % of 2,703 tokens, about 20 s left…"
    assert reading_status(PromptProgress(90_000, 9_000, 600.0)) == \
        "Reading the prompt: 10 % of 90,000 tokens, about 10 min left…"
    restored = PromptProgress(800, 799, None, cache_source="ram", restore_seconds=0.003)
    assert reading_status(restored) == "Reading the prompt: 99 % of 800 tokens…  (cache restored from RAM in 3 ms)"
    again = PromptProgress(800, 0, None, read_again="the context was 4,096 tokens, now 8,192")
    assert reading_status(again).endswith("(read again: the context was 4,096 tokens, now 8,192)")
