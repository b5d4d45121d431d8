"""Snapshot -> the rows the TUI shows: pods (kubectl's columns and status string) and scoped events.

Pure functions of records and an injected clock, so every string is testable on fixtures. The pod
status string follows kubectl's ``printPod`` (k8s.io/kubernetes pkg/printers/internalversion):
Init:..., waiting/terminated reasons, Signal:N / ExitCode:N, Terminating; durations follow
``duration.HumanDuration`` (``45s``, ``5m10s``, ``3h``, ``2d3h``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ktui import resources as r

SEVERITY_RANK = {"error": 0, "unknown": 1, "warning": 2, "info": 3}
"""Sort order of verdicts: worst first."""


def human_duration(seconds: float) -> str:
    """kubectl's short age (``duration.HumanDuration``): 45s, 5m10s, 12m, 3h5m, 2d3h, 1y20d."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        rest = secs % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(moment: datetime | None, now: datetime) -> str:
    """Age of a timestamp, ``<unknown>`` when absent (kubectl's translateTimestampSince)."""
    if moment is None:
        return "<unknown>"
    return human_duration((now - moment).total_seconds())


# --------------------------------------------------------------------------- pods


def _terminated_reason(term: r.ContainerStateTerminated, prefix: str = "") -> str:
    if term.reason:
        return prefix + term.reason
    if term.signal:
        return f"{prefix}Signal:{term.signal}"
    return f"{prefix}ExitCode:{term.exit_code}"


def _has_ready_condition(pod: r.Pod) -> bool:
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
            reason = "Running" if _has_ready_condition(pod) else "NotReady"

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


def sort_rows(rows: Iterable[PodRow], key: str, reverse: bool = False) -> list[PodRow]:
    """Rows in display order; ties broken by namespace then name so the order is stable."""
    if key == "severity":

        def sort_key(row: PodRow) -> tuple:  # type: ignore[type-arg]
            return (SEVERITY_RANK.get(row.severity, 3), row.namespace, row.name)
    elif key == "status":

        def sort_key(row: PodRow) -> tuple:  # type: ignore[type-arg]
            return (row.status, row.namespace, row.name)
    elif key == "restarts":

        def sort_key(row: PodRow) -> tuple:  # type: ignore[type-arg]
            return (-row.restart_count, row.namespace, row.name)
    elif key == "age":
        # Youngest first, as "what changed recently" is what a troubleshooter looks for.
        def sort_key(row: PodRow) -> tuple:  # type: ignore[type-arg]
            return (-row.created, row.namespace, row.name)
    elif key == "node":

        def sort_key(row: PodRow) -> tuple:  # type: ignore[type-arg]
            return (row.node, row.namespace, row.name)
    else:

        def sort_key(row: PodRow) -> tuple:  # type: ignore[type-arg]
            return (row.namespace, row.name)

    return sorted(rows, key=sort_key, reverse=reverse)


# --------------------------------------------------------------------------- filtering


class SelectorError(ValueError):
    """A label selector that cannot be parsed."""


def parse_selector(text: str) -> list[tuple[str, str, frozenset[str]]]:
    """An equality/set-based label selector -> requirements ``(key, op, values)``.

    Supports ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k`` and ``!k``.
    """
    requirements: list[tuple[str, str, frozenset[str]]] = []
    for term in _split_terms(text):
        term = term.strip()
        if not term:
            continue
        words = term.split(None, 1)
        if len(words) == 2 and words[1].lstrip().startswith(("in ", "in(", "notin ", "notin(")):
            op, _, rest = words[1].strip().partition("(")
            values = rest.rstrip().rstrip(")")
            requirements.append((words[0], op.strip(), frozenset(v.strip() for v in values.split(","))))
        elif "!=" in term:
            key, value = term.split("!=", 1)
            requirements.append((key.strip(), "!=", frozenset([value.strip()])))
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            requirements.append((key.strip(), "=", frozenset([value.strip()])))
        elif term.startswith("!"):
            requirements.append((term[1:].strip(), "!", frozenset()))
        else:
            requirements.append((term, "exists", frozenset()))
        if not requirements[-1][0] or any(c in requirements[-1][0] for c in " ()"):
            raise SelectorError(f"invalid label selector term {term!r}")
    return requirements


