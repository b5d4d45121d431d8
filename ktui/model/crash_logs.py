"""Which containers' logs are evidence of a crash, and how to read them: one rule for the CLI and the TUI.

A container is worth a log read when its status shows it failed: its last run (or its only one)
terminated with a non-zero exit code or OOMKilled, or it waits in CrashLoopBackOff /
RunContainerError / Error. The read is the previous run's log while a newer container exists (or is
being restarted), the current one when the container itself is the one that ended. ``ktui diagnose``
reads a bounded number of them once; the TUI keeps ``CrashIndex`` up to date from the feed's change
sets, so finding the crashing containers of 10k pods costs what changed, not a scan per snapshot.
Pure: no Textual, no kubernetes client.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ktui import resources as r

LOG_TAIL = 20
"""Log lines read per crashed container (the diagnosis quotes the last ten)."""

CRASH_WAITING = frozenset({"CrashLoopBackOff", "RunContainerError", "Error"})
"""Waiting reasons that mean the container ran (or tried to) and failed."""


@dataclass(frozen=True, slots=True)
class LogRequest:
    """One log read: which container of which pod, and whether of its previous run."""

    namespace: str
    pod: str
    uid: str
    container: str
    previous: bool
    restarts: int

    @property
    def key(self) -> str:
        """The ``ClusterSnapshot.logs`` key: ``namespace/pod/container``."""
        return f"{self.namespace}/{self.pod}/{self.container}"

    @property
    def cache_key(self) -> tuple[str, str, int]:
        """(pod uid, container, restart count): the same run's log is never read twice."""
        return (self.uid or f"{self.namespace}/{self.pod}", self.container, self.restarts)


def _failed(t: r.ContainerStateTerminated | None) -> bool:
    return t is not None and (t.exit_code != 0 or t.reason == "OOMKilled")


def crash_request(pod: r.Pod, status: r.ContainerStatus) -> LogRequest | None:
    """The log read that shows why this container failed, or None when it did not (or never ran)."""
    state, last = status.state, status.last_state
    now_ended = state.terminated if state is not None else None
    waiting = state.waiting.reason if state is not None and state.waiting is not None else None
    last_ended = last.terminated if last is not None else None
    if _failed(now_ended):
        previous = False  # the container that ended is still the current one (restartPolicy Never/OnFailure)
    elif _failed(last_ended):
        previous = True
    elif waiting in CRASH_WAITING and (last_ended is not None or status.restart_count):
        previous = True  # a loop of runs that exit 0, or a start that fails after earlier runs
    else:
        return None  # never ran (no previous run to read), or ran and exited 0 without looping
    meta = pod.metadata
    return LogRequest(meta.namespace, meta.name, meta.uid, status.name, previous, status.restart_count)


def crash_requests(pod: r.Pod) -> tuple[LogRequest, ...]:
    """The log reads of every failed container of a pod, init containers first."""
    st = pod.status
    out = []
    for status in (*st.init_container_statuses, *st.container_statuses):
        request = crash_request(pod, status)
        if request is not None:
            out.append(request)
    return tuple(out)


def select_requests(pods: Iterable[r.Pod], limit: int) -> list[LogRequest]:
    """The first ``limit`` log reads over these pods (a broken namespace must not mean 500 reads)."""
    out: list[LogRequest] = []
    for pod in pods:
        for request in crash_requests(pod):
            if len(out) >= limit:
                return out
            out.append(request)
    return out


def log_lines(text: str, tail: int = LOG_TAIL) -> tuple[str, ...]:
    """The last ``tail`` non-blank lines of a log read, as the diagnosis takes them."""
    return tuple(line for line in text.splitlines() if line.strip())[-tail:]


def pod_key(pod: r.Pod) -> str:
    """The key pods are indexed by: the uid, or namespace/name for records without one."""
    meta = pod.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


class CrashIndex:
    """Pod key -> the log reads of its failed containers, for every pod of the snapshots seen.

    ``update(snapshot)`` applies the snapshot's change set when it continues the one seen last,
    and scans every pod otherwise (the first snapshot, a relist, one made elsewhere). Not
    thread-safe: one owner feeds it.
    """

    def __init__(self) -> None:
        self._by_pod: dict[str, tuple[LogRequest, ...]] = {}
        self._version: int | None = None
        self.full_scans = 0
        """How many snapshots were scanned whole (tests check the incremental path is taken)."""

    def update(self, snap: r.ClusterSnapshot) -> bool:
        """Take a snapshot; True when the set of log reads changed."""
        before = self._by_pod
        pods = self._pod_changes(snap)
        self._version = snap.version
        if pods is None:
            self.full_scans += 1
            fresh: dict[str, tuple[LogRequest, ...]] = {}
            for pod in snap.pods:
                requests = crash_requests(pod)
                if requests:
                    fresh[pod_key(pod)] = requests
            self._by_pod = fresh
            return fresh != before
        changed = False
        for key, rec in pods.items():
            requests = crash_requests(rec) if rec is not None else ()
            if requests:
                if before.get(key) != requests:
                    before[key] = requests
                    changed = True
            elif before.pop(key, None) is not None:
                changed = True
        return changed

    def _pod_changes(self, snap: r.ClusterSnapshot) -> Mapping[str, r.Pod | None] | None:
        changes = snap.changes
        if changes is None or self._version is None or snap.changes_since != self._version:
            return None
        if snap.changes_since < 0:
            return None
        return changes.get("Pod", {})  # None after a relist: a full scan

    def of(self, key: str) -> tuple[LogRequest, ...]:
        """The log reads of one pod (by uid), empty when none of its containers failed."""
        return self._by_pod.get(key, ())

    def __iter__(self) -> Iterator[LogRequest]:
        for requests in self._by_pod.values():
            yield from requests

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_pod.values())
