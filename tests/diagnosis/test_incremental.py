"""The incremental engine gives exactly what a full pass gives, on random change sequences."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from ktui import resources as r
from ktui.decode import decode_object
from ktui.diagnosis import Diagnosis, diagnose
from ktui.diagnosis.clock import Clock
from ktui.diagnosis.incremental import DiagnosisEngine
from ktui.diagnosis.rules.events import age
from ktui.dumps import load_dumps
from ktui.model.store import ClusterStore

from .helpers import CASES, SEED

STEP = (timedelta(milliseconds=30), timedelta(seconds=1), timedelta(seconds=40), timedelta(minutes=7))


def _with_uid(rec: Any, rnd: random.Random) -> Any:
    if rec.metadata.uid or rec.kind in ("Event",):
        return rec
    uid = str(uuid.UUID(int=rnd.getrandbits(128)))
    return msgspec.structs.replace(rec, metadata=msgspec.structs.replace(rec.metadata, uid=uid))


def _store(rnd: random.Random, listing: Any = ()) -> tuple[ClusterStore, r.ClusterSnapshot]:
    """The seed and every case in a store; the kinds in ``listing`` not yet synced."""
    files = [*SEED, *(str(p) for p in sorted(CASES.iterdir()))]
    base = load_dumps(files)
    store = ClusterStore()
    for kind, field in r.SNAPSHOT_FIELD_BY_KIND.items():
        store.replace(kind, [_with_uid(rec, rnd) for rec in getattr(base, field)], synced=kind not in listing)
    return store, base


def assert_same(got: Diagnosis, want: Diagnosis) -> None:
    """Same findings in the same order, same per-subject answers and counts."""
    assert got.findings == want.findings
    assert set(got._by_subject) == set(want._by_subject)
    for key, group in want._by_subject.items():
        assert got.for_uid(key) == group, key
        assert got.verdict(key) == want.verdict(key)
    assert got.counts() == want.counts()
    assert got.problems() == want.problems()


def _cond(pod: r.Pod, kind: str, status: str) -> r.Pod:
    conds = tuple(
        msgspec.structs.replace(c, status=status) if c.type == kind else c for c in pod.status.conditions
    ) or (r.Condition(type=kind, status=status),)
    return msgspec.structs.replace(pod, status=msgspec.structs.replace(pod.status, conditions=conds))


def _mutate(rnd: random.Random, store: ClusterStore, now: Any) -> None:
    """One random change through the store, as a watch event would make it."""
    fields: dict[str, Any] = {f: tuple(store.records(k)) for k, f in r.SNAPSHOT_FIELD_BY_KIND.items()}
    snap = r.ClusterSnapshot(now=now, **fields)
    op = rnd.choice(
        ["pod", "pod", "pod", "label", "delete", "event", "event", "config", "service", "node", "rbac"]
    )
    if op == "rbac":  # a read becomes forbidden, or allowed again: "cannot verify" findings come and go
        store.set_forbidden("list secrets", rnd.choice([None, 'secrets is forbidden: User "x" cannot list']))
        return
    if op in ("pod", "label", "delete") and snap.pods:
        pod = rnd.choice(snap.pods)
        if op == "delete":
            store.apply("Pod", "DELETED", pod)
            fresh = msgspec.structs.replace(
                pod.metadata, uid=str(uuid.UUID(int=rnd.getrandbits(128))), name=pod.metadata.name + "-x"
            )
            store.apply("Pod", "ADDED", msgspec.structs.replace(pod, metadata=fresh))
            return
        if op == "label":
            labels = dict(pod.metadata.labels or {})
            labels["app"] = rnd.choice(["web", "api", labels.get("app", "x") + "z"])
            if rnd.random() < 0.5:  # a label no selector named yet, or one a Service names later
                labels["tier"] = rnd.choice(["front", "back"])
            meta = msgspec.structs.replace(pod.metadata, labels=labels)
            store.apply("Pod", "MODIFIED", msgspec.structs.replace(pod, metadata=meta))
            return
        choice = rnd.random()
        if choice < 0.4:
            pod = _cond(pod, "Ready", rnd.choice(["True", "False"]))
        elif choice < 0.7 and pod.status.container_statuses:
            cs = pod.status.container_statuses[0]
            cs = msgspec.structs.replace(cs, restart_count=cs.restart_count + rnd.randint(0, 3))
            pod = msgspec.structs.replace(
                pod, status=msgspec.structs.replace(
                    pod.status, container_statuses=(cs, *pod.status.container_statuses[1:])
                )
            )
        else:
            meta = msgspec.structs.replace(pod.metadata, annotations={"n": str(rnd.random())})
            pod = msgspec.structs.replace(pod, metadata=meta)
        store.apply("Pod", "MODIFIED", pod)
    elif op == "event" and snap.events:
        ev = rnd.choice(snap.events)
        if rnd.random() < 0.3:
            store.apply("Event", "DELETED", ev)
            return
        meta = msgspec.structs.replace(
            ev.metadata, name=f"{ev.metadata.name}.{rnd.randint(0, 9)}",
            uid=str(uuid.UUID(int=rnd.getrandbits(128))),
        )
        store.apply("Event", "ADDED", msgspec.structs.replace(
            ev, metadata=meta, count=(ev.count or 1) + 1, last_timestamp=now
        ))
    elif op == "config":
        items = snap.config_maps + snap.secrets
        if items:
            obj = rnd.choice(items)
            store.apply(obj.kind, "DELETED" if rnd.random() < 0.5 else "MODIFIED", obj)
    elif op == "service" and snap.services:
        svc = rnd.choice(snap.services)
        sel = dict(svc.spec.selector or {}) or {"app": "web"}
        sel["app"] = rnd.choice(["web", "api", "nginx", "nope"])
        if rnd.random() < 0.3:  # a key first asked about long after the pods were indexed
            sel["tier"] = rnd.choice(["front", "back"])
        store.apply("Service", "MODIFIED", msgspec.structs.replace(
            svc, spec=msgspec.structs.replace(svc.spec, selector=sel)
        ))
    elif op == "node" and snap.nodes:
        node = rnd.choice(snap.nodes)
        conds = tuple(
            msgspec.structs.replace(c, status=rnd.choice(["True", "Unknown"])) if c.type == "Ready" else c
            for c in node.status.conditions
        )
        store.apply("Node", "MODIFIED", msgspec.structs.replace(
            node, status=msgspec.structs.replace(node.status, conditions=conds)
        ))


def _crash_log(
    rnd: random.Random, snap: r.ClusterSnapshot, logs: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """New crash-log lines for a container (crashing ones most often), or one read forgotten."""
    if logs and rnd.random() < 0.2:
        return {k: v for k, v in logs.items() if k != rnd.choice(sorted(logs))}
    crashing = [p for p in snap.pods if any(cs.restart_count for cs in p.status.container_statuses)]
    pod = rnd.choice(crashing if crashing and rnd.random() < 0.8 else list(snap.pods))
    names = [c.name for c in pod.spec.containers] or ["app"]
    key = f"{pod.metadata.namespace}/{pod.metadata.name}/{rnd.choice(names)}"
    return {**logs, key: (f"panic: run {rnd.randint(0, 3)}", "exit status 2")}


def test_crash_log_lines_rejudge_only_their_pod() -> None:
    rnd = random.Random(7)
    store, base = _store(rnd)
    engine = DiagnosisEngine()
    snap = store.snapshot(now=base.now)
    engine.update(snap)
    full = engine.judged
    pod = next(p for p in snap.pods if any(cs.restart_count for cs in p.status.container_statuses))
    key = f"{pod.metadata.namespace}/{pod.metadata.name}/{pod.spec.containers[0].name}"
    logged = msgspec.structs.replace(snap, logs={key: ("panic: boom",)})
    before = engine.judged
    got = engine.update(logged)
    assert_same(got, diagnose(logged))
    assert any("panic: boom" in line for f in got.for_uid(pod.metadata.uid) for line in f.evidence)
    assert engine.full_passes == 1
    # the pod, and what rolls it up in its namespace (12 of 89 here), not every slow pod and object
    # of the cluster (80 before, each time a crash-log read came back)
    assert pod.metadata.uid in (engine.last_changed or ())
    assert engine.judged - before < full // 4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_matches_full_pass(seed: int) -> None:
    rnd = random.Random(seed)
    store, base = _store(rnd)
    engine = DiagnosisEngine()
    now = base.now
    probes: list[r.ProbeResult] = []
    logs: dict[str, tuple[str, ...]] = {}
    published: list[tuple[Diagnosis, Diagnosis]] = []
    for _ in range(120):
        for _ in range(rnd.randint(0, 4)):
            _mutate(rnd, store, now)
        now = now + rnd.choice(STEP)
        snap = store.snapshot(now=now)
        if rnd.random() < 0.15 and snap.pods:
            pod = rnd.choice(snap.pods)
            probes.append(r.ProbeResult(target=r.ref_of(pod), ok=rnd.random() < 0.5, summary="probe"))
            snap = msgspec.structs.replace(snap, probes=tuple(probes))
        elif probes:
            snap = msgspec.structs.replace(snap, probes=tuple(probes))
        if rnd.random() < 0.2 and snap.pods:  # a crash log read came back (or changed, or went)
            logs = _crash_log(rnd, snap, logs)
        snap = msgspec.structs.replace(snap, logs=logs)
        got = engine.update(snap)
        expected = diagnose(snap)
        assert_same(got, expected)
        published.append((got, expected))
    # the point of it: most updates were incremental
    assert engine.full_passes == 1
    # and each Diagnosis handed out still says what it said then (they share the ledger's change sets)
    for got, expected in published:
        assert_same(got, expected)



@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_matches_full_pass_while_the_first_lists_end(seed: int) -> None:
    rnd = random.Random(seed)
    listing = ["Pod", *rnd.sample(sorted(k for k in r.SNAPSHOT_FIELD_BY_KIND if k != "Pod"), 6)]
    store, base = _store(rnd, listing)
    engine = DiagnosisEngine()
    now = base.now
    ended = []
    for _ in range(80):
        for _ in range(rnd.randint(0, 3)):
            _mutate(rnd, store, now)
        if listing and rnd.random() < 0.15:  # a list ends: pods' before, between or after the others'
            ended.append(listing.pop(rnd.randrange(len(listing))))
            store.mark_synced(ended[-1])
        now = now + rnd.choice(STEP)
        snap = store.snapshot(now=now)
        assert_same(engine.update(snap), diagnose(snap))
    assert engine.full_passes == 1 and len(ended) >= 3

def test_relist_and_foreign_snapshot_take_a_full_pass() -> None:
    rnd = random.Random(5)
    store, base = _store(rnd)
    engine = DiagnosisEngine()
    engine.update(store.snapshot(now=base.now))
    store.replace("Pod", store.records("Pod")[:3])
    snap = store.snapshot(now=base.now + timedelta(seconds=1))
    assert_same(engine.update(snap), diagnose(snap))
    assert engine.full_passes == 2
    assert_same(engine.update(base), diagnose(base))  # a dump: no change set
    assert engine.full_passes == 3


def test_same_records_new_probe_is_incremental() -> None:
    rnd = random.Random(6)
    store, base = _store(rnd)
    engine = DiagnosisEngine()
    snap = store.snapshot(now=base.now)
    engine.update(snap)
    pod = snap.pods[0]
    result = r.ProbeResult(target=r.ref_of(pod), ok=False, summary="x")
    probed = msgspec.structs.replace(snap, probes=(result,))
    assert_same(engine.update(probed), diagnose(probed))
    assert engine.full_passes == 1
    assert engine.last_changed == frozenset({pod.metadata.uid})


def test_clock_notes_when_an_age_text_changes() -> None:
    base = load_dumps(SEED).now
    clock = Clock(base)
    assert age(clock, base - timedelta(hours=3, seconds=20)) == "3h"
    assert clock.expires == base + timedelta(minutes=1) - timedelta(seconds=20)
    clock.expires = None
    assert (clock - (base - timedelta(seconds=30))) < timedelta(minutes=2)
    assert clock.expires == base + timedelta(seconds=90)


def _owned_app(store: ClusterStore, app: str, pods: int, *, with_uids: bool = True) -> list[Any]:
    """A Deployment -> ReplicaSet -> pods chain and a Service selecting the pods, all in namespace shop."""
    def meta(name: str, uid: str, owner: tuple[str, str, str] | None = None, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "namespace": "shop", "uid": uid}
        out["creationTimestamp"] = "2026-01-01T00:00:00Z"
        out.update(extra)
        if owner:
            kind, owner_name, owner_uid = owner
            ref_uid = owner_uid if with_uids else ""
            out["ownerReferences"] = [{"kind": kind, "name": owner_name, "uid": ref_uid, "controller": True}]
        return out

    spec = {"replicas": pods, "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}}}
    status = {"replicas": pods, "readyReplicas": pods, "availableReplicas": pods}
    store.apply("Deployment", "ADDED", decode_object(
        {"kind": "Deployment", "metadata": meta(app, f"d-{app}"), "spec": spec, "status": status}))
    store.apply("ReplicaSet", "ADDED", decode_object({
        "kind": "ReplicaSet", "metadata": meta(f"{app}-1", f"rs-{app}", ("Deployment", app, f"d-{app}")),
        "spec": spec, "status": status,
    }))
    store.apply("Service", "ADDED", decode_object({
        "kind": "Service", "metadata": meta(app, f"svc-{app}"),
        "spec": {"selector": {"app": app}, "ports": [{"port": 80}]},
    }))
    made = []
    for i in range(pods):
        pod = decode_object({
            "kind": "Pod",
            "metadata": meta(f"{app}-1-{i}", f"p-{app}-{i}", ("ReplicaSet", f"{app}-1", f"rs-{app}"),
                             labels={"app": app}),
            "spec": {"nodeName": "n1", "containers": [{"name": "web", "image": "web:1"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0,
                                              "state": {"running": {}}}]},
        })
        store.apply("Pod", "ADDED", pod)
        made.append(pod)
    return made


def _restarted(pod: Any, count: int = 5) -> Any:
    cs = msgspec.structs.replace(pod.status.container_statuses[0], restart_count=count)
    return msgspec.structs.replace(pod, status=msgspec.structs.replace(pod.status, container_statuses=(cs,)))


@pytest.mark.parametrize("with_uids", [True, False])
def test_a_pod_change_judges_only_its_owners_and_services(with_uids: bool) -> None:
    store = ClusterStore()
    for kind in r.SNAPSHOT_FIELD_BY_KIND:
        store.mark_synced(kind)
    a = _owned_app(store, "a", 3, with_uids=with_uids)
    _owned_app(store, "b", 2, with_uids=with_uids)
    engine = DiagnosisEngine()
    engine.update(store.snapshot())
    before = engine.judged
    store.apply("Pod", "MODIFIED", _crashing(a[0]))
    snap = store.snapshot()
    assert_same(engine.update(snap), diagnose(snap))
    # the pod, its ReplicaSet, its Deployment and its Service; b's are judged too only when the
    # owner references carry no uid (a dump: ownership by name cannot be told apart)
    assert engine.judged - before == (4 if with_uids else 6)
    assert engine.full_passes == 1


def test_a_healthy_pods_restart_reaches_no_other_object() -> None:
    store = ClusterStore()
    for kind in r.SNAPSHOT_FIELD_BY_KIND:
        store.mark_synced(kind)
    a = _owned_app(store, "a", 3)
    engine = DiagnosisEngine()
    engine.update(store.snapshot())
    before = engine.judged
    store.apply("Pod", "MODIFIED", _restarted(a[0]))  # still Running and Ready: "..., 5 restarts"
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    assert "5 restarts" in got.for_uid(a[0].metadata.uid)[0].summary  # its own finding moved
    assert engine.judged - before == 1  # but no workload or Service rolls a healthy pod's text up
    store.apply("Pod", "MODIFIED", _crashing(_restarted(a[0])))  # a problem now: they are judged
    snap = store.snapshot()
    assert_same(engine.update(snap), diagnose(snap))
    assert engine.judged - before == 5



def test_another_list_ending_while_pods_list_rejudges_only_the_pods_that_read_it() -> None:
    store = ClusterStore()
    for kind in r.SNAPSHOT_FIELD_BY_KIND:
        if kind not in ("Pod", "Secret"):
            store.mark_synced(kind)
    _owned_app(store, "a", 3)
    waiting = {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "creds" not found'}}
    env = [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "pw"}}}]
    store.apply("Pod", "ADDED", decode_object({
        "kind": "Pod",
        "metadata": {"name": "reader", "namespace": "shop", "uid": "p-reader",
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "c", "image": "app:1", "env": env}], "nodeName": "n1"},
        "status": {"phase": "Pending",
                   "containerStatuses": [{"name": "c", "ready": False, "state": waiting}]},
    }))
    engine = DiagnosisEngine()
    snap = store.snapshot()
    assert_same(engine.update(snap), diagnose(snap))
    before = engine.judged
    store.mark_synced("Secret")  # the Secret list ends (none): pods are still listing
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    assert engine.judged - before == 1  # the pod that reads Secrets; the rest wait for the pod list
    for uid in ("rs-a", "d-a", "svc-a"):
        assert [f.category for f in got.for_uid(uid)] == ["pods_loading"]
    store.mark_synced("Pod")
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    assert got.for_uid("svc-a")[0].category != "pods_loading"

def _crashing(pod: Any) -> Any:
    cs = msgspec.structs.replace(
        pod.status.container_statuses[0], ready=False, restart_count=7,
        state=r.ContainerState(waiting=r.ContainerStateWaiting(reason="CrashLoopBackOff")),
    )
    conds = (r.Condition(type="Ready", status="False"),)
    status = msgspec.structs.replace(pod.status, container_statuses=(cs,), conditions=conds)
    return msgspec.structs.replace(pod, status=status)



def test_a_problem_in_new_words_reaches_only_the_objects_repeating_it() -> None:
    store = ClusterStore()
    for kind in r.SNAPSHOT_FIELD_BY_KIND:
        store.mark_synced(kind)
    a = _owned_app(store, "a", 3)
    crashing = [_crashing(a[0]), _crashing(a[1])]  # the ReplicaSet, Deployment and Service quote a[0]
    for pod in crashing:
        store.apply("Pod", "MODIFIED", pod)
    engine = DiagnosisEngine()
    first = engine.update(store.snapshot())
    before = engine.judged
    store.apply("Pod", "MODIFIED", _restarted(crashing[1], 9))  # the other one: same problem, new count
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    uid = a[1].metadata.uid
    assert got.for_uid(uid) != first.for_uid(uid) and got.for_uid(uid)[0].category == "app_crash"
    assert engine.judged - before == 1  # no roll-up repeats its words: none is judged again
    store.apply("Pod", "MODIFIED", _restarted(crashing[0], 12))  # the quoted one
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    assert engine.judged - before == 4  # it, then its ReplicaSet and Deployment (the Service has a
    # ready pod: it quotes none)
    assert got.for_uid("rs-a") != first.for_uid("rs-a")

def test_pods_listed_before_their_list_ends_roll_up_once_at_its_end() -> None:
    store = ClusterStore()
    for kind in r.SNAPSHOT_FIELD_BY_KIND:
        if kind != "Pod":
            store.mark_synced(kind)
    a = _owned_app(store, "a", 3)  # the first page of pods: the list has not ended
    engine = DiagnosisEngine()
    snap = store.snapshot()
    assert_same(engine.update(snap), diagnose(snap))
    before = engine.judged
    store.apply("Pod", "MODIFIED", _crashing(a[0]))  # the next page
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    assert engine.judged - before == 1  # the pod alone: no workload or Service reads a partial list
    for uid in ("rs-a", "d-a", "svc-a"):  # each says it waits for the list
        assert [f.category for f in got.for_uid(uid)] == ["pods_loading"]
    store.mark_synced("Pod")  # the list ended: the workloads roll their pods up, once
    snap = store.snapshot()
    got = engine.update(snap)
    assert_same(got, diagnose(snap))
    assert got.verdict("rs-a") != "info" and got.verdict("d-a") != "info"
    assert engine.full_passes == 1
