"""Who gets worked on now: at most ``per_key`` suggest requests of one key in flight, and
at most ``in_flight`` in the process; a request waits a bounded time for a place.

Past the per-key limit a request is refused at once (429, one rep's burst must not slow
the others); when the process is full it waits up to ``queue_ms``, and no longer than
half its own budget, then is shed (503): both carry ``Retry-After``. A request answered
after a long wait would arrive too late to help the rep, so it is not started.
Limits hold per process (each instance of a multi-instance deployment has its own).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

from core.errors import Overloaded, TooManyRequests

RETRY_AFTER_S = 1


class Admission:
    """Places for suggest requests, per key and in all (see the module doc)."""

    def __init__(self, in_flight: int, per_key: int, queue_ms: int, on_refused: Callable[[str], None] | None = None) -> None:
        self.in_flight, self.per_key, self.queue_ms = in_flight, per_key, queue_ms
        self._places = asyncio.Semaphore(in_flight)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._by_key: Counter[str] = Counter()
        self._on_refused = on_refused or (lambda reason: None)

    @property
    def busy(self) -> int:
        """Requests holding a place now."""
        return self.in_flight - self._places._value  # noqa: SLF001 (asyncio keeps no public count)

    async def enter(self, key: str, arrived_at: float, budget_ms: int) -> Callable[[], None]:
        """A place for one request of ``key``; returns the function that gives it back
        (calling it again does nothing). Raises TooManyRequests (the key's limit) or
        Overloaded (no place in time)."""
        self._bind(asyncio.get_running_loop())
        places, by_key = self._places, self._by_key
        if by_key[key] >= self.per_key:
            self._on_refused("per_key")
            raise TooManyRequests(
                f"同一密钥同时进行中的建议请求最多 {self.per_key} 个：请等上一个返回后再请求（{RETRY_AFTER_S} 秒后重试）。",
                retry_after=RETRY_AFTER_S,
            )
        by_key[key] += 1
        wait_s = min(self.queue_ms, budget_ms / 2) / 1000 - (time.perf_counter() - arrived_at)
        try:
            async with asyncio.timeout(max(0.0, wait_s)):
                await places.acquire()
        except TimeoutError:
            _leave(by_key, key)
            self._on_refused("saturated")
            raise Overloaded(f"服务繁忙，本次请求未能在预算内开始处理：请 {RETRY_AFTER_S} 秒后重试。", retry_after=RETRY_AFTER_S) from None
        except BaseException:
            _leave(by_key, key)
            raise
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                places.release()  # the semaphore and counts it was taken from: a newer loop's are not touched
                _leave(by_key, key)

        return release

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Places belong to one event loop (an asyncio.Semaphore binds to the first that
        waits on it); a new loop (a restarted app, a test) starts with all places free."""
        if self._loop is not loop:
            self._loop, self._places, self._by_key = loop, asyncio.Semaphore(self.in_flight), Counter()


def _leave(by_key: Counter[str], key: str) -> None:
    by_key[key] -= 1
    if by_key[key] <= 0:
        del by_key[key]
