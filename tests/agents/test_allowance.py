"""The text a key may have worked on: a rep chatting never meets the limit, a key sending
long texts over and over is told when to come back."""

from __future__ import annotations

import pytest

from agents.suggestions.allowance import BURST_S, TextAllowance
from core.errors import TooManyRequests


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_when_a_rep_presses_every_second_on_a_full_window_then_nothing_is_refused() -> None:
    clock = Clock()
    allowance = TextAllowance(3000, clock=clock)
    for _ in range(60):
        allowance.take("rep", 2000)
        clock.now += 1.0


def test_when_a_key_keeps_sending_long_texts_then_it_is_refused_with_the_seconds_to_wait() -> None:
    clock = Clock()
    allowance = TextAllowance(1000, clock=clock)
    for _ in range(int(BURST_S)):
        allowance.take("abuser", 1000)
    with pytest.raises(TooManyRequests) as refused:
        allowance.take("abuser", 2000)
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "2"
    allowance.take("someone-else", 2000)  # other keys keep their own allowance
    clock.now += 2.0
    allowance.take("abuser", 2000)


def test_when_one_request_is_larger_than_the_burst_then_it_passes_on_a_full_allowance() -> None:
    allowance = TextAllowance(100, clock=Clock())
    allowance.take("rep", 10_000)
    with pytest.raises(TooManyRequests):
        allowance.take("rep", 10)
