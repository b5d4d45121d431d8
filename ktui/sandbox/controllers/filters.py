"""The scheduler's filter plugins as pure functions, with kube-scheduler's reason strings.

Each filter answers for one pod and one node: ``None`` when the node fits, else the reasons and whether
preemption could help (Unschedulable) or not (UnschedulableAndUnresolvable). Plugin order and texts
follow k8s.io/kubernetes pkg/scheduler/framework/plugins (v1.32), so the ``FailedScheduling`` histogram
reads like a real cluster's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ktui.sandbox.controllers.objects import amount, whole
from ktui.sandbox.selectors import labels_match, selector_from_match

UNSCHEDULABLE = "node(s) were unschedulable"
NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
AFFINITY = "node(s) didn't match pod affinity rules"
EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"


@dataclass
class Placed:
    """What the scheduler remembers of a pod bound to a node."""

    namespace: str
    labels: dict[str, str]
    requests: dict[str, int]
    host_ports: set[tuple[str, int]]
    anti_affinity: list[dict[str, Any]]


@dataclass
class NodeState:
    """A node and the pods bound to it."""

    node: dict[str, Any]
    pods: dict[str, Placed] = field(default_factory=dict)  # by pod uid

    @property
    def labels(self) -> dict[str, str]:
        """The node's labels."""
        return self.node["metadata"].get("labels") or {}


@dataclass(frozen=True)
class Verdict:
    """Why a node does not fit: reasons, and whether preemption could not help."""

    reasons: tuple[str, ...]
    unresolvable: bool


def tolerates(tol: dict[str, Any], taint: dict[str, Any]) -> bool:
    """core/v1 ``Toleration.ToleratesTaint``."""
    if tol.get("effect") and tol["effect"] != taint.get("effect"):
        return False
    if tol.get("operator") == "Exists":
        return not tol.get("key") or tol["key"] == taint.get("key")
    return tol.get("key") == taint.get("key") and (tol.get("value") or "") == (taint.get("value") or "")


def untolerated_taint(
    taints: list[dict[str, Any]], tolerations: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The first NoSchedule/NoExecute taint no toleration covers."""
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _expression(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def node_affinity_matches(pod: dict[str, Any], node: dict[str, Any]) -> bool:
    """nodeSelector and required node affinity (terms ORed, expressions ANDed)."""
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    for term in terms:
        exprs, field_exprs = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not exprs and not field_exprs:
            continue  # an empty term matches nothing
        if all(_expression(e, labels) for e in exprs) and all(_expression(e, fields) for e in field_exprs):
            return True
    return False


def host_ports(spec: dict[str, Any]) -> set[tuple[str, int]]:
    """(protocol, hostPort) pairs the pod claims."""
    out = set()
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                out.add((p.get("protocol", "TCP"), int(p["hostPort"])))
    return out


def affinity_terms(spec: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Required pod (anti-)affinity terms; ``kind`` is podAffinity or podAntiAffinity."""
    return list(
        (((spec.get("affinity") or {}).get(kind) or {}).get("requiredDuringSchedulingIgnoredDuringExecution"))
        or []
    )


def _term_matches(term: dict[str, Any], owner_ns: str, namespace: str, labels: dict[str, str]) -> bool:
    namespaces = term.get("namespaces") or ([] if term.get("namespaceSelector") is not None else [owner_ns])
    if namespaces and namespace not in namespaces:
        return False
    selector = term.get("labelSelector")
    if selector is None:
        return False
    return labels_match(selector_from_match(selector), labels)


def _domain_pods(nodes: list[NodeState], topology_key: str, value: str | None) -> list[Placed]:
    if value is None:
        return []
    return [p for n in nodes if n.labels.get(topology_key) == value for p in n.pods.values()]


def fit_resources(pod_requests: dict[str, int], state: NodeState) -> list[str]:
    """NodeResourcesFit reasons: ``Too many pods``, ``Insufficient cpu``, ``Insufficient memory``..."""
    allocatable = (state.node.get("status") or {}).get("allocatable") or {}
    reasons = []
    if len(state.pods) + 1 > whole(allocatable.get("pods", "110")):
        reasons.append("Too many pods")
    used: dict[str, int] = {}
    for placed in state.pods.values():
        for res, value in placed.requests.items():
            used[res] = used.get(res, 0) + value
    base = ("cpu", "memory", "ephemeral-storage")
    ordered = [*base, *sorted(r for r in pod_requests if r not in base)]
    for res in ordered:
        want = pod_requests.get(res, 0)
        if want <= 0:
            continue
        have = amount(res, allocatable.get(res, "0"))
        if used.get(res, 0) + want > have:
            reasons.append(f"Insufficient {res}")
    return reasons


def filter_node(
    pod: dict[str, Any], requests: dict[str, int], state: NodeState, all_nodes: list[NodeState]
) -> Verdict | None:
    """Run the filter plugins in kube-scheduler's order; the first failing plugin decides."""
    spec = pod.get("spec") or {}
    node = state.node
    tolerations = spec.get("tolerations") or []
    node_spec = node.get("spec") or {}
    if node_spec.get("unschedulable") and not any(
        tolerates(t, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}) for t in tolerations
    ):
        return Verdict((UNSCHEDULABLE,), True)
    taint = untolerated_taint(node_spec.get("taints") or [], tolerations)
    if taint is not None:
        return Verdict(
            (f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}",), True
        )
    if not node_affinity_matches(pod, node):
        return Verdict((NODE_AFFINITY,), True)
    wanted_ports = host_ports(spec)
    if wanted_ports and any(wanted_ports & p.host_ports for p in state.pods.values()):
        return Verdict((NODE_PORTS,), False)
    reasons = fit_resources(requests, state)
    if reasons:
        return Verdict(tuple(reasons), False)
    return _inter_pod(pod, state, all_nodes)


