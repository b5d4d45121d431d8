"""diagnose(): a ClusterSnapshot in, a Diagnosis out; pure, deterministic; and judging one object.

``Judge`` runs the rules for one object at a time (pods first, since Services, Ingresses and
workloads roll their causes up), with the probe results about it. ``diagnose`` is one full pass of
the incremental ``DiagnosisEngine`` (``ktui.diagnosis.incremental``), so the one-shot CLI and the
live view share one code path and give the same answer for the same snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ktui.diagnosis.catalog import CATALOG, CLAIM_UNBOUND, render
from ktui.diagnosis.clock import Clock
from ktui.diagnosis.findings import Diagnosis, Finding, subject_key
from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit, findings_for
from ktui.diagnosis.rules.events import age
from ktui.diagnosis.rules.ingresses import ingress_hits
from ktui.diagnosis.rules.nodes import node_hits
from ktui.diagnosis.rules.pods import fast_healthy, healthy_finding, pod_hits
from ktui.diagnosis.rules.scheduling import claim_problem
from ktui.diagnosis.rules.services import service_hits
from ktui.diagnosis.rules.workloads import controller_hits, job_hits
from ktui.diagnosis.shell import DESCRIBE_SUBJECT
from ktui.resources import ClusterSnapshot, PersistentVolumeClaim, Pod, ProbeResult, Service, ref_of

FIELDS: tuple[str, ...] = (
    "pods", "nodes", "services", "ingresses", "deployments", "replica_sets", "stateful_sets",
    "daemon_sets", "jobs", "persistent_volume_claims",
)
"""The snapshot fields judged, in judging order (a later kind may read an earlier one's findings)."""


def diagnose(snapshot: ClusterSnapshot) -> Diagnosis:
    """Judge every object of the snapshot: root cause first per object, problems first overall."""
    from ktui.diagnosis.incremental import DiagnosisEngine

    return DiagnosisEngine().update(snapshot)


def probes_by_subject(probes: Iterable[ProbeResult]) -> dict[str, tuple[ProbeResult, ...]]:
    """Probe results grouped by the subject key of their target, in order."""
    out: dict[str, list[ProbeResult]] = defaultdict(list)
    for p in probes:
        out[subject_key(p.target)].append(p)
    return {k: tuple(v) for k, v in out.items()}


_NONE: frozenset[str] = frozenset()


_LOADING = CATALOG["pods_loading"]


def loading_finding(obj: Any) -> Finding:
    """What an object that reads pods is while their list streams in: the finding its hit gives,
    made directly (every workload and Service of a big cluster gets one per page)."""
    return Finding(ref_of(obj), "pods_loading", _LOADING.code, _LOADING.severity, _LOADING.summary,
                   describes=True)


class Judge:
    """Runs the rules for one object; notes until when the answer holds (``expires``)."""

    def __init__(
        self,
        ix: Index,
        probes: dict[str, tuple[ProbeResult, ...]],
        findings_of: Callable[[str], tuple[Finding, ...]],
    ) -> None:
        self.ix = ix
        self.probes = probes
        self.findings_of = findings_of
        self.expires: datetime | None = None
        self.quotes: frozenset[str] = _NONE
        """Store keys of the pods whose findings the last object judged repeats (roll-ups)."""
        self.fast = False
        """Whether the last pod judged was Running and Ready (judged from its record alone)."""
        self._consumers: dict[str, dict[str, list[Pod]]] = {}
        # Every object but pods and nodes reads pods: while their list streams in, each is said to
        # wait for it (a page re-judges none of them; the list's end judges them all, once).
        self._pods_loading = ix.listing("Pod")

    def pod_root(self, pod: Pod) -> Finding | None:
        """The root-cause finding of a pod already judged."""
        # its uid is its subject key (a workload asks for each of its pods: no Ref made per ask)
        found = self.findings_of(pod.metadata.uid or subject_key(ref_of(pod)))
        return found[0] if found else None

    def service_root(self, svc: Service) -> tuple[Finding, ...]:
        """The findings of a Service already judged."""
        return self.findings_of(subject_key(ref_of(svc)))

    def judge(self, field: str, obj: Any) -> tuple[Finding, ...]:
        """The findings about one object of snapshot field ``field``, root cause first."""
        ix = self.ix
        clock = ix.now
        assert isinstance(clock, Clock)
        clock.expires = None
        self.fast = False
        if field == "pods":
            self.fast = fast_healthy(obj)
            if self.fast and not self.probes:  # (no probe results to add to its evidence)
                self.quotes = _NONE
                self.expires = None  # (a healthy pod's words hold no time)
                return (healthy_finding(obj),)
            hits = pod_hits(ix, obj, self.fast)
        elif field == "nodes":
            hits = node_hits(ix, obj)
        elif self._pods_loading:
            if not self.probes:
                self.quotes = _NONE
                self.expires = None
                return (loading_finding(obj),)
            hits = [Hit("pods_loading", {}, [], [DESCRIBE_SUBJECT])]
        elif field == "services":
            hits = service_hits(ix, obj, self.pod_root)
        elif field == "ingresses":
            hits = ingress_hits(ix, obj, self.service_root, self.pod_root)
        elif field == "jobs":
            hits = job_hits(ix, obj, self.pod_root)
        elif field == "persistent_volume_claims":
            hits = pvc_hits(ix, obj, self.consumers(obj))
        else:
            hits = controller_hits(ix, obj, self.pod_root)
        if field == "pods":
            self.quotes = _NONE  # (a pod repeats no other pod's findings)
        else:
            quoted = [h.quotes for h in hits if h.quotes]
            self.quotes = frozenset(quoted) if quoted else _NONE
        found = findings_for(obj, self._with_probes(obj, hits))
        self.expires = clock.expires
        return found

    def consumers(self, pvc: PersistentVolumeClaim) -> list[Pod]:
        """The pods that mount a claim, in snapshot order (one scan per namespace per pass).

        None before the whole pod list is read (``Index.known``): no rule reads a partial one.
        """
        if not self.ix.known("Pod"):
            return []
        ns = pvc.metadata.namespace
        by_claim = self._consumers.get(ns)
        if by_claim is None:
            by_claim = self._consumers[ns] = defaultdict(list)
            for pod in self.ix.pods_in(ns):
                for vol in pod.spec.volumes:
                    if vol.persistent_volume_claim is not None:
                        by_claim[vol.persistent_volume_claim.claim_name].append(pod)
        return by_claim.get(pvc.metadata.name, [])

    def _with_probes(self, obj: Any, hits: list[Hit]) -> list[Hit]:
        """A probe's result is evidence; a failed probe on an object that looked fine is a finding."""
        if not self.probes:
            return hits  # no probe run yet (the usual case): no key to make
        results = self.probes.get(subject_key(ref_of(obj)))
        if not results:
            return hits
        for pr in results:
            line = f"probe {'ok' if pr.ok else 'FAILED'}: {pr.tested or pr.hop} {pr.summary}".strip()
            if pr.detail and not pr.ok:
                line += f" ({pr.detail})"
            if pr.ok or hits[0].category not in ("healthy", "pod_starting", "workload_progressing"):
                hits[0].evidence.append(line)
                continue
            hits.insert(
                0,
                Hit(
                    "probe_failed",
                    {"why": pr.summary or pr.detail or "no answer"},
                    [line],
                    list(hits[0].commands),
                ),
            )
        return hits


def pvc_hits(ix: Index, pvc: PersistentVolumeClaim, consumers: list[Pod]) -> list[Hit]:
    """A claim: bound, lost, waiting for its first consumer (fine), or unbound for a reason."""
    name = pvc.metadata.name
    cmds = [DESCRIBE_SUBJECT]
    phase = pvc.status.phase or "Pending"
    if phase == "Bound":
        return [Hit("healthy", {"state": f"Bound to {pvc.spec.volume_name or '?'}"}, [], cmds)]
    if phase == "Lost":
        return [Hit("pvc_lost", {"volume": pvc.spec.volume_name or "?"}, [], cmds)]
    scheduled = any(p.spec.node_name for p in consumers)
    problem = claim_problem(ix, pvc, scheduled)
    if problem is None:
        users = ", ".join(p.metadata.name for p in consumers[:3]) or "no pod uses it yet"
        return [
            Hit(
                "pvc_waiting",
                {"why": f"waits for its first consumer to be scheduled (WaitForFirstConsumer; {users})"},
                [],
                cmds,
            )
        ]
    why, lines = problem
    since = age(ix.now, pvc.metadata.creation_timestamp)
    params = {"claim": name, "claim_name": name, "why": why}
    return [
        Hit(
            "pvc_unbound",
            params,
            [f"claim {name}: {phase} for {since}", *lines],
            cmds,
            summary=render(CLAIM_UNBOUND, params),
        )
    ]
