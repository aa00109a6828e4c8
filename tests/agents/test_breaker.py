"""The circuit breaker in front of the model endpoint, on a clock the test moves."""

from __future__ import annotations

from agents.composers.breaker import CircuitBreaker, Permit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def failed_calls(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        breaker.release(permit(breaker), True)


def permit(breaker: CircuitBreaker) -> Permit:
    granted = breaker.acquire()
    assert isinstance(granted, Permit), granted
    return granted


def test_when_calls_fail_fewer_times_than_the_limit_then_the_circuit_stays_closed() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10, clock=Clock())
    failed_calls(breaker, 2)
    assert breaker.state == "closed" and isinstance(breaker.acquire(), Permit)


def test_when_a_call_succeeds_then_the_failure_count_starts_again() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10, clock=Clock())
    failed_calls(breaker, 2)
    breaker.release(permit(breaker), False)
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
    probe = permit(breaker)
    assert probe.probe and breaker.acquire() == "circuit_open"  # no second call while it is out
    breaker.release(probe, False)
    assert breaker.state == "closed" and not permit(breaker).probe


def test_when_the_probe_fails_then_the_circuit_opens_again_for_the_whole_time() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=4, open_s=5, clock=clock)
    failed_calls(breaker, 4)
    clock.now = 5
    breaker.release(permit(breaker), True)
    assert breaker.state == "open"
    clock.now = 9.9
    assert breaker.acquire() == "circuit_open"


def test_when_as_many_calls_as_allowed_are_in_flight_then_the_next_is_refused_at_once() -> None:
    breaker = CircuitBreaker(max_in_flight=2, clock=Clock())
    first, _ = permit(breaker), permit(breaker)
    assert breaker.acquire() == "busy"
    breaker.release(first, False)
    assert isinstance(breaker.acquire(), Permit)


def test_when_a_call_from_before_the_opening_ends_during_the_probe_then_no_second_probe_starts() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, open_s=5, clock=clock)
    early = permit(breaker)
    failed_calls(breaker, 1)
    clock.now = 6
    probe = permit(breaker)
    breaker.release(early, True)  # a slow call started while closed
    assert breaker.acquire() == "circuit_open"
    breaker.release(probe, False)
    assert breaker.state == "closed"


def test_when_a_call_gives_no_verdict_then_the_count_stays_and_a_probe_can_run_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, open_s=5, clock=clock)
    failed_calls(breaker, 1)
    breaker.release(permit(breaker), None)  # cancelled, or too little time to judge the endpoint
    assert breaker.state == "closed"
    failed_calls(breaker, 1)
    assert breaker.state == "open"
    clock.now = 6
    breaker.release(permit(breaker), None)
    assert permit(breaker).probe
