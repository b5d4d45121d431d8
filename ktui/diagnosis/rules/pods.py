"""A pod's verdict: the root cause first (node, eviction, scheduling, init, containers, mounts)."""

from __future__ import annotations

import re
from datetime import timedelta

from ktui.diagnosis.catalog import CATALOG
from ktui.diagnosis.findings import Finding
from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit, shared_text
from ktui.diagnosis.rules.config import mount_hit, static_reference_hit
from ktui.diagnosis.rules.containers import container_hit, runtime_why
from ktui.diagnosis.rules.events import age, event_line
from ktui.diagnosis.rules.nodes import not_ready_reason
from ktui.diagnosis.rules.scheduling import pvc_hit, scheduling_hit
from ktui.diagnosis.shell import DESCRIBE_SUBJECT, describe, q
from ktui.resources import ContainerStatus, Event, Pod, ref_of

_HEALTHY = CATALOG["healthy"]

STARTUP_GRACE = timedelta(minutes=2)
"""How long a pod may sit in Pending/ContainerCreating before ktui calls it slow."""
TERMINATION_GRACE = timedelta(minutes=2)
"""How long past its deletion deadline a terminating pod may linger."""


def _statuses(statuses: tuple[ContainerStatus, ...]) -> dict[str, ContainerStatus]:
    return {s.name: s for s in statuses}


def is_ready(pod: Pod) -> bool:
    """Whether the pod's Ready condition is True."""
    # A loop, not any() over a generator: read ~4 times per pod event in a watch storm.
    for c in pod.status.conditions:  # noqa: SIM110
        if c.type == "Ready" and c.status == "True":
            return True
    return False


def fast_healthy(pod: Pod) -> bool:
    """Running, Ready, every container ready with few restarts: the common case, decided cheaply."""
    st = pod.status
    if st.phase != "Running" or pod.metadata.deletion_timestamp is not None or not is_ready(pod):
        return False
    for s in st.container_statuses:  # noqa: SIM110 - (see is_ready)
        if not s.ready or s.restart_count >= 2:
            return False
    return True


def ready_text(pod: Pod) -> str:
    """Ready containers of all, as kubectl's READY column: ``1/2``."""
    total = len(pod.spec.containers) or len(pod.status.container_statuses)
    ready = sum(1 for s in pod.status.container_statuses if s.ready)
    return f"{ready}/{total}"


def healthy_finding(pod: Pod) -> Finding:
    """The finding of a pod ``fast_healthy`` passes: what ``findings_for(pod, pod_hits(...))`` gives,
    made directly (most pods of a list are healthy: no Hit, parameters or template to fill)."""
    return Finding(
        ref_of(pod), "healthy", _HEALTHY.code, _HEALTHY.severity,
        shared_text(f"Running, {ready_text(pod)} ready"), describes=True,
    )


def pod_hits(ix: Index, pod: Pod, fast: bool | None = None) -> list[Hit]:
    """Every finding about one pod, the root cause first (``fast``: ``fast_healthy(pod)`` if known)."""
    meta = pod.metadata
    cmds = [DESCRIBE_SUBJECT]
    if fast_healthy(pod) if fast is None else fast:
        return [Hit("healthy", {"state": f"Running, {ready_text(pod)} ready"}, [], cmds)]
    events = ix.events_of(pod)
    hits = _problems(ix, pod, events)
    for h in hits:
        h.commands.extend(c for c in cmds if c not in h.commands)
        if not any(c.startswith("kubectl get events") for c in h.commands) and events:
            h.commands.append(
                f"kubectl get events -n {q(meta.namespace)} "
                f"--field-selector involvedObject.name={q(meta.name)}"
            )
    return hits


