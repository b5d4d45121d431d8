"""Frees replaced snapshots off the event loop, a slice of records at a time.

When the screen takes a new snapshot, the old one often holds the last references to thousands of
records: after a relist at 20k pods, dropping it on the loop freed every old pod at once, a 10-17 ms
stall in one C call (bench B8). The screen hands the old snapshot (and diagnosis) here instead; a
daemon thread copies each big tuple into a list, lets the snapshot go (now cheap: the records are
still referenced) and frees the records in slices, yielding the GIL between slices, so the loop
waits at most one slice (~0.2 ms).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

SLICE = 256
"""Records freed per GIL hold (a pod record with its containers frees in about a microsecond)."""


class Reaper:
    """A thread that lets big objects go in slices."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def drop(self, *objects: Any) -> None:
        """Take these objects; the caller then drops its own references to them."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ktui-reaper", daemon=True)
                self._thread.start()
        self._queue.put(objects)

    def _run(self) -> None:
        while True:
            parts = _records(self._queue.get())  # the containers are gone on return, the records not
            for records in parts:
                while records:
                    del records[-SLICE:]
                    time.sleep(0)  # let the event loop's thread take the GIL between slices


def _records(objects: tuple[Any, ...]) -> list[list[Any]]:
    """The records of each object's big tuple fields, as lists that now hold them."""
    parts: list[list[Any]] = []
    for obj in objects:
        for name in getattr(obj, "__struct_fields__", ()):
            value = getattr(obj, name)
            if isinstance(value, tuple) and len(value) > SLICE:
                parts.append(list(value))
    return parts


REAPER = Reaper()
"""The process's reaper (one thread, started on first use)."""
