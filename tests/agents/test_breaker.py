"""The circuit breaker in front of the model endpoint, on a clock the test moves."""

from __future__ import annotations

from agents.composers.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def failed_calls(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        assert breaker.acquire() is None
        breaker.release(False)


def test_when_calls_fail_fewer_times_than_the_limit_then_the_circuit_stays_closed() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10, clock=Clock())
    failed_calls(breaker, 2)
    assert breaker.state == "closed" and breaker.acquire() is None


def test_when_a_call_succeeds_then_the_failure_count_starts_again() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10, clock=Clock())
    failed_calls(breaker, 2)
    assert breaker.acquire() is None
    breaker.release(True)
    failed_calls(breaker, 2)
    assert breaker.state == "closed"


def test_when_calls_fail_in_a_row_then_the_circuit_opens_and_refuses_calls_until_the_time_is_up() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, open_s=10, clock=clock)
    failed_calls(breaker, 3)
    assert breaker.state == "open" and breaker.acquire() == "circuit_open"
    clock.now = 9.9
    assert breaker.acquire() == "circuit_open"
    clock.now = 10.0
    assert breaker.state == "half_open"


def test_when_half_open_then_one_probe_goes_out_and_its_success_closes_the_circuit() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, open_s=5, clock=clock)
    failed_calls(breaker, 1)
    clock.now = 6
    assert breaker.acquire() is None  # the probe
    assert breaker.acquire() == "circuit_open"  # no second call while it is out
    breaker.release(True)
    assert breaker.state == "closed" and breaker.acquire() is None


def test_when_the_probe_fails_then_the_circuit_opens_again_for_the_whole_time() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=4, open_s=5, clock=clock)
    failed_calls(breaker, 4)
    clock.now = 5
    assert breaker.acquire() is None
    breaker.release(False)
    assert breaker.state == "open"
    clock.now = 9.9
    assert breaker.acquire() == "circuit_open"


def test_when_as_many_calls_as_allowed_are_in_flight_then_the_next_is_refused_at_once() -> None:
    breaker = CircuitBreaker(max_in_flight=2, clock=Clock())
    assert breaker.acquire() is None and breaker.acquire() is None
    assert breaker.acquire() == "busy"
    breaker.release(True)
    assert breaker.acquire() is None
