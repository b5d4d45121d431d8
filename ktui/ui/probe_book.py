"""The probe results and crash logs the app keeps, and how they get into the snapshot the diagnosis reads.

Snapshots are immutable and arrive from the feed thread; probe results arrive on the event loop.
``ProbeBook`` keeps the latest result per (target, port) and the latest raw snapshot under one lock,
and stamps every merged snapshot with a sequence number taken under that lock: a snapshot with a
higher number was merged with at least the results of a lower one, so the UI applies only the
newest and never goes back to a view without a result it already showed. The crash logs the app
read (``ktui.ui.evidence``) ride along the same way, into ``snapshot.logs``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import msgspec

from ktui.resources import ClusterSnapshot, ProbeResult

MAX_RESULTS = 200
"""Results kept (oldest dropped first): enough for a session, bounded for a long one."""

Key = tuple[str, str, str, str, str]


def result_key(result: ProbeResult) -> Key:
    """(kind, namespace, name, port, what): an Ingress rule probed by host/path keeps its own result."""
    t = result.target
    what = result.tested.split(" -> ", 1)[0] if t.kind == "Ingress" else ""
    return (t.kind, t.namespace, t.name, str(result.port), what)


class ProbeBook:
    """Latest result per (target, port), merged into each snapshot before diagnosis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[Key, ProbeResult] = {}
        self._raw: ClusterSnapshot | None = None
        self._seq = 0
        self._logs: dict[str, tuple[str, ...]] = {}

    def add(self, result: ProbeResult) -> None:
        """Keep a finished probe's result (replacing the previous one for the same target and port)."""
        with self._lock:
            key = result_key(result)
            self._results.pop(key, None)
            self._results[key] = result
            while len(self._results) > MAX_RESULTS:
                self._results.pop(next(iter(self._results)))

    def results(self) -> tuple[ProbeResult, ...]:
        """Every kept result, oldest first."""
        with self._lock:
            return tuple(self._results.values())

    def set_logs(self, logs: dict[str, tuple[str, ...]]) -> None:
        """The crash logs read so far (``namespace/pod/container`` -> lines), replacing the last ones."""
        with self._lock:
            self._logs = logs  # replaced, never mutated: merged snapshots may share it

    def clear(self) -> None:
        """Forget every result, crash log and the last snapshot (another context)."""
        with self._lock:
            self._results.clear()
            self._logs = {}
            self._raw = None

    def merge(self, snapshot: ClusterSnapshot | None = None) -> tuple[int, ClusterSnapshot | None]:
        """(sequence, snapshot with the results) for a new raw snapshot, or for the last one."""
        with self._lock:
            if snapshot is not None:
                self._raw = snapshot
            raw = self._raw
            self._seq += 1
            if raw is None:
                return self._seq, None
            logs = self._logs
            if logs and raw.logs:
                logs = {**logs, **raw.logs}  # what the snapshot carries (a dump) wins
            return self._seq, msgspec.structs.replace(
                raw, probes=_combined(raw.probes, self._results.values()), logs=logs or raw.logs
            )


def _combined(existing: Iterable[ProbeResult], ours: Iterable[ProbeResult]) -> tuple[ProbeResult, ...]:
    """The snapshot's own results (a dump may carry some) followed by ours."""
    return (*existing, *ours)
