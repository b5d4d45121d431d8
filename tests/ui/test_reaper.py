"""The reaper frees a replaced snapshot's records on its own thread, all of them."""

from __future__ import annotations

import threading
import time
import weakref

import msgspec

from ktui.ui.reaper import SLICE, Reaper


class Record:
    """Stands for a pod record: weakly referenceable, notes the thread that freed it."""

    freed_on: set[str] = set()

    def __del__(self) -> None:
        Record.freed_on.add(threading.current_thread().name)


class Snap(msgspec.Struct, frozen=True):
    pods: tuple[Record, ...]
    events: tuple[Record, ...] = ()
    version: int = 0


def test_a_dropped_snapshot_is_freed_by_the_reaper_thread_to_the_last_record() -> None:
    Record.freed_on.clear()
    snap = Snap(pods=tuple(Record() for _ in range(SLICE * 4 + 7)), events=(Record(),))
    refs = [weakref.ref(p) for p in snap.pods] + [weakref.ref(snap.events[0])]
    reaper = Reaper()
    reaper.drop(snap, object())
    del snap  # the caller lets go at once; nothing is freed on this thread
    deadline = time.monotonic() + 5
    while any(r() is not None for r in refs):
        assert time.monotonic() < deadline, "the reaper did not free every record"
        time.sleep(0.01)
    assert Record.freed_on == {"ktui-reaper"}
