"""Pod list rows: kubectl's READY/STATUS/RESTARTS (``printPod``), ages, severity and sort orders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ktui import resources as r
from ktui.model.durations import since

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


@dataclass(frozen=True, slots=True)
class PodStatusLine:
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
    return PodStatusLine(f"{ready}/{total}", reason, restarts, last_restart)


def _later(current: datetime | None, last_state: r.ContainerState | None) -> datetime | None:
    term = last_state.terminated if last_state else None
    if term is None or term.finished_at is None:
        return current
    return term.finished_at if current is None or term.finished_at > current else current


@dataclass(frozen=True, slots=True)
class PodRow:
    """One line of the pod list: every column already a string, plus sort keys and filter text."""

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
    return str(line.restarts)


def pod_row(pod: r.Pod, now: datetime, severity: str = "info") -> PodRow:
    """The pod list row of one pod at time ``now`` with its diagnosis verdict."""
    meta = pod.metadata
    line = pod_status(pod)
    node = pod.spec.node_name or "<none>"
    created = meta.creation_timestamp
    labels = tuple(sorted((meta.labels or {}).items()))
    return PodRow(
        uid=meta.uid or f"{meta.namespace}/{meta.name}",
        namespace=meta.namespace,
        name=meta.name,
        ready=line.ready,
        status=line.status,
        restarts=restarts_text(line, now),
        age=since(created, now),
        node=node,
        severity=severity,
        restart_count=line.restarts,
        created=created.timestamp() if created else 0.0,
        labels=labels,
        search_text=f"{meta.namespace}/{meta.name} {line.status} {node}".lower(),
    )


def pod_rows(pods: Iterable[r.Pod], now: datetime, verdicts: Mapping[str, str]) -> tuple[PodRow, ...]:
    """Rows for every pod; ``verdicts`` maps uid -> severity ("info" when absent)."""
    return tuple(pod_row(p, now, verdicts.get(p.metadata.uid, "info")) for p in pods)


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