def _split_terms(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return terms


def matches_selector(labels: Mapping[str, str], requirements: list[tuple[str, str, frozenset[str]]]) -> bool:
    """Whether labels satisfy every requirement of a parsed selector."""
    for key, op, values in requirements:
        present = key in labels
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
        if op in ("=", "in") and (not present or labels[key] not in values):
            return False
        if op in ("!=", "notin") and present and labels[key] in values:
            return False
    return True


@dataclass(frozen=True, slots=True)
class RowFilter:
    """What the pod list shows: free text (substring of ns/name, status, node), a selector, problems only."""

    text: str = ""
    selector: str = ""
    problems_only: bool = False

    @classmethod
    def parse(cls, query: str, problems_only: bool = False) -> RowFilter:
        """A filter-bar query: ``-l app=web``, or any ``=``/``!=`` term is a label selector, else text."""
        query = query.strip()
        if query.startswith("-l"):
            return cls(selector=query[2:].strip(), problems_only=problems_only)
        if "=" in query or query.startswith("!"):
            return cls(selector=query, problems_only=problems_only)
        return cls(text=query.lower(), problems_only=problems_only)

    def apply(self, rows: Iterable[PodRow]) -> list[PodRow]:
        """The rows that pass; SelectorError for a bad selector."""
        requirements = parse_selector(self.selector) if self.selector else []
        text = self.text
        out = []
        for row in rows:
            if self.problems_only and row.severity == "info":
                continue
            if text and text not in row.search_text:
                continue
            if requirements and not matches_selector(dict(row.labels), requirements):
                continue
            out.append(row)
        return out


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event about an object (or its owners), ready to print."""

    type: str
    reason: str
    age: str
    message: str
    source: str
    object: str
    last_seen: float


def owner_chain(snapshot: r.ClusterSnapshot, obj: r.AnyObject) -> list[r.AnyObject]:
    """The object and its controllers upwards (Pod -> ReplicaSet -> Deployment), by uid."""
    by_uid: dict[str, r.AnyObject] = {}
    for group in (
        snapshot.replica_sets,
        snapshot.deployments,
        snapshot.stateful_sets,
        snapshot.daemon_sets,
        snapshot.jobs,
    ):
        for owner in group:
            by_uid[owner.metadata.uid] = owner
    chain: list[r.AnyObject] = [obj]
    seen = {obj.metadata.uid}
    current = obj
    while True:
        refs = current.metadata.owner_references
        nxt = next((by_uid[o.uid] for o in refs if o.uid in by_uid and o.uid not in seen), None)
        if nxt is None:
            return chain
        chain.append(nxt)
        seen.add(nxt.metadata.uid)
        current = nxt


def event_interval(event: r.Event, now: datetime) -> str:
    """kubectl describe's age column: ``2m`` or ``2m (x4 over 10m)``."""
    if event.series is not None and event.series.count:
        last = event.series.last_observed_time or event.event_time
        return f"{since(last, now)} (x{event.series.count} over {since(event.event_time, now)})"
    last = event.last_timestamp or event.event_time or event.metadata.creation_timestamp
    first = event.first_timestamp or event.event_time or last
    count = event.count or 1
    if count > 1:
        return f"{since(last, now)} (x{count} over {since(first, now)})"
    return since(last, now)


def _last_seen(event: r.Event) -> float:
    moment = (
        (event.series.last_observed_time if event.series else None)
        or event.last_timestamp
        or event.event_time
        or event.metadata.creation_timestamp
    )
    return moment.timestamp() if moment else 0.0


def scoped_events(snapshot: r.ClusterSnapshot, obj: r.AnyObject) -> list[EventRow]:
    """Events about the object and its owner chain, matched by uid; warnings first, newest first."""
    chain = owner_chain(snapshot, obj)
    names = {o.metadata.uid: f"{o.kind}/{o.metadata.name}" for o in chain}
    rows = []
    for event in snapshot.events:
        uid = event.involved_object.uid
        if uid not in names:
            continue
        source = (event.source.component if event.source else None) or event.reporting_component or ""
        rows.append(
            EventRow(
                type=event.type or "Normal",
                reason=event.reason or "",
                age=event_interval(event, snapshot.now),
                message=(event.message or "").strip(),
                source=source,
                object=names[uid] if uid != obj.metadata.uid else "",
                last_seen=_last_seen(event),
            )
        )
    rows.sort(key=lambda e: (e.type != "Warning", -e.last_seen))
    return rows


# --------------------------------------------------------------------------- logs


def container_names(pod: r.Pod) -> list[str]:
    """Containers whose logs can be read: app containers first, then init containers."""
    default = (pod.metadata.annotations or {}).get("kubectl.kubernetes.io/default-container")
    names = [c.name for c in pod.spec.containers]
    if default in names:
        names.remove(default)
        names.insert(0, default)
    return names + [c.name for c in pod.spec.init_containers]


def why_no_logs(pod: r.Pod, container: str, previous: bool, server_error: str = "") -> str:
    """Why a container shows no log lines, in the user's terms (its state, else the server's words)."""
    statuses = {cs.name: cs for cs in (*pod.status.container_statuses, *pod.status.init_container_statuses)}
    cs = statuses.get(container)
    if not pod.spec.node_name:
        scheduled = next((c for c in pod.status.conditions if c.type == "PodScheduled"), None)
        detail = f": {scheduled.message}" if scheduled is not None and scheduled.message else ""
        return f"No logs: the pod is not scheduled to a node yet, so no container has started{detail}"
    state = cs.state if cs is not None else None
    if previous:
        last = cs.last_state.terminated if cs is not None and cs.last_state else None
        if last is None:
            return (
                f'No previous logs: container "{container}" has not restarted '
                f"(no terminated run to show)." + (f" Server: {server_error}" if server_error else "")
            )
    if state is not None and state.waiting is not None and not previous:
        reason = state.waiting.reason or "waiting"
        message = f": {state.waiting.message}" if state.waiting.message else ""
        restarts = cs.restart_count if cs is not None else 0
        hint = " Press p for the previous run's logs." if restarts else ""
        return f'No logs: container "{container}" is waiting to start ({reason}){message}.{hint}'
    if cs is None:
        return f'No logs: container "{container}" has no status yet.' + (
            f" Server: {server_error}" if server_error else ""
        )
    if server_error:
        return f"No logs: {server_error}"
    return f'Container "{container}" has written no log lines' + (
        " in its previous run." if previous else "."
    )
