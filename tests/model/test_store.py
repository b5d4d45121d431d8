"""ClusterStore: keyed by uid, batched apply, replace, cheap cached snapshots."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from ktui import resources as r
from ktui.model.store import ClusterStore


def pod(name: str, uid: str, rv: str = "1", phase: str = "Running", ns: str = "default") -> r.Pod:
    return r.Pod(metadata=r.ObjectMeta(name=name, namespace=ns, uid=uid, resource_version=rv),
                 status=r.PodStatus(phase=phase))


def svc(name: str, uid: str) -> r.Service:
    return r.Service(metadata=r.ObjectMeta(name=name, namespace="default", uid=uid))


def test_apply_added_modified_deleted_by_uid() -> None:
    store = ClusterStore()
    store.apply("Pod", "ADDED", pod("a", "u1"))
    store.apply("Pod", "ADDED", pod("b", "u2"))
    store.apply("Pod", "MODIFIED", pod("a", "u1", rv="2", phase="Failed"))
    snap = store.snapshot()
    assert {(p.metadata.name, p.status.phase) for p in snap.pods} == {("a", "Failed"), ("b", "Running")}
    store.apply("Pod", "DELETED", pod("a", "u1", rv="3"))
    assert [p.metadata.name for p in store.snapshot().pods] == ["b"]
    # A same-named pod with a new uid is another object (a recreated pod), not an update.
    store.apply("Pod", "ADDED", pod("b", "u3"))
    assert sorted(p.metadata.uid for p in store.snapshot().pods) == ["u2", "u3"]


def test_apply_many_is_one_version_step_and_keeps_order() -> None:
    store = ClusterStore()
    v0 = store.version
    n = store.apply_many("Pod", [("ADDED", pod("a", "u1")), ("MODIFIED", pod("a", "u1", rv="5")),
                                 ("DELETED", pod("a", "u1", rv="6")), ("ADDED", pod("c", "u4"))])
    assert n == 4
    assert store.version == v0 + 1
    assert [p.metadata.name for p in store.snapshot().pods] == ["c"]
    assert store.apply_many("Pod", []) == 0 and store.version == v0 + 1


def test_replace_drops_stale_and_marks_synced() -> None:
    store = ClusterStore()
    store.apply_many("Pod", [("ADDED", pod("old", "u1")), ("ADDED", pod("keep", "u2"))])
    store.replace("Pod", [pod("keep", "u2", rv="9"), pod("new", "u3")])
    snap = store.snapshot()
    assert sorted(p.metadata.name for p in snap.pods) == ["keep", "new"]
    assert "Pod" in snap.synced and "Service" not in snap.synced


def test_snapshot_reuses_unchanged_kinds_and_caches() -> None:
    store = ClusterStore()
    store.replace("Pod", [pod(f"p{i}", f"u{i}") for i in range(1000)])
    store.replace("Service", [svc("s", "s1")])
    first = store.snapshot()
    assert store.snapshot() is first  # nothing changed: the same frozen snapshot
    store.apply("Service", "ADDED", svc("t", "s2"))
    second = store.snapshot()
    assert second.pods is first.pods  # untouched kind: tuple reused, not rebuilt
    assert len(second.services) == 2 and second.version > first.version
    fixed = datetime(2026, 1, 1, tzinfo=UTC)
    assert store.snapshot(now=fixed).now == fixed


def test_forbidden_and_clear() -> None:
    store = ClusterStore()
    store.set_forbidden("list secrets", 'secrets is forbidden: User "x" cannot list resource "secrets"')
    v = store.version
    store.set_forbidden("list secrets", 'secrets is forbidden: User "x" cannot list resource "secrets"')
    assert store.version == v  # same message again: no change, no new snapshot
    assert store.snapshot().forbidden == {
        "list secrets": 'secrets is forbidden: User "x" cannot list resource "secrets"'}
    store.set_forbidden("list secrets", None)
    assert store.snapshot().forbidden == {}
    store.replace("Pod", [pod("a", "u1")])
    store.clear()
    snap = store.snapshot()
    assert snap.pods == () and snap.synced == frozenset()


def test_concurrent_writers_lose_nothing() -> None:
    store = ClusterStore()

    def writer(t: int) -> None:
        for i in range(500):
            store.apply_many("Pod", [("ADDED", pod(f"p{t}-{i}", f"u{t}-{i}"))])
            if i % 2:
                store.apply("Pod", "DELETED", pod(f"p{t}-{i}", f"u{t}-{i}"))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    snaps = [store.snapshot() for _ in range(50)]
    for th in threads:
        th.join(10)
    assert len(store.snapshot().pods) == 4 * 250
    for s in snaps:  # each snapshot reads back whole and consistent, however the writers moved on
        uids = [p.metadata.uid for p in s.pods]
        assert len(uids) == len(s.pods) == len(set(uids))
        assert all(s.pods.get(uid) is p for uid, p in zip(uids, s.pods, strict=True))


def test_records_without_uid_are_keyed_by_namespace_and_name() -> None:
    store = ClusterStore()
    store.apply("Pod", "ADDED", pod("a", "", ns="x"))
    store.apply("Pod", "ADDED", pod("a", "", ns="y"))
    store.apply("Pod", "MODIFIED", pod("a", "", ns="x", phase="Failed"))
    assert sorted((p.metadata.namespace, p.status.phase) for p in store.snapshot().pods) == [
        ("x", "Failed"), ("y", "Running")]


def test_snapshot_carries_the_changes_since_the_previous_one() -> None:
    store = ClusterStore()
    a, b = pod("a", "u-a"), pod("b", "u-b")
    store.replace("Pod", [a, b])
    first = store.snapshot()
    assert first.changes == {"Pod": None} and first.changes_since == -1  # a list: everything
    a2 = pod("a", "u-a", rv="2")
    store.apply_many("Pod", [("MODIFIED", a2), ("DELETED", b), ("ADDED", pod("c", "u-c"))])
    store.apply("Service", "ADDED", svc("s", "u-s"))
    second = store.snapshot()
    assert second.changes_since == first.version
    assert second.changes is not None
    assert list(second.changes["Pod"] or {}) == ["u-a", "u-b", "u-c"]  # first-change order
    pods = second.changes["Pod"] or {}
    assert pods["u-a"] is a2 and pods["u-b"] is None
    assert set(second.changes["Service"] or {}) == {"u-s"}
    third = store.snapshot(now=datetime.now(UTC))  # nothing changed since
    assert third.changes == {} and third.changes_since == second.version
    assert third.pods is second.pods


def test_records_does_not_start_a_new_change_set() -> None:
    store = ClusterStore()
    store.replace("Pod", [pod("a", "u-a")])
    first = store.snapshot()
    store.apply("Pod", "MODIFIED", pod("a", "u-a", rv="2"))
    assert [p.metadata.resource_version for p in store.records("Pod")] == ["2"]
    second = store.snapshot()
    assert second.changes_since == first.version and set((second.changes or {})["Pod"] or {}) == {"u-a"}
