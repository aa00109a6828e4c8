"""Places for suggest requests: a key over its limit gets 429 at once, a full process
sheds with 503 after a bounded wait; both say when to retry."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.suggestions.admission import Admission
from core.errors import Overloaded, TooManyRequests


def test_when_a_key_has_its_limit_in_flight_then_its_next_request_is_refused_with_retry_after() -> None:
    async def scenario() -> None:
        admission = Admission(in_flight=8, per_key=2, queue_ms=100)
        held = [await admission.enter("rep-a", time.perf_counter(), 800) for _ in range(2)]
        with pytest.raises(TooManyRequests) as refused:
            await admission.enter("rep-a", time.perf_counter(), 800)
        assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
        other = await admission.enter("rep-b", time.perf_counter(), 800)  # another rep is not held back
        held[0]()
        again = await admission.enter("rep-a", time.perf_counter(), 800)
        for release in (held[1], other, again):
            release()
        assert admission.busy == 0

    asyncio.run(scenario())


def test_when_the_process_is_full_then_a_request_waits_its_bounded_time_and_is_shed() -> None:
    async def scenario() -> None:
        admission = Admission(in_flight=1, per_key=4, queue_ms=60)
        first = await admission.enter("rep-a", time.perf_counter(), 800)
        started = time.perf_counter()
        with pytest.raises(Overloaded) as shed:
            await admission.enter("rep-b", started, 800)
        waited = time.perf_counter() - started
        assert 0.05 <= waited < 0.5 and shed.value.status == 503 and shed.value.headers["Retry-After"] == "1"
        first()
        (await admission.enter("rep-b", time.perf_counter(), 800))()  # the shed request left no place taken

    asyncio.run(scenario())


def test_when_a_place_frees_up_within_the_wait_then_the_waiting_request_gets_it() -> None:
    async def scenario() -> None:
        admission = Admission(in_flight=1, per_key=4, queue_ms=1000)
        first = await admission.enter("rep-a", time.perf_counter(), 800)
        asyncio.get_running_loop().call_later(0.05, first)
        release = await admission.enter("rep-b", time.perf_counter(), 800)  # waits at most half the budget: 400 ms
        release()
        release()  # giving a place back twice frees it once
        assert admission.busy == 0

    asyncio.run(scenario())
