"""Give freed heap memory back to the operating system after a large one-off piece of work.

glibc keeps what a thread freed in that thread's arena for reuse; after a report that read
the whole ledger on one of the thread pool's threads, that arena stays at the report's
peak, and the next report (a larger ledger, another thread) raises the high-water mark
again, so RSS climbs with every report. ``malloc_trim`` returns the free pages. Elsewhere
(musl, macOS) it does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    return getattr(ctypes.CDLL(name), "malloc_trim", None)


def release_freed_memory() -> None:
    """Return the heap's free pages to the OS, where the C library can (glibc)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