def _problems(ix: Index, pod: Pod, events: list[Event]) -> list[Hit]:
    meta, st = pod.metadata, pod.status
    node_name = pod.spec.node_name
    node = ix.nodes.get(node_name) if node_name else None
    if st.phase == "Failed" and st.reason:
        why = " ".join((st.message or st.reason).split())
        return [
            Hit(
                "pod_evicted",
                {"node": node_name or "?", "why": why},
                [f"status: Failed {st.reason}: {why}"] + [event_line(e, ix.now) for e in events[:2]],
            )
        ]
    if meta.deletion_timestamp is not None:
        overdue = ix.now - meta.deletion_timestamp
        if node is not None and not_ready_reason(node):
            return [
                Hit(
                    "node_not_ready",
                    {"node": node_name, "why": not_ready_reason(node)},
                    [f"pod terminating on node {node_name}, which is not ready"],
                )
            ]
        if overdue > TERMINATION_GRACE:
            why = f" on node {node_name}" if node_name else ""
            return [
                Hit(
                    "pod_terminating_stuck",
                    {"age": age(ix.now, meta.deletion_timestamp), "why": why},
                    [f"deletionTimestamp {meta.deletion_timestamp.isoformat()}"],
                )
            ]
        return [Hit("pod_starting", {"state": "Terminating", "age": age(ix.now, meta.creation_timestamp)})]
    if node is not None and st.phase != "Succeeded":
        down = not_ready_reason(node)
        if down is not None:
            return [
                Hit(
                    "node_not_ready",
                    {"node": node_name, "why": down},
                    [f"pod runs on node {node_name}: {down}"],
                    [describe("node", "", node_name or "")],
                )
            ]
    if not node_name and st.phase in (None, "Pending"):
        hit = scheduling_hit(ix, pod, events)
        if hit is not None:
            return [hit]
        return [_waiting(ix, pod, "Pending (not scheduled)", events)]
    hits = _container_hits(ix, pod, events)
    if hits:
        return hits
    if st.phase == "Succeeded":
        return [Hit("healthy", {"state": "Completed"})]
    if st.phase == "Pending" or any(
        s.state and s.state.waiting for s in st.container_statuses + st.init_container_statuses
    ):
        return [_starting(ix, pod, events)]
    if st.phase == "Running" and not is_ready(pod):
        return [_not_ready(ix, pod, events)]
    if st.phase == "Unknown":
        return [
            Hit(
                "node_not_ready",
                {"node": node_name or "?", "why": "pod phase Unknown: its node stopped reporting"},
            )
        ]
    restarts = max((s.restart_count for s in st.container_statuses), default=0)
    state = f"Running, {ready_text(pod)} ready" + (f", {restarts} restarts" if restarts else "")
    return [Hit("healthy", {"state": state})]


def _container_hits(ix: Index, pod: Pod, events: list[Event]) -> list[Hit]:
    """Init containers first (they block the rest), then app containers in spec order."""
    hits: list[Hit] = []
    init = _statuses(pod.status.init_container_statuses)
    for spec in pod.spec.init_containers:
        hit = container_hit(ix, pod, spec, init.get(spec.name), events, True)
        if hit is not None:
            hit.evidence.insert(0, f"init container {spec.name} must succeed before the app containers start")
            return [hit]
    main = _statuses(pod.status.container_statuses)
    for spec in pod.spec.containers:
        hit = container_hit(ix, pod, spec, main.get(spec.name), events, False)
        if hit is not None:
            hits.append(hit)
    return hits


def _starting(ix: Index, pod: Pod, events: list[Event]) -> Hit:
    """A scheduled pod whose containers are not running yet: mounts, sandbox, claims, or just slow."""
    mount = mount_hit(ix, pod, events)
    if mount is not None:
        return mount
    claim = pvc_hit(ix, pod, scheduled=True)
    if claim is not None:
        return claim
    sandbox = [e for e in events if e.reason in ("FailedCreatePodSandBox", "FailedKillPod", "FailedSync")]
    if sandbox:
        return Hit(
            "container_runtime_error",
            {"container": "(pod sandbox)", "why": runtime_why(sandbox[0].message or "")},
            [event_line(e, ix.now) for e in sandbox[:2]],
        )
    static = static_reference_hit(ix, pod, None)
    if static is not None:
        return static
    waiting = next(
        (
            s.state.waiting.reason
            for s in pod.status.init_container_statuses + pod.status.container_statuses
            if s.state and s.state.waiting and s.state.waiting.reason
        ),
        None,
    )
    return _waiting(ix, pod, waiting or "Pending", events)


def _waiting(ix: Index, pod: Pod, state: str, events: list[Event]) -> Hit:
    since = pod.status.start_time or pod.metadata.creation_timestamp
    old = since is not None and ix.now - since > STARTUP_GRACE
    warn = [e for e in events if e.type == "Warning"]
    lines = [event_line(e, ix.now) for e in warn[:3]]
    if not old:
        return Hit("pod_starting", {"state": state, "age": age(ix.now, since)}, lines)
    why = f": {' '.join((warn[0].message or '').split())[:160]}" if warn else " with no warning events"
    if pod.spec.node_name:
        return Hit("container_creating_slow", {"age": age(ix.now, since), "why": f"{state}{why}"}, lines)
    return Hit("pod_pending", {"state": state, "age": age(ix.now, since), "why": why}, lines)


def _not_ready(ix: Index, pod: Pod, events: list[Event]) -> Hit:
    """Running, containers fine one by one, yet the pod is not Ready (readiness gates, a late status)."""
    gate = next((c for c in pod.status.conditions if c.type == "Ready" and c.status != "True"), None)
    since = (gate.last_transition_time if gate else None) or pod.status.start_time
    if since is not None and ix.now - since < STARTUP_GRACE:
        return Hit(
            "pod_starting",
            {"state": "Running, not ready yet", "age": age(ix.now, pod.metadata.creation_timestamp)},
        )
    names = re.search(r"\[([^\]]+)\]", gate.message or "") if gate else None
    why = f": {gate.reason}: {gate.message}" if gate and gate.message else " (Ready condition is not True)"
    return Hit(
        "pod_not_ready",
        {"container": names.group(1) if names else "(pod)", "why": why},
        [event_line(e, ix.now) for e in events if e.type == "Warning"][:2],
    )
