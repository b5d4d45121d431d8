"""Snapshot -> (diagnosis, verdicts, pod rows, changed uids), in proportion to what changed.

The feed's snapshots carry the store's change set (``snapshot.changes``). The pipeline hands each
snapshot to a diagnosis engine (injected: the model layer does not import the diagnosis package),
which judges again only what a change can affect and says which subjects' findings changed; then it
rebuilds only the pod rows whose record, verdict or AGE/RESTARTS text changed, and reports their
uids so a table can update those rows in place. A snapshot without a usable change set (the first,
a relist, one made elsewhere) takes a full pass, which still reuses every row that did not change.
Pure: no Textual; thread-safe (the feed thread and a re-diagnosis worker may both call it).
"""

from __future__ import annotations

import heapq
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ktui import resources as r
from ktui.model.pod_rows import CachedRow, PodRow
from ktui.resources import collector
from ktui.resources.records import RecordLog

FREEZE_AT = 1000
"""Pods from which a full pass, or a pass over as many records of a first list's pages, runs
with the collector paused and ends with ``gc.freeze()``: the judged findings and rows are
long-lived, so keep them out of the collector's way."""


class Engine(Protocol):
    """What the pipeline needs from a diagnosis engine (``ktui.diagnosis.incremental.DiagnosisEngine``)."""

    last_changed: frozenset[str] | None

    def update(self, snapshot: r.ClusterSnapshot) -> Any:
        """The Diagnosis of the snapshot (with ``verdict(uid)``)."""


@dataclass(frozen=True)
class PipelineResult:
    """One snapshot's diagnosis and pod rows; ``changed``: uids whose rows changed (None: all)."""

    snapshot: r.ClusterSnapshot
    diagnosis: Any
    verdicts: Mapping[str, str]
    rows: Sequence[PodRow]
    """A tuple, or ``Records`` (``rows.get(uid)`` reads one row without building the sequence)."""
    changed: frozenset[str] | None
    error: str = ""
    judged: frozenset[str] | None = None
    """Subject keys (uids) whose findings changed since the previous result (None: any may have)."""


