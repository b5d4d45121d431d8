"""The allocator setting: a list page freed after decoding is not kept in ktui's heap."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# In a fresh interpreter (the setting is per process): free one big block as a list page is freed,
# then say whether the next block of 1 MB lands in the heap or in a mapping of its own.
_PROBE = textwrap.dedent("""
    import ctypes
    import sys
    from ktui.kube import allocator
    if sys.argv[1] == "fixed":
        assert allocator.map_big_buffers()
    page = bytes(4 << 20)
    del page  # glibc would now raise its threshold to 4 MB
    block = bytearray(1 << 20)
    addr = ctypes.addressof((ctypes.c_char * 1).from_buffer(block))
    for line in open("/proc/self/maps"):
        span, *rest = line.split()
        lo, hi = (int(x, 16) for x in span.split("-"))
        if lo <= addr < hi:
            print("heap" if line.rstrip().endswith("[heap]") else "mapping")
            break
""")


def _where(mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_big_blocks_get_their_own_mapping_after_a_big_free() -> None:
    assert _where("default") == "heap"  # what the setting is for: glibc's moving threshold
    assert _where("fixed") == "mapping"


# Blocks below the mmap threshold come from the heap; freed between live ones, their pages stay
# resident until trimmed. Prints the resident KB before and after the trim.
_TRIM_PROBE = textwrap.dedent("""
    import sys
    from ktui.kube import allocator
    assert allocator.map_big_buffers()
    def rss_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    pairs = [(bytearray(b"x" * (200 << 10)), bytearray(b"y" * 4096)) for _ in range(200)]
    keep = [small for _, small in pairs]  # live heap blocks between the big ones: nothing to shrink
    del pairs  # 40 MB in 200 KB blocks freed, each between two live ones
    before = rss_kb()
    released = allocator.release_free_heap()
    print(before, rss_kb(), released)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_releasing_the_free_heap_gives_its_pages_back() -> None:
    done = subprocess.run([sys.executable, "-c", _TRIM_PROBE], capture_output=True, text=True, check=True)
    before, after, released = done.stdout.split()
    assert released == "True"
    assert int(before) - int(after) > 15_000  # most of the 40 MB freed is no longer resident
