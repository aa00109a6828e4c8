"""A circuit breaker in front of the model endpoint, and a cap on calls in flight.

After ``failures`` consecutive failed calls (timeouts, HTTP errors, cut streams) the
circuit opens: for ``open_s`` seconds no call is made and every request falls back at
once to the extractive drafts, instead of paying its whole budget to a model that does
not answer. Then one request probes (half-open): success closes the circuit, failure
opens it again. Calls beyond ``max_in_flight`` are not queued: they fall back at once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Whether the next model call may go out (see the module doc); thread-safe."""

    def __init__(self, failures: int = 5, open_s: float = 30.0, max_in_flight: int = 4, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures, self.open_s, self.max_in_flight = failures, open_s, max_in_flight
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._probing = False
        self._in_flight = 0

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    def _state(self) -> State:
        if self._opened_at is None:
            return "closed"
        return "open" if self._clock() - self._opened_at < self.open_s else "half_open"

    def acquire(self) -> Permit | str:
        """A permit for one call, or why none ("circuit_open", "busy"). Every permit goes
        back through :meth:`release`."""
        with self._lock:
            state = self._state()
            if state == "open" or (state == "half_open" and self._probing):
                return "circuit_open"
            if self._in_flight >= self.max_in_flight:
                return "busy"
            self._in_flight += 1
            if state == "half_open":
                self._probing = True
            return Permit(probe=state == "half_open")

    def release(self, permit: Permit, failed: bool | None) -> None:
        """The call is over: ``failed`` True when the endpoint did not answer properly
        (timeout, HTTP error, cut stream), False when it did (content problems such as
        an ungrounded draft count as answered), None when the call says nothing about
        the endpoint (cancelled, or given too little time to answer)."""
        with self._lock:
            self._in_flight -= 1
            if permit.probe:
                self._probing = False
            if failed is None:
                if permit.probe:  # no verdict from the probe: the next request probes again
                    self._opened_at = self._clock() - self.open_s
                return
            if not failed:
                if self._opened_at is not None:
                    log.warning("llm circuit closed: the model answered again")
                self._consecutive, self._opened_at = 0, None
                return
            self._consecutive += 1
            if permit.probe or (self._opened_at is None and self._consecutive >= self.failures):
                log.warning("llm circuit open", extra={"consecutive_failures": self._consecutive, "open_s": self.open_s})
                self._opened_at = self._clock()


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; ``probe`` when it is the half-open circuit's one test call."""

    probe: bool
