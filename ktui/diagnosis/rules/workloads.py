"""Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs: their own faults, or their pods'."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from ktui.diagnosis.catalog import ROLLUP, render
from ktui.diagnosis.findings import Finding, Severity
from ktui.diagnosis.index import Index, store_key
from ktui.diagnosis.rules.base import Hit
from ktui.diagnosis.rules.events import event_line
from ktui.diagnosis.shell import DESCRIBE_SUBJECT, describe, q
from ktui.resources import Pod

PodRoot = Callable[[Pod], Finding | None]

_QUOTA = re.compile(r"exceeded quota: ([^,]+), requested: (.*?), used: (.*?), limited: ([^\n]*)")
_FAILED_QUOTA = re.compile(r"failed quota: ([^:]+): (.*)")


def _creation_hit(ix: Index, obj: Any) -> Hit | None:
    """A controller that cannot create pods (FailedCreate events / ReplicaFailure): quota or other."""
    events = [e for e in ix.events_of(obj) if e.reason == "FailedCreate"]
    cond = next((c for c in obj.status.conditions if c.type == "ReplicaFailure" and c.status == "True"), None)
    message = (events[0].message if events else None) or (cond.message if cond else None)
    if not message:
        return None
    evidence = [event_line(e, ix.now) for e in events[:2]] or [f"condition ReplicaFailure: {message}"]
    m = _QUOTA.search(message)
    if m:
        why = f"is exhausted: requested {m.group(2)}, used {m.group(3)}, limited {m.group(4).strip()}"
        return Hit(
            "quota_exceeded",
            {"quota": m.group(1).strip(), "why": why},
            evidence,
            [describe("resourcequota", obj.metadata.namespace, m.group(1).strip())],
        )
    f = _FAILED_QUOTA.search(message)
    if f:
        return Hit(
            "quota_exceeded",
            {"quota": f.group(1).strip(), "why": f"requires {f.group(2).strip()}"},
            evidence,
            [describe("resourcequota", obj.metadata.namespace, f.group(1).strip())],
        )
    text = " ".join(message.split())
    sa = re.search(r'serviceaccount "([^"]+)" not found', text)
    if sa:
        return Hit(
            "config_reference_missing",
            {"container": "(pod template)", "what": f'ServiceAccount "{sa.group(1)}"'},
            evidence,
            [f"kubectl get serviceaccounts -n {q(obj.metadata.namespace)}"],
        )
    return Hit("pod_creation_failed", {"why": text[:220]}, evidence)


def _rollup(pods: list[Pod], pod_root: PodRoot, available_ok: bool) -> Hit | None:
    """The most common pod root cause, restated for the controller."""
    failing = [(p, f) for p in pods if (f := pod_root(p)) is not None and f.is_problem]
    if not failing:
        return None
    top = Counter(f.category for _, f in failing).most_common(1)[0][0]
    pod, f = next((p, f) for p, f in failing if f.category == top)
    summary = render(
        ROLLUP, {"count": len(failing), "total": len(pods), "pod": pod.metadata.name, "summary": f.summary}
    )
    severity = Severity.WARNING if available_ok and f.severity == Severity.ERROR else f.severity
    return Hit(
        f.category, {}, list(f.evidence), list(f.commands), code=f.code, severity=severity, summary=summary,
        quotes=store_key(pod),
    )


def _status_line(obj: Any, desired: int) -> str:
    s = obj.status
    return (
        f"{obj.kind} {obj.metadata.name}: desired {desired}, "
        f"ready {s.ready_replicas or s.number_ready or 0}, "
        f"available {s.available_replicas or 0}, updated {s.updated_replicas or 0}"
    )


def controller_hits(ix: Index, obj: Any, pod_root: PodRoot) -> list[Hit]:
    """Deployment / ReplicaSet / StatefulSet / DaemonSet: root cause of its pods, or its own."""
    kind, ns, name = obj.kind, obj.metadata.namespace, obj.metadata.name
    cmds = [DESCRIBE_SUBJECT]
    if kind == "Deployment":
        cmds.append(f"kubectl rollout status deployment/{q(name)} -n {q(ns)}")
    children = ix.owned(obj)
    sets = [c for c in children if c.kind == "ReplicaSet"]
    # Pods are rolled up only from the whole list: a partial one (still streaming in) would restate
    # the first pages' failures as the workload's, and change its verdict with every page.
    pods = [c for c in children if c.kind == "Pod"] + [
        p for rs in sets for p in ix.owned(rs) if p.kind == "Pod"
    ] if ix.known("Pod") else []
    st = obj.status
    if kind == "DaemonSet":
        desired = st.desired_number_scheduled or 0
        available = st.number_ready or 0
    else:
        desired = obj.spec.replicas if obj.spec.replicas is not None else 1
        available = st.available_replicas if kind != "StatefulSet" else (st.ready_replicas or 0)
        available = available or 0
    hits: list[Hit] = []
    evidence = [_status_line(obj, desired)]
    rollup = _rollup(pods, pod_root, desired > 0 and available >= desired)
    own = _creation_hit(ix, obj) or next((h for rs in sets if (h := _creation_hit(ix, rs)) is not None), None)
    progress = next((c for c in st.conditions if c.type == "Progressing"), None)
    stuck = (
        progress is not None and progress.status == "False" and progress.reason == "ProgressDeadlineExceeded"
    )
    if stuck and progress is not None:
        evidence.append(f"condition Progressing=False ProgressDeadlineExceeded: {progress.message or ''}")
    if rollup is not None:
        hits.append(rollup)
    if own is not None and (rollup is None or available < desired):
        hits.insert(0 if rollup is None or not pods else len(hits), own)
    if stuck and not hits:
        hits.append(Hit("deployment_rollout_stuck", {"why": progress.message if progress else "no progress"}))
    elif stuck:
        hits.append(
            Hit(
                "deployment_rollout_stuck",
                {
                    "why": f"{progress.message if progress else ''} "
                    f"(cause: {hits[0].summary or hits[0].category})"
                },
            )
        )
    for h in hits:
        h.evidence = evidence + h.evidence
        h.commands = cmds + [c for c in h.commands if c not in cmds]
    if hits:
        return hits
    if desired == 0:
        return [Hit("healthy", {"state": "scaled to zero"}, [], cmds)]
    if available < desired:
        return [
            Hit(
                "workload_progressing",
                {"why": f"{available}/{desired} available, rolling out"},
                evidence,
                cmds,
            )
        ]
    return [Hit("healthy", {"state": f"{available}/{desired} available"}, [], cmds)]


def job_hits(ix: Index, job: Any, pod_root: PodRoot) -> list[Hit]:
    """A Job: its failed pods' cause, then the Job's own failure (BackoffLimitExceeded, deadline)."""
    ns, name = job.metadata.namespace, job.metadata.name
    cmds = [DESCRIBE_SUBJECT, f"kubectl logs job/{q(name)} -n {q(ns)}"]
    pods = [c for c in ix.owned(job) if c.kind == "Pod"] if ix.known("Pod") else []
    hits: list[Hit] = []
    failed = next((c for c in job.status.conditions if c.type == "Failed" and c.status == "True"), None)
    done = any(c.type == "Complete" and c.status == "True" for c in job.status.conditions)
    if not done:
        rollup = _rollup(pods, pod_root, False)
        if rollup is not None:
            hits.append(rollup)
        own = _creation_hit(ix, job)
        if own is not None:
            hits.append(own)
    if failed is not None:
        why = f"{failed.reason or 'Failed'}: {failed.message or ''}".strip()
        hits.append(Hit("job_failed", {"why": why}, [f"condition Failed=True {why}"]))
    for h in hits:
        h.commands = cmds + [c for c in h.commands if c not in cmds]
    if hits:
        return hits
    s = job.status
    state = "completed" if done else f"running ({s.active or 0} active, {s.succeeded or 0} succeeded)"
    return [Hit("healthy", {"state": state}, [], cmds)]