def _inter_pod(pod: dict[str, Any], state: NodeState, all_nodes: list[NodeState]) -> Verdict | None:
    """InterPodAffinity Filter: the pod's affinity, its anti-affinity, then existing pods' anti-affinity."""
    spec = pod.get("spec") or {}
    ns = pod["metadata"].get("namespace") or "default"
    labels = pod["metadata"].get("labels") or {}
    for term in affinity_terms(spec, "podAffinity"):
        key = term.get("topologyKey", "")
        if any(
            _term_matches(term, ns, p.namespace, p.labels)
            for p in _domain_pods(all_nodes, key, state.labels.get(key))
        ):
            continue
        # the first pod of a group may land anywhere if it matches its own term and nothing else does
        anywhere = any(
            _term_matches(term, ns, p.namespace, p.labels) for n in all_nodes for p in n.pods.values()
        )
        if not anywhere and _term_matches(term, ns, ns, labels) and state.labels.get(key) is not None:
            continue
        return Verdict((AFFINITY,), True)
    for term in affinity_terms(spec, "podAntiAffinity"):
        key = term.get("topologyKey", "")
        if any(
            _term_matches(term, ns, p.namespace, p.labels)
            for p in _domain_pods(all_nodes, key, state.labels.get(key))
        ):
            return Verdict((ANTI_AFFINITY,), False)
    # existing pods' anti-affinity against the incoming pod
    for other in all_nodes:
        for placed in other.pods.values():
            for term in placed.anti_affinity:
                key = term.get("topologyKey", "")
                if (
                    other.labels.get(key) is not None
                    and other.labels.get(key) == state.labels.get(key)
                    and _term_matches(term, placed.namespace, ns, labels)
                ):
                    return Verdict((EXISTING_ANTI_AFFINITY,), False)
    return None


def fit_error(total: int, verdicts: dict[str, Verdict], prefilter: str | None, pod: dict[str, Any]) -> str:
    """The FitError text: histogram of reasons, then the preemption plugin's own histogram."""
    message = f"0/{total} nodes are available:"
    if prefilter:
        message += f" {prefilter}."
    else:
        counts: dict[str, int] = {}
        for verdict in verdicts.values():
            for reason in verdict.reasons:
                counts[reason] = counts.get(reason, 0) + 1
        histogram = sorted(f"{n} {reason}" for reason, n in counts.items())
        if histogram:
            message += " " + ", ".join(histogram) + "."
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return message + " preemption: not eligible due to preemptionPolicy=Never."
    # every pod has the default priority, so no node ever offers lower-priority victims
    post: dict[str, int] = {}
    for verdict in verdicts.values():
        reason = NOT_HELPFUL if prefilter or verdict.unresolvable else NO_VICTIMS
        post[reason] = post.get(reason, 0) + 1
    if prefilter:
        post = {NOT_HELPFUL: total}
    histogram = sorted(f"{n} {reason}" for reason, n in post.items())
    return message + f" preemption: 0/{total} nodes are available: " + ", ".join(histogram) + "."
