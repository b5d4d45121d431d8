"""Why a pod is not scheduled: parse the scheduler's message into classes, and check its claims.

'0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
2 Insufficient cpu. preemption: ...' means 'not enough cpu': a control-plane taint is expected (those
nodes never take workloads), so it only counts when nothing else blocks the pod.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit, plural
from ktui.diagnosis.rules.events import event_line
from ktui.diagnosis.shell import describe
from ktui.resources import Event, PersistentVolumeClaim, Pod

_SPLIT = re.compile(r",\s*(?=\d+\s)")
_TAINT = re.compile(r"taint \{([^}]*)\}")
_EXPECTED_TAINTS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_NOT_READY_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_PRIORITY = [
    "pvc_unbound",
    "node_not_ready",
    "unschedulable_node_selector",
    "unschedulable_pod_affinity",
    "unschedulable_taint",
    "unschedulable_insufficient_resources",
    "unschedulable",
]


@dataclass(slots=True)
class Reason:
    """One clause of the scheduler's message: how many nodes, what, and its class."""

    count: int
    text: str
    category: str
    expected: bool = False


def parse_reasons(message: str) -> list[Reason]:
    """Split '0/3 nodes are available: A, B.' into classified clauses (preemption advice dropped)."""
    text = re.split(r"\.?\s*preemption:", message, maxsplit=1)[0]
    m = re.search(r"nodes are available:\s*(.*)", text, re.S)
    body = (m.group(1) if m else text).strip().rstrip(".")
    out: list[Reason] = []
    for part in _SPLIT.split(body):
        part = part.strip().rstrip(".")
        if not part:
            continue
        mm = re.match(r"(\d+)\s+(.*)", part, re.S)
        count, clause = (int(mm.group(1)), mm.group(2)) if mm else (0, part)
        out.append(_classify(count, clause.strip()))
    return out


def _classify(count: int, clause: str) -> Reason:
    low = clause.lower()
    if "insufficient" in low or "too many pods" in low or "exceed max volume count" in low:
        return Reason(count, clause, "unschedulable_insufficient_resources")
    if "persistentvolumeclaim" in low or "persistent volumes to bind" in low or "unbound" in low:
        return Reason(count, clause, "pvc_unbound")
    if "taint" in low:
        t = _TAINT.search(clause)
        key = t.group(1).split(":")[0].strip() if t else ""
        if key in _NOT_READY_TAINTS:
            return Reason(count, clause, "node_not_ready")
        return Reason(count, clause, "unschedulable_taint", expected=key in _EXPECTED_TAINTS)
    if "were unschedulable" in low:
        return Reason(count, clause, "unschedulable_taint")
    if "node affinity/selector" in low or "node selector" in low or "didn't match node affinity" in low:
        return Reason(count, clause, "unschedulable_node_selector")
    if "affinity" in low or "topology spread" in low:
        return Reason(count, clause, "unschedulable_pod_affinity")
    if "not ready" in low or "unreachable" in low:
        return Reason(count, clause, "node_not_ready")
    return Reason(count, clause, "unschedulable")


def _nodes_text(message: str) -> str:
    text = re.split(r"\.?\s*preemption:", message, maxsplit=1)[0].strip().rstrip(".")
    return text.replace(" nodes are available: ", " nodes available: ")


def pod_requests(pod: Pod, names: list[str]) -> str:
    """'cpu 32, memory 64Gi' (summed over containers; a single value is shown as written)."""
    parts: list[str] = []
    for res in names:
        found = [(c.resources.requests or {}).get(res) for c in pod.spec.containers if c.resources]
        values = [v for v in found if v]
        if values:
            parts.append(f"{res} {values[0] if len(values) == 1 else '+'.join(values)}")
    return ", ".join(parts) or "none set"


def _selector_text(pod: Pod) -> str:
    sel = pod.spec.node_selector or {}
    if sel:
        return "nodeSelector " + ",".join(f"{k}={v}" for k, v in sorted(sel.items()))
    return "the pod's node affinity"


def unschedulable_hit(ix: Index, pod: Pod, message: str, evidence: list[str]) -> Hit:
    """Classify the scheduler's message; the biggest real (non-expected) clause is the cause."""
    reasons = parse_reasons(message)
    real = [r for r in reasons if not r.expected] or reasons
    groups: dict[str, int] = {}
    for r in real:
        groups[r.category] = groups.get(r.category, 0) + max(r.count, 1)
    nodes = _nodes_text(message)
    if not groups:
        return Hit("unschedulable", {"why": message.strip() or "no reason given"}, evidence)
    category = max(groups, key=lambda c: (groups[c], -_PRIORITY.index(c)))
    chosen = [r for r in real if r.category == category]
    if category == "unschedulable_insufficient_resources":
        names: list[str] = []
        for r in chosen:
            m = re.search(r"Insufficient (\S+)", r.text)
            names.append(
                m.group(1) if m else ("pods" if "too many pods" in r.text.lower() else "volume slots")
            )
        names = list(dict.fromkeys(names))
        return Hit(
            category,
            {"resources": " and ".join(names), "requests": pod_requests(pod, names), "nodes": nodes},
            evidence,
        )
    if category == "unschedulable_node_selector":
        return Hit(category, {"selector": _selector_text(pod), "nodes": nodes}, evidence)
    if category == "unschedulable_taint":
        matches = [_TAINT.search(r.text) for r in chosen]
        taints = [
            m.group(0)[len("taint ") :] if m is not None else "node.kubernetes.io/unschedulable (cordoned)"
            for m in matches
        ]
        return Hit(category, {"taint": ", ".join(dict.fromkeys(taints)), "nodes": nodes}, evidence)
    if category == "unschedulable_pod_affinity":
        return Hit(category, {"rule": "; ".join(r.text for r in chosen), "nodes": nodes}, evidence)
    if category == "node_not_ready":
        return Hit(category, {"node": "every candidate node", "why": nodes}, evidence)
    if category == "pvc_unbound":
        hit = pvc_hit(ix, pod, scheduled=False, scheduler_says=True)
        if hit is not None:
            hit.evidence = evidence + hit.evidence
            return hit
        return Hit(category, {"claim": "of the pod", "claim_name": "", "why": chosen[0].text}, evidence)
    return Hit("unschedulable", {"why": "; ".join(r.text for r in chosen)}, evidence)


