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
