"""How much conversation text one key may have worked on: a token bucket of characters.

Desensitizing and reading text is most of what a suggest request costs, so a key that
sends long texts over and over would take the cores from every other rep even with one
request in flight. Each request is charged the characters of its window (at most
``ZHICE_CONTEXT_CHARS``); a key earns ``chars_per_s`` back every second, up to
``BURST_S`` seconds' worth. A rep pressing 智策 on a chat never comes near it (a
2,000-character window every second is within it); past it, 429 with the seconds to wait.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache

from core.errors import TooManyRequests

BURST_S = 4.0
MAX_KEYS = 100_000


class TextAllowance:
    """Characters each key may still have worked on (see the module doc)."""

    def __init__(self, chars_per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.chars_per_s, self.burst = chars_per_s, chars_per_s * BURST_S
        self._clock = clock
        # a key idle for BURST_S is full again: forgetting it changes nothing
        self._left: TTLCache[str, tuple[float, float]] = TTLCache(MAX_KEYS, BURST_S, timer=clock)
        self._lock = threading.Lock()

    def take(self, key: str, chars: int) -> None:
        """Charge ``key`` for ``chars`` characters, or raise TooManyRequests saying when
        there will be enough (a charge larger than the burst waits for a full bucket)."""
        now = self._clock()
        need = min(chars, self.burst)
        with self._lock:
            left, at = self._left.get(key, (self.burst, now))
            left = min(self.burst, left + (now - at) * self.chars_per_s)
            if left < need:
                self._left[key] = (left, now)
                wait = math.ceil((need - left) / self.chars_per_s)
                raise TooManyRequests(
                    f"这个密钥近几秒提交的对话文字过多（每秒约 {round(self.chars_per_s)} 字）：请 {wait} 秒后重试。", retry_after=wait
                )
            self._left[key] = (left - need, now)