def _storage_class(ix: Index, pvc: PersistentVolumeClaim) -> tuple[str, str | None]:
    """(class name, binding mode or None when the class is unknown)."""
    name = pvc.spec.storage_class_name
    if name is None:
        defaults = [
            s
            for s in ix.storage_classes.values()
            if (s.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"
        ]
        if not defaults:
            return "", None
        name = defaults[0].metadata.name
    sc = ix.storage_classes.get(name)
    return name, (sc.volume_binding_mode or "Immediate") if sc else None


def claim_problem(ix: Index, pvc: PersistentVolumeClaim, pod_scheduled: bool) -> tuple[str, list[str]] | None:
    """Why a Pending claim blocks its pod, with evidence; None for a claim that only waits for the pod.

    A WaitForFirstConsumer claim stays Pending until its pod is scheduled: while the pod is
    unschedulable for another reason the claim is a decoy, not the cause.
    """
    if pvc.status.phase == "Bound":
        return None
    events = ix.events_of(pvc)
    lines = [event_line(e, ix.now) for e in events if e.type == "Warning"][:3]
    sc_name, mode = _storage_class(ix, pvc)
    if not sc_name and not pvc.spec.volume_name:
        if ix.known("StorageClass"):
            return "no storageClassName and no default StorageClass, and no PersistentVolume matches", lines
        return "it is not bound and names no StorageClass", lines
    if sc_name and mode is None and ix.known("StorageClass"):
        return f"StorageClass {sc_name} does not exist", lines
    if mode == "WaitForFirstConsumer" and not pod_scheduled and not lines:
        return None
    failed = [e for e in events if e.reason in ("ProvisioningFailed", "FailedBinding")]
    if failed:
        message = " ".join((failed[0].message or "").split())[:160]
        return f"provisioning with StorageClass {sc_name or '?'} fails: {message}", lines
    if mode == "WaitForFirstConsumer" and not pod_scheduled:
        return None
    return f"not bound (StorageClass {sc_name or 'none'}{', ' + mode if mode else ''})", lines


def pvc_hit(ix: Index, pod: Pod, *, scheduled: bool, scheduler_says: bool = False) -> Hit | None:
    """The first claim of the pod that blocks it (missing, or Pending for a real reason)."""
    ns = pod.metadata.namespace
    for vol in pod.spec.volumes:
        src = vol.persistent_volume_claim
        if src is None:
            continue
        claim = src.claim_name
        pvc = ix.pvcs.get((ns, claim))
        cmds = [describe("persistentvolumeclaim", ns, claim)]
        if pvc is None:
            if ix.known("PersistentVolumeClaim"):
                return Hit(
                    "pvc_unbound", {"claim": claim, "claim_name": claim, "why": "it does not exist"}, [], cmds
                )
            continue
        problem = claim_problem(ix, pvc, scheduled or scheduler_says)
        if problem is not None:
            why, lines = problem
            return Hit(
                "pvc_unbound",
                {
                    "claim": claim,
                    "claim_name": claim,
                    "why": why,
                    "storage_class": pvc.spec.storage_class_name or "",
                },
                [f"claim {claim}: {pvc.status.phase or 'Pending'}", *lines],
                cmds,
            )
    return None


def scheduling_hit(ix: Index, pod: Pod, events: list[Event]) -> Hit | None:
    """The cause that keeps an unscheduled pod Pending, from its condition, events and claims."""
    cond = next((c for c in pod.status.conditions if c.type == "PodScheduled"), None)
    failed = [e for e in events if e.reason == "FailedScheduling"]
    evidence = [event_line(e, ix.now) for e in failed[:2]]
    if cond is not None and cond.reason == "SchedulingGated":
        return Hit(
            "pod_pending",
            {"state": "Pending", "age": "?", "why": f": {cond.message or 'scheduling gates set'}"},
            [f"condition PodScheduled=False SchedulingGated: {cond.message or ''}"],
        )
    message = (cond.message if cond is not None and cond.status == "False" and cond.message else "") or (
        failed[0].message if failed else ""
    )
    if message:
        if cond is not None and cond.message and not evidence:
            evidence = [f"condition PodScheduled=False {cond.reason or ''}: {cond.message}"]
        hit = unschedulable_hit(ix, pod, message, evidence)
        if hit.category != "pvc_unbound":
            claim = pvc_hit(ix, pod, scheduled=False)
            if claim is not None:  # a claim that is broken on its own (missing, bad class): say so too
                hit.detail = f"Also: claim {claim.params['claim']}: {claim.params['why']}."
        hit.commands.append(describe("pod", pod.metadata.namespace, pod.metadata.name))
        if hit.category.startswith("unschedulable"):
            hit.commands.append("kubectl describe nodes")
        return hit
    claim = pvc_hit(ix, pod, scheduled=False)
    if claim is not None:
        return claim
    return None


def node_count_text(n: int) -> str:
    """'1 node' / '3 nodes'."""
    return plural(n, "node")
