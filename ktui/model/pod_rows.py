"""Pod list rows: kubectl's READY/STATUS/RESTARTS (``printPod``), ages, severity and sort orders."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import Field
from datetime import datetime
from typing import Any, ClassVar

import msgspec
from msgspec.structs import replace as replace_row

from ktui import resources as r
from ktui.model.durations import since, since_changes
from ktui.resources.dataclass_compat import dataclass_compatible

SEVERITY_RANK = {"error": 0, "unknown": 1, "warning": 2, "info": 3}
"""Sort order of verdicts: worst first."""


def _terminated_reason(term: r.ContainerStateTerminated, prefix: str = "") -> str:
    if term.reason:
        return prefix + term.reason
    if term.signal:
        return f"{prefix}Signal:{term.signal}"
    return f"{prefix}ExitCode:{term.exit_code}"


def is_ready(pod: r.Pod) -> bool:
    """The pod's Ready condition is True."""
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def _initialized(pod: r.Pod) -> bool:
    return any(c.type == "Initialized" and c.status == "True" for c in pod.status.conditions)


# Row bookkeeping is msgspec Structs with gc=False: 10k of them (and their remakes in a storm) would
# otherwise be walked by every full collection; they hold no cycles, so refcounting frees them.
class PodStatusLine(msgspec.Struct, frozen=True, gc=False):
    """READY, STATUS and RESTARTS of one pod, as kubectl prints them."""

    ready: str
    status: str
    restarts: int
    last_restart: datetime | None


def pod_status(pod: r.Pod) -> PodStatusLine:
    """kubectl's READY/STATUS/RESTARTS for a pod (printPod, without restartable init containers)."""
    status = pod.status
    reason = status.reason or status.phase or "Unknown"
    if any(c.type == "PodScheduled" and c.reason == "SchedulingGated" for c in status.conditions):
        reason = "SchedulingGated"
    total = len(pod.spec.containers)
    ready = 0
    restarts = 0
    last_restart: datetime | None = None

    initializing = False
    init_count = len(pod.spec.init_containers)
    for index, cs in enumerate(status.init_container_statuses):
        restarts += cs.restart_count
        last_restart = _later(last_restart, cs.last_state)
        state = cs.state or r.ContainerState()
        if state.terminated is not None and state.terminated.exit_code == 0:
            continue
        if state.terminated is not None:
            reason = _terminated_reason(state.terminated, "Init:")
        elif state.waiting is not None and state.waiting.reason and state.waiting.reason != "PodInitializing":
            reason = "Init:" + state.waiting.reason
        else:
            reason = f"Init:{index}/{init_count}"
        initializing = True
        break

    if not initializing or _initialized(pod):
        restarts = 0
        last_restart = None
        has_running = False
        for cs in reversed(status.container_statuses):
            restarts += cs.restart_count
            last_restart = _later(last_restart, cs.last_state)
            state = cs.state or r.ContainerState()
            if state.waiting is not None and state.waiting.reason:
                reason = state.waiting.reason
            elif state.terminated is not None:
                reason = _terminated_reason(state.terminated)
            elif cs.ready and state.running is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if is_ready(pod) else "NotReady"

    if pod.metadata.deletion_timestamp is not None:
        if status.reason == "NodeLost":
            reason = "Unknown"
        elif status.phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return PodStatusLine(_intern(f"{ready}/{total}"), reason, restarts, last_restart)


def _later(current: datetime | None, last_state: r.ContainerState | None) -> datetime | None:
    term = last_state.terminated if last_state else None
    if term is None or term.finished_at is None:
        return current
    return term.finished_at if current is None or term.finished_at > current else current


@dataclass_compatible
class PodRow(msgspec.Struct, frozen=True, gc=False):
    """One line of the pod list: every column already a string, plus sort keys and filter text.

    A Struct (built and compared in C, one per watch event; ``gc=False``: 10k of them are never
    walked by the collector); ``dataclasses.replace`` still works on it.
    """

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    uid: str
    namespace: str
    name: str
    ready: str
    status: str
    restarts: str
    age: str
    node: str
    severity: str
    restart_count: int
    created: float
    labels: tuple[tuple[str, str], ...]
    search_text: str


