"""Keep the C allocator from holding on to the memory of list bodies once they are decoded.

glibc serves a block above its mmap threshold (128 KB at start) with its own mapping, given back
to the system when freed. But when such a block is freed, glibc raises the threshold to its size
(up to 32 MB): the next list pages (~3 MB each at 500 pods a page) then come from the heap, and
what they leave there when freed stays in ktui's resident memory, between the records kept after
them. At 10k pods that was ~10 MB (1 KB per cached pod) of freed memory still resident after the
sync. Setting the threshold once turns that adjustment off.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

from ktui.kube.chunked import BLOCK

M_MMAP_THRESHOLD: Final = -3
"""mallopt's parameter number for the mmap threshold (glibc's malloc.h)."""

MMAP_THRESHOLD: Final = 2 * BLOCK
"""Above one socket read (``chunked.BLOCK``), made and freed per read of a watch: those stay in the
heap (at glibc's 128 KB, a mapping and its page faults per read cost B4 ~8 us per event); a list
page is far above it."""

_done = False


def map_big_buffers(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (once per process); False where there is no glibc."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _done = mallopt(M_MMAP_THRESHOLD, threshold) == 1  # 1: done (0 from a C library that ignores it)
    return _done


def release_free_heap() -> bool:
    """Give the pages of the C heap that are wholly free back to the system (glibc ``malloc_trim``).

    A list of 10k pods frees thousands of blocks below the mmap threshold (socket reads, the tuples
    and dicts of superseded snapshots, decoded records replaced by shared ones); glibc keeps their
    pages resident for reuse. After a sync nothing that size is coming again, so the feed returns
    them once: ~3.7 MB at 10k pods, in a few milliseconds. False where there is no glibc.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim.argtypes = (ctypes.c_size_t,)
    malloc_trim.restype = ctypes.c_int
    return bool(malloc_trim(0))  # 1: some memory was released
