"""Fitting a conversation into the context: what is kept, what is left out, and what is refused.

The tokenizer here counts one token per word plus two per message (its role marker and end), so
every figure below can be worked out by hand."""

import random

import pytest

from app.engine.errors import ContextOverflowError
from app.engine.history_fit import DROP_OLDEST, STOP, FittedPrompt, fit_history, reply_reserve
from app.engine.records import ChatMessage

ROLE_TOKEN = {"system": 1, "user": 2, "assistant": 3}
END = 4


class CountingTokenizer:
    """Tokenizes each message as [role] + one token per word + [end], and counts its calls."""

    def __init__(self):
        self.calls: list[list[ChatMessage]] = []

    def __call__(self, messages):
        self.calls.append(list(messages))
        tokens = []
        for m in messages:
            tokens += [ROLE_TOKEN[m.role], *(100 + len(w) for w in m.content.split()), END]
        return tokens


def msg(role: str, words: int) -> ChatMessage:
    return ChatMessage(role, " ".join(["word"] * words))


def size(messages) -> int:
    return sum(len(m.content.split()) + 2 for m in messages)


SYSTEM = msg("system", 8)  # 10 tokens
CONVERSATION = [SYSTEM, msg("user", 18), msg("assistant", 28), msg("user", 8), msg("assistant", 18), msg("user", 3)]
# tokens:        10        20               30                  10              20                 5   = 95


def test_a_conversation_that_fits_is_kept_whole_and_tokenized_once():
    tokenize = CountingTokenizer()
    fitted = fit_history(CONVERSATION, n_ctx=100, reserve=5, tokenize=tokenize)
    assert fitted == FittedPrompt(tokenize(CONVERSATION), 0)
    assert len(fitted.tokens) == 95
    assert len(tokenize.calls) == 2  # the fit, and the comparison above


def test_one_token_over_leaves_out_the_oldest_exchange():
    fitted = fit_history(CONVERSATION, n_ctx=100, reserve=6, tokenize=CountingTokenizer())
    # The first cut that fits falls before the second user message: 50 of 95 tokens left out.
    kept = [SYSTEM, *CONVERSATION[3:]]
    assert fitted == FittedPrompt(CountingTokenizer()(kept), 2)
    assert len(fitted.tokens) == 45


def test_the_latest_cut_is_taken_only_when_the_earlier_ones_do_not_fit():
    fitted = fit_history(CONVERSATION, n_ctx=20, reserve=5, tokenize=CountingTokenizer())
    assert fitted.dropped_messages == 4  # system (10) + last user message (5) + reserve (5) = 20
    assert len(fitted.tokens) == 15


def test_the_kept_part_always_starts_with_a_user_message():
    # Leaving out only the first user message would fit, but the kept part would start with the
    # assistant's reply: the cut falls before the next user message instead.
    conversation = [msg("user", 8), msg("assistant", 1), msg("user", 38)]  # 10 + 3 + 40 tokens
    fitted = fit_history(conversation, n_ctx=50, reserve=5, tokenize=CountingTokenizer())
    assert fitted.dropped_messages == 2
    assert len(fitted.tokens) == 40


def test_without_a_system_message_the_first_turn_can_go():
    conversation = CONVERSATION[1:]  # 85 tokens
    fitted = fit_history(conversation, n_ctx=70, reserve=5, tokenize=CountingTokenizer())
    assert fitted.dropped_messages == 2
    assert len(fitted.tokens) == 35


def test_exactly_full_fits():
    assert fit_history(CONVERSATION, n_ctx=95 + 7, reserve=7, tokenize=CountingTokenizer()).dropped_messages == 0


def test_stop_refuses_with_the_numbers_and_points_to_the_setting():
    with pytest.raises(ContextOverflowError) as caught:
        fit_history(CONVERSATION, n_ctx=100, reserve=6, tokenize=CountingTokenizer(), policy=STOP)
    message = str(caught.value)
    assert "needs 101 tokens" in message and "holds 100" in message
    assert "let the oldest messages be left out" in message


def test_a_single_message_that_does_not_fit_cannot_be_cut():
    conversation = [SYSTEM, msg("user", 1998)]  # 10 + 2,000 tokens
    for policy in (DROP_OLDEST, STOP):
        with pytest.raises(ContextOverflowError) as caught:
            fit_history(conversation, n_ctx=1024, reserve=256, tokenize=CountingTokenizer(), policy=policy)
        message = str(caught.value)
        assert "needs 2,266 tokens" in message and "holds 1,024" in message
        assert "left out" not in message  # there is nothing older to leave out


def test_when_even_the_last_message_does_not_fit_it_says_so():
    conversation = [SYSTEM, msg("user", 3), msg("assistant", 3), msg("user", 98)]  # 10 + 5 + 5 + 100
    with pytest.raises(ContextOverflowError) as caught:
        fit_history(conversation, n_ctx=100, reserve=10, tokenize=CountingTokenizer())
    assert "The last message alone needs 120 tokens" in str(caught.value)
    assert "holds 100" in str(caught.value)


def test_an_unknown_policy_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown overflow policy 'truncate'"):
        fit_history(CONVERSATION, n_ctx=100, reserve=5, tokenize=CountingTokenizer(), policy="truncate")


def test_an_empty_conversation_fits():
    assert fit_history([], n_ctx=10, reserve=1, tokenize=CountingTokenizer()) == FittedPrompt([], 0)


def test_the_search_finds_the_earliest_cut_that_fits_in_a_few_tokenizations():
    """Against trying every cut in turn, over many conversations of random lengths."""
    rng = random.Random(20240531)
    for _ in range(300):
        conversation = [SYSTEM] if rng.random() < 0.5 else []
        for _ in range(rng.randint(1, 40)):
            conversation.append(msg("user", rng.randint(0, 60)))
            if rng.random() < 0.9:
                conversation.append(msg("assistant", rng.randint(0, 120)))
        n_ctx, reserve = rng.randint(64, 4096), rng.randint(1, 200)
        system = conversation[:1] if conversation[0].role == "system" else []
        turns = conversation[len(system):]
        cuts = [i for i, m in enumerate(turns) if m.role == "user" and i > 0]
        expected = 0 if size(conversation) + reserve <= n_ctx else next(
            (c for c in cuts if size(system + turns[c:]) + reserve <= n_ctx), None)
        tokenize = CountingTokenizer()
        if expected is None:
            with pytest.raises(ContextOverflowError):
                fit_history(conversation, n_ctx, reserve, tokenize)
            continue
        fitted = fit_history(conversation, n_ctx, reserve, tokenize)
        assert fitted.dropped_messages == expected
        assert len(fitted.tokens) == size(system + turns[expected:])
        assert len(tokenize.calls) <= 2 + max(1, len(cuts)).bit_length()  # a binary search, not one try per cut


@pytest.mark.parametrize("max_tokens,n_ctx,reserve", [
    (256, 4096, 256), (2000, 4096, 1024), (512, 2048, 512), (513, 2048, 512), (1, 512, 1), (0, 512, 1), (100, 3, 1),
])
def test_the_reply_keeps_what_it_may_use_but_never_more_than_a_quarter(max_tokens, n_ctx, reserve):
    assert reply_reserve(max_tokens, n_ctx) == reserve