def restarts_text(line: PodStatusLine, now: datetime) -> str:
    """RESTARTS as kubectl prints it: ``5 (2m ago)`` when the last termination time is known."""
    if line.restarts and line.last_restart is not None:
        return f"{line.restarts} ({since(line.last_restart, now)} ago)"
    return _intern(str(line.restarts))


_intern = sys.intern
_label_tuples: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}


def _labels(labels: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    """The sorted label pairs, one shared tuple per distinct set (the pods of a workload share it)."""
    if not labels:
        return ()
    pairs = tuple(sorted(labels.items()))
    shared = _label_tuples.get(pairs)
    if shared is not None:
        return shared
    if len(_label_tuples) >= 16384:
        _label_tuples.clear()  # rows keep theirs; this only forgets what to share next
    _label_tuples[pairs] = pairs
    return pairs


def pod_row(pod: r.Pod, now: datetime, severity: str = "info", line: PodStatusLine | None = None,
            was: CachedRow | None = None) -> PodRow:
    """The pod list row of one pod at time ``now`` with its diagnosis verdict.

    ``was``: the row of an earlier version of this pod, whose label and search texts are taken when
    what they are made from did not change (a watch event mostly changes the status only).
    """
    meta = pod.metadata
    line = line or pod_status(pod)
    node = pod.spec.node_name or "<none>"
    created = meta.creation_timestamp
    if was is not None and was.pod.metadata.labels is meta.labels:  # shared by resources.compact
        labels = was.row.labels
    else:
        labels = _labels(meta.labels)
    search = None
    age = None
    if was is not None:
        old = was.row
        if old.status == line.status and old.node == node and old.name == meta.name:
            search = old.search_text
        if was.holds(created, now):
            age = old.age
    return PodRow(
        uid=meta.uid or f"{meta.namespace}/{meta.name}",
        namespace=meta.namespace,
        name=meta.name,
        ready=line.ready,
        status=line.status,
        restarts=restarts_text(line, now),
        age=age or _intern(since(created, now)),
        node=node,
        severity=severity,
        restart_count=line.restarts,
        created=created.timestamp() if created else 0.0,
        labels=labels,
        search_text=search or f"{meta.namespace}/{meta.name} {line.status} {node}".lower(),
    )


def same_row(old: r.Pod, new: r.Pod) -> bool:
    """Whether two versions of a pod give the same row (only annotations or resourceVersion moved)."""
    if old is new:
        return True
    if old.status != new.status or old.spec != new.spec:  # status first: it is what usually moved
        return False
    a, b = old.metadata, new.metadata
    return (
        a.name == b.name and a.namespace == b.namespace and a.uid == b.uid and a.labels == b.labels
        and a.creation_timestamp == b.creation_timestamp and a.deletion_timestamp == b.deletion_timestamp
    )


_UNSET: Any = datetime.min
"""``CachedRow.expires`` not given: work it out (None means never, so it cannot mark this)."""
_NO_ROW = PodRow("", "", "", "", "", "", "", "", "", 0, 0.0, (), "")


class CachedRow(msgspec.Struct, gc=False):
    """A pod's row with what it was made from, and when its AGE or RESTARTS text next changes.

    ``CachedRow(pod, now, severity)`` works out the rest (``row`` given: its pod's ``last_restart``
    too). Never changed once handed out (``at`` gives a new one), so rows can be shared between
    threads. It keeps the one time the row's texts are made from besides the record's creation,
    not the whole status line (10k of those would be ~0.5 MB).
    """

    pod: r.Pod
    made: datetime
    severity: str
    row: PodRow = _NO_ROW
    last_restart: datetime | None = None
    expires: datetime | None = _UNSET

    def __post_init__(self) -> None:
        if self.row is _NO_ROW:
            line = pod_status(self.pod)
            self.row = pod_row(self.pod, self.made, self.severity, line)
            self.last_restart = line.last_restart
        if self.expires is _UNSET:
            self.expires = _expires(self.pod, self.line, self.made)

    @property
    def line(self) -> PodStatusLine:
        """READY, STATUS, RESTARTS and the last restart time the row was made from."""
        row = self.row
        return PodStatusLine(row.ready, row.status, row.restart_count, self.last_restart)

    def holds(self, created: datetime | None, now: datetime, last_restart: Any = _UNSET) -> bool:
        """Whether the texts timed from ``created`` (and ``last_restart``) read at ``now`` as they did.

        Until ``expires`` none of the AGE or RESTARTS texts made at ``made`` changes (``_expires``).
        """
        if now < self.made or (self.expires is not None and now >= self.expires):
            return False
        was = self.pod.metadata.creation_timestamp
        if created is not was and created != was:
            return False
        return last_restart is _UNSET or last_restart == self.last_restart

    def remade(self, pod: r.Pod, now: datetime, severity: str) -> CachedRow:
        """The row of a newer record of this pod (texts whose inputs did not change are kept)."""
        line = pod_status(pod)
        row = pod_row(pod, now, severity, line, self)
        if row == self.row:
            row = self.row
        # the same moments, not yet past the next change: the texts turn over when they did
        same = bool(line.restarts) == bool(self.row.restart_count) and self.holds(
            pod.metadata.creation_timestamp, now, line.last_restart
        )
        return CachedRow(pod, now, severity, row, line.last_restart, self.expires if same else _UNSET)

    def at(self, pod: r.Pod, now: datetime, severity: str) -> CachedRow:
        """The row for this record, verdict and time: this one, or one made again (ages only if it can)."""
        if severity != self.severity or self.made > now or not same_row(self.pod, pod):
            return CachedRow(pod, now, severity)
        if self.expires is None or now < self.expires:
            if pod is self.pod:
                return self
            return CachedRow(pod, self.made, severity, self.row, self.last_restart, self.expires)
        row = replace_row(
            self.row, age=since(pod.metadata.creation_timestamp, now), restarts=restarts_text(self.line, now)
        )
        return CachedRow(pod, now, severity, row, self.last_restart)


def _expires(pod: r.Pod, line: PodStatusLine, now: datetime) -> datetime | None:
    times = [since_changes(pod.metadata.creation_timestamp, now)]
    if line.restarts and line.last_restart is not None:
        times.append(since_changes(line.last_restart, now))
    known = [t for t in times if t is not None]
    return min(known) if known else None


_memo: dict[str, CachedRow] = {}
_memo_lock = threading.Lock()


def pod_rows(pods: Iterable[r.Pod], now: datetime, verdicts: Mapping[str, str]) -> Sequence[PodRow]:
    """Rows for every pod; ``verdicts`` maps uid -> severity ("info" when absent).

    Memoized on the records of the previous call (a feed calls this once per snapshot, and records
    of unchanged pods are the same objects): a row is rebuilt only when its pod, verdict or age
    text changed. ``SnapshotPipeline`` does the same in proportion to the change alone, and its
    verdicts hand over the rows it made for these very pods and time (``rows_for``).
    """
    made = getattr(verdicts, "rows_for", None)
    if made is not None:
        rows: Sequence[PodRow] | None = made(pods, now)
        if rows is not None:
            return rows
    with _memo_lock:
        previous = dict(_memo)
    memo: dict[str, CachedRow] = {}
    out: list[PodRow] = []
    for pod in pods:
        meta = pod.metadata
        key = meta.uid or f"{meta.namespace}/{meta.name}"
        severity = verdicts.get(meta.uid, "info")
        cached = previous.get(key)
        cached = CachedRow(pod, now, severity) if cached is None else cached.at(pod, now, severity)
        memo[key] = cached
        out.append(cached.row)
    with _memo_lock:
        _memo.clear()
        _memo.update(memo)
    return tuple(out)


SORT_KEYS = ("severity", "name", "status", "restarts", "age", "node")
"""Columns the pod list can be sorted by."""


# The first sort key per column; every order then falls back to namespace, name so it is stable.
_PRIMARY: dict[str, Callable[[PodRow], Any]] = {
    "severity": lambda row: SEVERITY_RANK.get(row.severity, 3),
    "status": lambda row: row.status,
    "restarts": lambda row: -row.restart_count,
    # Youngest first, as "what changed recently" is what a troubleshooter looks for.
    "age": lambda row: -row.created,
    "node": lambda row: row.node,
}


def sort_rows(rows: Iterable[PodRow], key: str, reverse: bool = False) -> list[PodRow]:
    """Rows in display order; ties broken by namespace then name so the order is stable."""
    primary = _PRIMARY.get(key)
    if primary is None:
        return sorted(rows, key=lambda row: (row.namespace, row.name), reverse=reverse)
    return sorted(rows, key=lambda row: (primary(row), row.namespace, row.name), reverse=reverse)
