"""When the cyclic garbage collector may run while long-lived records pile up.

Listing 10k pods and judging them makes ~100k objects that live as long as the view. With the
collector on, each of its full passes walks all of them again while they arrive (20-120 ms pauses on
this kind of machine, performance.md 6.5). Records are acyclic (refcounting frees them), so the
collector is held off while they are made and, at the end, what survived is frozen out of its way.
Several threads (one reflector per kind, the diagnosis pipeline) may pause it at once: the
collector comes back on when the last of them is done.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False
_freeze = False


@contextmanager
def paused(*, freeze: bool = True) -> Iterator[None]:
    """Hold automatic collections off inside; the last one out freezes the survivors (if any asked)."""
    global _depth, _restore, _freeze
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            _freeze = False
            gc.disable()
        _depth += 1
        _freeze = _freeze or freeze
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _freeze:
                    gc.freeze()
                if _restore:
                    gc.enable()


def is_paused() -> bool:
    """Whether some caller holds the collector off now."""
    return _depth > 0


YOUNG_THRESHOLD = 5_000
"""Allocations between young collections while a feed runs (CPython's default is 700)."""


def raise_young_threshold(threshold: int = YOUNG_THRESHOLD) -> None:
    """Let at least ``threshold`` allocations pass between young collections (never lowers it).

    A live feed makes a whole-cluster dict now and then (each ``records.RecordLog`` fold, for the
    store's pods and the pipeline's rows): a young collection walks each one still alive, a cache miss
    per pod (~1-5 ms at 20k pods). At the default threshold young collections come every ~350 watch
    events; at 5,000, about fourteen times fewer. A young collection stays short: most of what a feed
    allocates dies by reference counting, and records and rows are untracked (``gc=False``).
    """
    young, middle, old = gc.get_threshold()
    if 0 < young < threshold:
        gc.set_threshold(threshold, middle, old)
