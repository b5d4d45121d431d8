"""diagnose(): a ClusterSnapshot in, a Diagnosis out; pure, deterministic, one pass per kind."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ktui.diagnosis.catalog import CLAIM_UNBOUND, render
from ktui.diagnosis.findings import Diagnosis, Finding, subject_key
from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit, describe, findings_for
from ktui.diagnosis.rules.events import age
from ktui.diagnosis.rules.ingresses import ingress_hits
from ktui.diagnosis.rules.nodes import node_hits
from ktui.diagnosis.rules.pods import pod_hits
from ktui.diagnosis.rules.scheduling import claim_problem
from ktui.diagnosis.rules.services import service_hits
from ktui.diagnosis.rules.workloads import controller_hits, job_hits
from ktui.resources import ClusterSnapshot, PersistentVolumeClaim, Pod, ProbeResult, Service, ref_of


def diagnose(snapshot: ClusterSnapshot) -> Diagnosis:
    """Judge every object of the snapshot: root cause first per object, problems first overall."""
    return _Run(snapshot).run()


class _Run:
    """One diagnosis pass: pods first, since Services, Ingresses and workloads roll their causes up."""

    def __init__(self, snap: ClusterSnapshot) -> None:
        self.snap = snap
        self.ix = Index(snap)
        self.pods: dict[str, tuple[Finding, ...]] = {}
        self.services: dict[str, tuple[Finding, ...]] = {}
        self.probes: dict[str, list[ProbeResult]] = defaultdict(list)
        for p in snap.probes:
            self.probes[subject_key(p.target)].append(p)

    def pod_root(self, pod: Pod) -> Finding | None:
        found = self.pods.get(subject_key(ref_of(pod)))
        return found[0] if found else None

    def service_root(self, svc: Service) -> tuple[Finding, ...]:
        return self.services.get(subject_key(ref_of(svc)), ())

    def _add(self, obj: Any, hits: list[Hit]) -> tuple[Finding, ...]:
        return findings_for(obj, self._with_probes(obj, hits))

    def _with_probes(self, obj: Any, hits: list[Hit]) -> list[Hit]:
        """A probe's result is evidence; a failed probe on an object that looked fine is a finding."""
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

    def run(self) -> Diagnosis:
        ix, snap = self.ix, self.snap
        groups: list[tuple[Finding, ...]] = []
        for pod in snap.pods:
            found = self._add(pod, pod_hits(ix, pod))
            self.pods[subject_key(found[0].subject)] = found
            groups.append(found)
        for node in snap.nodes:
            groups.append(self._add(node, node_hits(ix, node)))
        for svc in snap.services:
            found = self._add(svc, service_hits(ix, svc, self.pod_root))
            self.services[subject_key(found[0].subject)] = found
            groups.append(found)
        for ing in snap.ingresses:
            groups.append(self._add(ing, ingress_hits(ix, ing, self.service_root, self.pod_root)))
        for kind_list in (snap.deployments, snap.replica_sets, snap.stateful_sets, snap.daemon_sets):
            for obj in kind_list:
                groups.append(self._add(obj, controller_hits(ix, obj, self.pod_root)))
        for job in snap.jobs:
            groups.append(self._add(job, job_hits(ix, job, self.pod_root)))
        consumers = self._claim_consumers()
        for pvc in snap.persistent_volume_claims:
            groups.append(
                self._add(
                    pvc, pvc_hits(ix, pvc, consumers.get((pvc.metadata.namespace, pvc.metadata.name), []))
                )
            )
        return Diagnosis.build(groups)

    def _claim_consumers(self) -> dict[tuple[str, str], list[Pod]]:
        out: dict[tuple[str, str], list[Pod]] = defaultdict(list)
        for pod in self.snap.pods:
            for vol in pod.spec.volumes:
                if vol.persistent_volume_claim is not None:
                    out[(pod.metadata.namespace, vol.persistent_volume_claim.claim_name)].append(pod)
        return out


def pvc_hits(ix: Index, pvc: PersistentVolumeClaim, consumers: list[Pod]) -> list[Hit]:
    """A claim: bound, lost, waiting for its first consumer (fine), or unbound for a reason."""
    ns, name = pvc.metadata.namespace, pvc.metadata.name
    cmds = [describe("persistentvolumeclaim", ns, name)]
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
