"""The Diagnosis API: ordering, per-object lookups, counts, RBAC-limited reads, probe results, speed."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import msgspec

from ktui.diagnosis import Diagnosis, Severity, diagnose
from ktui.resources import (
    ClusterSnapshot,
    Condition,
    Container,
    ContainerState,
    ContainerStateRunning,
    ContainerStatus,
    Event,
    ObjectMeta,
    ObjectReference,
    Pod,
    PodSpec,
    PodStatus,
    ProbeResult,
    Ref,
    Service,
    ServicePort,
    ServiceSpec,
)

from .helpers import SEED, root, snapshot_of

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_problems_first_pods_then_services_then_ingresses(seed: Diagnosis) -> None:
    kinds = [f.subject.kind for f in seed.problems()]
    assert kinds == sorted(kinds, key=["Pod", "Service", "Ingress"].index)
    severities = [f.severity for f in seed.findings]
    assert severities.index(Severity.INFO) > max(i for i, s in enumerate(severities) if s == Severity.ERROR)


def test_every_object_has_a_verdict_and_counts_add_up(seed: Diagnosis) -> None:
    subjects = seed.subjects()
    assert all(seed.for_uid(s.uid) for s in subjects)
    counts = seed.counts()
    assert sum(counts.values()) == len(subjects)
    assert counts[Severity.ERROR] == 6 and counts[Severity.INFO] == 4
    assert seed.verdict("no-such-uid") == Severity.INFO and seed.for_uid("no-such-uid") == ()


def test_to_dict_has_every_field(seed: Diagnosis) -> None:
    d = seed.problems()[0].to_dict()
    assert set(d) == {
        "subject",
        "category",
        "code",
        "severity",
        "summary",
        "detail",
        "evidence",
        "next_steps",
        "commands",
    }
    assert set(d["subject"]) == {"kind", "namespace", "name", "uid"}


def test_deterministic(seed: Diagnosis) -> None:
    from ktui.dumps import load_dumps

    assert diagnose(load_dumps(SEED)).findings == seed.findings


def test_forbidden_reads_give_cannot_verify_not_missing() -> None:
    snap = snapshot_of("network.yaml")
    snap = msgspec.structs.replace(
        snap,
        secrets=(),
        synced=snap.synced - {"Secret"},
        forbidden={
            "list secrets": 'secrets is forbidden: User "dev" cannot list resource "secrets" in API '
            'group "" in the namespace "net"'
        },
    )
    d = diagnose(snap)
    cats = [f.category for f in d.for_uid("e0000001-0000-4000-8000-000000000023")]
    assert "ingress_tls_secret_missing" not in cats
    f = next(f for f in d.for_uid("e0000001-0000-4000-8000-000000000023") if f.category == "cannot_verify")
    assert f.severity == Severity.UNKNOWN
    assert "TLS Secret shop-tls" in f.summary and "forbidden" in f.summary
    assert any("kubectl auth can-i list secrets -n net" in s for s in f.next_steps)


def test_forbidden_pods_make_a_service_unverifiable() -> None:
    snap = snapshot_of("network.yaml")
    snap = msgspec.structs.replace(
        snap, pods=(), synced=snap.synced - {"Pod"}, forbidden={"list pods": "pods is forbidden"}
    )
    f = root(diagnose(snap), "Service", "orphan")
    assert f.category == "cannot_verify" and "pods" in f.summary


def test_unsynced_kind_is_not_called_missing() -> None:
    snap = snapshot_of("network.yaml")
    snap = msgspec.structs.replace(snap, secrets=(), synced=snap.synced - {"Secret"})
    cats = [f.category for f in diagnose(snap).for_uid("e0000001-0000-4000-8000-000000000023")]
    assert "ingress_tls_secret_missing" not in cats


def _pod(name: str, i: int, ready: bool = True) -> Pod:
    return Pod(
        metadata=ObjectMeta(
            name=name, namespace=f"ns{i % 20}", uid=f"uid-{name}", labels={"app": f"a{i % 500}"}
        ),
        spec=PodSpec(node_name="n1", containers=(Container(name="c", image="nginx"),)),
        status=PodStatus(
            phase="Running",
            conditions=(msgspec.convert({"type": "Ready", "status": "True"}, type=Condition),),
            container_statuses=(
                ContainerStatus(
                    name="c", ready=ready, state=ContainerState(running=ContainerStateRunning(started_at=NOW))
                ),
            ),
        ),
    )


def test_failed_probe_on_a_healthy_looking_object_is_a_finding() -> None:
    pod = _pod("web", 0)
    ref = Ref(kind="Pod", namespace="ns0", name="web", uid="uid-web")
    bad = ProbeResult(
        target=ref, ok=False, tested="pod web:8080", summary="connection refused on :8080", hop="pod"
    )
    f = root(diagnose(ClusterSnapshot(now=NOW, pods=(pod,), probes=(bad,))), "Pod", "web")
    assert f.category == "probe_failed" and "connection refused on :8080" in f.summary
    ok = ProbeResult(target=ref, ok=True, tested="pod web:80", summary="HTTP 200 in 3 ms", hop="pod")
    f = root(diagnose(ClusterSnapshot(now=NOW, pods=(pod,), probes=(ok,))), "Pod", "web")
    assert f.category == "healthy" and any("probe ok" in e for e in f.evidence)


def test_ten_thousand_pods_diagnose_quickly() -> None:
    pods = tuple(_pod(f"p{i}", i, ready=i % 50 != 0) for i in range(10_000))
    svcs = tuple(
        Service(
            metadata=ObjectMeta(name=f"s{i}", namespace=f"ns{i % 20}", uid=f"s{i}"),
            spec=ServiceSpec(selector={"app": f"a{i % 500}"}, ports=(ServicePort(port=80),)),
        )
        for i in range(1000)
    )
    events = tuple(
        Event(
            metadata=ObjectMeta(name=f"e{i}", namespace=f"ns{i % 20}"),
            reason="Pulled",
            involved_object=ObjectReference(
                kind="Pod", namespace=f"ns{i % 20}", name=f"p{i}", uid=f"uid-p{i}"
            ),
            event_time=NOW,
        )
        for i in range(10_000)
    )
    snap = ClusterSnapshot(now=NOW, pods=pods, services=svcs, events=events)
    diagnose(snap)  # warm up imports and regex compilation
    start = time.perf_counter()
    d = diagnose(snap)
    elapsed = time.perf_counter() - start
    assert len(d.subjects()) == 11_000
    # the goal is < 200 ms (see the report / bench); the bound here only catches an O(n^2) slip
    assert elapsed < 2.0, f"{elapsed * 1000:.0f} ms"
