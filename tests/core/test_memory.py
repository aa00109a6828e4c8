"""Freed heap memory goes back to the OS after a large piece of work (glibc's malloc_trim)."""

import platform

import pytest

from core.memory import release_freed_memory


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's; elsewhere release_freed_memory does nothing")
def test_when_a_large_working_set_is_freed_then_release_gives_its_pages_back() -> None:
    blocks = [bytes(2048) for _ in range(100_000)]  # ~200 MB from malloc's heap, not mmap
    kept = blocks[::50]  # a few survivors pin the heap, as long-lived objects do after a report
    del blocks
    before = _rss_mb()
    release_freed_memory()
    after = _rss_mb()
    assert before - after > 100, (before, after)
    assert len(kept) == 2000