class _Verdicts(Mapping[str, str]):
    """uid -> severity of each pod, read off the rows (no 10k-entry dict per snapshot unless asked).

    It also knows the rows themselves: ``pod_rows(pods, now, verdicts)`` given these verdicts for the
    same pods and time returns them as they are (``rows_for``), so the older two-step callers
    (``run_diagnosis`` then ``pod_rows``) pay for what changed too.
    """

    def __init__(self, snap: r.ClusterSnapshot, rows: Sequence[PodRow]) -> None:
        self._snap, self._rows = snap, rows
        self._map: dict[str, str] | None = None

    def rows_for(self, pods: object, now: datetime) -> Sequence[PodRow] | None:
        """These pods' rows at ``now``, if they are the ones these verdicts were made with."""
        return self._rows if pods is self._snap.pods and now == self._snap.now else None

    def _table(self) -> dict[str, str]:
        if self._map is None:
            self._map = {row.uid: row.severity for row in self._rows}
        return self._map

    def __getitem__(self, uid: str) -> str:
        return self._table()[uid]

    def get(self, uid: str, default: Any = None) -> Any:
        """The severity of a pod, or ``default``."""
        return self._table().get(uid, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


_SEVERITY_TEXT: dict[Any, str] = {}
_SHARED: dict[str, SnapshotPipeline] = {}
_SHARED_LOCK = threading.Lock()


class SnapshotPipeline:
    """Keeps the last diagnosis and rows; ``update(snapshot)`` works out the next ones."""

    def __init__(self, engine_factory: Callable[[], Engine]) -> None:
        self._factory = engine_factory
        self._engine = engine_factory()
        self.lock = threading.Lock()
        """Held for a whole update (and the emit of ``process``)."""
        self._snap: r.ClusterSnapshot | None = None
        self._rows: dict[str, CachedRow] = {}
        self._out: dict[str, PodRow] = {}
        self._out_log = RecordLog()  # hands out _out as Records, in proportion to the rows changed
        # (expires, key): equal times order by key; a pair per row is ~36 B less than with a counter
        self._heap: list[tuple[datetime, str]] = []
        self._seq = -1
        self.full_passes = 0

    @classmethod
    def shared(cls, name: str, engine_factory: Callable[[], Engine]) -> SnapshotPipeline:
        """One process-wide pipeline per name (for callers that hand over snapshots one at a time)."""
        with _SHARED_LOCK:
            pipeline = _SHARED.get(name)
            if pipeline is None:
                pipeline = _SHARED[name] = cls(engine_factory)
            return pipeline

    def process(self, snapshot: r.ClusterSnapshot, seq: int, emit: Callable[[PipelineResult], None]) -> bool:
        """Update and ``emit`` the result in ``seq`` order; False (nothing emitted) for a stale ``seq``.

        Emitting under the lock keeps results in order, so each one's ``changed`` is relative to the
        one emitted before it.
        """
        with self.lock:
            if seq < self._seq:
                return False
            self._seq = seq
            emit(self._update(snapshot))
            return True

    def update(self, snapshot: r.ClusterSnapshot) -> PipelineResult:
        """Diagnose the snapshot and bring the rows up to date."""
        with self.lock:
            return self._update(snapshot)

    def _update(self, snap: r.ClusterSnapshot) -> PipelineResult:
        if len(snap.pods) < FREEZE_AT or not (self._full_pass_ahead(snap) or self._list_pages(snap)):
            return self._work(snap)
        # A full pass makes ~50k long-lived objects (findings, rows): collecting while they pile up
        # would walk them again and again (a 50 ms+ pause); collect nothing, then freeze them. The
        # last pages of a 10k-pod list (~7k pods, every workload rolled up) are as much: 12
        # collections, 14 ms, when not held off.
        with collector.paused():
            return self._work(snap)

    def _list_pages(self, snap: r.ClusterSnapshot) -> bool:
        """Whether the snapshot brings ``FREEZE_AT`` or more records of a first list still coming in
        (the last snapshot did not hold the whole pod list): not a watch storm's changes, which
        are short-lived."""
        prev, changes = self._snap, snap.changes
        if prev is None or changes is None or "Pod" in prev.synced:
            return False
        return sum(len(c) for c in changes.values() if c) >= FREEZE_AT

    def _full_pass_ahead(self, snap: r.ClusterSnapshot) -> bool:
        prev, changes = self._snap, snap.changes
        if prev is None or snap.pods is prev.pods:
            return prev is None
        return changes is None or snap.changes_since != prev.version or None in changes.values()

    def _work(self, snap: r.ClusterSnapshot) -> PipelineResult:
        error = ""
        try:
            diagnosis = self._engine.update(snap)
            judged: frozenset[str] | None = self._engine.last_changed
        except Exception as exc:  # a rule bug must not take the live view down with it
            self._engine = self._factory()  # start clean: its state may be half-updated
            diagnosis, judged, error = None, None, f"{type(exc).__name__}: {exc}"
        pods = self._pod_changes(snap)
        if pods is None or judged is None or diagnosis is None:
            changed = self._full(snap, diagnosis)
        else:
            changed = self._incremental(snap, diagnosis, pods, judged)
        self._snap = snap
        delta = None if changed is None else {key: self._out.get(key) for key in changed}
        rows: Sequence[PodRow] = self._out_log.view(self._out, delta)
        if len(rows) != len(snap.pods):  # keys repeat (pods without uids): one row per pod, no reuse
            rows = tuple(CachedRow(p, snap.now, self._severity(diagnosis, p)).row for p in snap.pods)
            self._snap, changed = None, None
        return PipelineResult(snap, diagnosis, _Verdicts(snap, rows), rows, changed, error, judged)

    def _pod_changes(self, snap: r.ClusterSnapshot) -> Mapping[str, r.Pod | None] | None:
        prev = self._snap
        if prev is None or prev.now > snap.now:
            return None
        if snap.pods is prev.pods:
            return {}
        changes = snap.changes
        if changes is not None and snap.changes_since == prev.version and snap.changes_since >= 0:
            pods = changes.get("Pod", {})
            return pods  # None after a relist: a full pass
        return None

    def _severity(self, diagnosis: Any, pod: r.Pod) -> str:
        if diagnosis is None:
            return "unknown"
        verdict = diagnosis.verdict(pod.metadata.uid)
        text = _SEVERITY_TEXT.get(verdict)
        if text is None:  # one str per severity, not one per row (str() of an enum copies)
            text = _SEVERITY_TEXT[verdict] = sys.intern(str(verdict))
        return text

    def _full(self, snap: r.ClusterSnapshot, diagnosis: Any) -> frozenset[str] | None:
        self.full_passes += 1
        old, now = self._rows, snap.now
        self._rows, self._out, self._heap = {}, {}, []
        for pod in snap.pods:
            meta = pod.metadata
            key = meta.uid or f"{meta.namespace}/{meta.name}"
            severity = self._severity(diagnosis, pod)
            cached = old.get(key)
            cached = CachedRow(pod, now, severity) if cached is None else cached.at(pod, now, severity)
            self._keep(key, cached)
        return None

    def _incremental(
        self, snap: r.ClusterSnapshot, diagnosis: Any, pods: Mapping[str, r.Pod | None],
        judged: frozenset[str],
    ) -> frozenset[str]:
        now, rows = snap.now, self._rows
        dirty: dict[str, r.Pod | None] = dict(pods)
        for skey in judged:
            cached = rows.get(skey)  # a pod's subject key is its uid, as is its row key
            if cached is not None and skey not in dirty:
                dirty[skey] = cached.pod
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, key = heapq.heappop(heap)
            cached = rows.get(key)
            expired = cached is not None and cached.expires is not None and cached.expires <= now
            if expired and cached is not None and key not in dirty:
                dirty[key] = cached.pod
        changed: set[str] = set()
        for key, pod in dirty.items():
            old = rows.get(key)
            if pod is None:
                if old is not None:
                    del rows[key], self._out[key]
                    changed.add(key)
                continue
            # findings unchanged (not judged again with a new answer): so is the verdict
            same = old is not None and key not in judged and pod.metadata.uid  # (uid: the subject key too)
            severity = old.severity if same and old is not None else self._severity(diagnosis, pod)
            if old is None:
                cached = CachedRow(pod, now, severity)
            elif old.pod is not pod:
                # a new record: making the row costs less than proving it equal to the old one first
                cached = old.remade(pod, now, severity)
            else:
                cached = old.at(pod, now, severity)
            if old is None or cached.row is not old.row:
                changed.add(key)
            if cached is not old:
                self._keep(key, cached, old)
        return frozenset(changed)

    def _keep(self, key: str, cached: CachedRow, old: CachedRow | None = None) -> None:
        self._rows[key] = cached
        self._out[key] = cached.row
        if cached.expires is not None and (old is None or old.expires != cached.expires):
            heapq.heappush(self._heap, (cached.expires, key))
            if len(self._heap) > 4 * len(self._rows) + 1024:  # drop entries of rows made again since
                self._heap = [(c.expires, k) for k, c in self._rows.items() if c.expires is not None]
                heapq.heapify(self._heap)
