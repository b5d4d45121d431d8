"""ObjectRowsMemo: the object lists' rows are made again only when what they show can differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from ktui import resources as r
from ktui.decode import decode_object
from ktui.diagnosis.incremental import DiagnosisEngine
from ktui.dumps import load_dumps
from ktui.model.object_rows import ROW_BUILDERS
from ktui.model.object_rows_memo import ObjectRowsMemo, rows_of_kind
from ktui.model.pipeline import PipelineResult, SnapshotPipeline
from ktui.model.store import ClusterStore

NOW = datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)
"""The seed's objects are then 2h0m30s old (created 10:00:00): their AGE reads "120m" until 12:01."""
DUMPS = Path(__file__).resolve().parent.parent / "fixtures" / "dumps"
FILES = [str(DUMPS / n) for n in ("seed-pods.json", "seed-events.yaml", "seed-network.yaml")]


def _store() -> ClusterStore:
    base = load_dumps(FILES)
    store = ClusterStore()
    for kind, field in r.SNAPSHOT_FIELD_BY_KIND.items():
        store.replace(kind, list(getattr(base, field)))
    return store


def _fresh(snap: r.ClusterSnapshot, diagnosis: object) -> dict[str, tuple[object, ...]]:
    return {kind: rows_of_kind(snap, diagnosis, kind) for kind in ROW_BUILDERS}


def _started() -> tuple[ClusterStore, SnapshotPipeline, ObjectRowsMemo, PipelineResult, dict[str, Any]]:
    """The seed in a store, its first pipeline result, and the memo's rows for it."""
    store = _store()
    pipeline = SnapshotPipeline(DiagnosisEngine)
    memo = ObjectRowsMemo()
    first = pipeline.update(store.snapshot(now=NOW))
    return store, pipeline, memo, first, memo.rows(first.snapshot, first.diagnosis, first.judged)


def test_a_pod_change_reuses_every_object_list_and_a_service_change_remakes_only_services() -> None:
    store, pipeline, memo, first, rows = _started()
    assert rows == _fresh(first.snapshot, first.diagnosis) and memo.made == len(ROW_BUILDERS)
    assert rows["Service"]  # the seed has Services: the test reads something

    pod = next(p for p in store.records("Pod") if p.metadata.name == "running")
    meta = msgspec.structs.replace(pod.metadata, annotations={"touched": "1"}, resource_version="99")
    store.apply("Pod", "MODIFIED", msgspec.structs.replace(pod, metadata=meta))
    second = pipeline.update(store.snapshot(now=first.snapshot.now + timedelta(milliseconds=30)))
    again = memo.rows(second.snapshot, second.diagnosis, second.judged)
    assert memo.made == len(ROW_BUILDERS)  # nothing an object list shows moved
    assert all(again[kind] is rows[kind] for kind in ROW_BUILDERS)
    assert again == _fresh(second.snapshot, second.diagnosis)

    svc = next(s for s in store.records("Service") if s.metadata.name == "nginx-typo")
    spec = msgspec.structs.replace(svc.spec, selector={"app": "nginx"})
    store.apply("Service", "MODIFIED", msgspec.structs.replace(svc, spec=spec))
    third = pipeline.update(store.snapshot(now=second.snapshot.now + timedelta(milliseconds=30)))
    moved = memo.rows(third.snapshot, third.diagnosis, third.judged)
    assert moved == _fresh(third.snapshot, third.diagnosis)
    assert moved["Service"] is not again["Service"]
    assert {row.name: row.severity for row in moved["Service"]}["nginx-typo"] != "error"


def test_rows_are_made_again_for_their_age_and_on_a_full_pass() -> None:
    store, pipeline, memo, first, rows = _started()
    later = store.snapshot(now=first.snapshot.now + timedelta(seconds=90))  # past 12:01: AGE moved
    result = pipeline.update(later)
    aged = memo.rows(result.snapshot, result.diagnosis, result.judged)
    assert aged == _fresh(result.snapshot, result.diagnosis)
    assert aged["Service"] is not rows["Service"] and aged["Service"] != rows["Service"]  # AGE moved
    made = memo.made
    memo.rows(result.snapshot, result.diagnosis, None)  # unknown what changed: everything again
    assert memo.made == made + len(ROW_BUILDERS)



def test_only_the_kinds_asked_for_are_made_and_one_asked_for_again_is_made_whole() -> None:
    store, pipeline, memo, first, _ = _started()
    made = memo.made
    only = memo.rows(first.snapshot, first.diagnosis, frozenset(), {"Service"})
    assert set(only) == {"Service"} and memo.made == made  # the Service rows made before are reused
    before = {row.name: row.severity for row in only["Service"]}
    for pod in store.records("Pod"):  # the Services' records stay; their verdicts move
        store.apply("Pod", "DELETED", pod)
    second = pipeline.update(store.snapshot(now=NOW + timedelta(milliseconds=30)))
    assert second.judged and set(memo.rows(second.snapshot, second.diagnosis, second.judged, ())) == set()
    # Asked again after a snapshot that passed it by (its judged set unseen): made again, not reused.
    again = memo.rows(second.snapshot, second.diagnosis, frozenset(), {"Service"})
    assert again == {"Service": _fresh(second.snapshot, second.diagnosis)["Service"]}
    assert {row.name: row.severity for row in again["Service"]} != before

def _replica_set(i: int) -> Any:
    return decode_object({
        "kind": "ReplicaSet",
        "metadata": {"name": f"web-{i}", "namespace": "default", "uid": f"rs-{i}",
                     "creationTimestamp": "2026-11-27T10:00:00Z"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": f"web-{i}"}}},
        "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2},
    })


def test_a_replica_set_change_remakes_its_row_and_reuses_the_others() -> None:
    store = _store()
    store.replace("ReplicaSet", [_replica_set(i) for i in range(3)])
    pipeline, memo = SnapshotPipeline(DiagnosisEngine), ObjectRowsMemo()
    first = pipeline.update(store.snapshot(now=NOW))
    rows = memo.rows(first.snapshot, first.diagnosis, first.judged)
    changed = store.records("ReplicaSet")[1]
    status = msgspec.structs.replace(changed.status, ready_replicas=(changed.status.ready_replicas or 0) + 7)
    store.apply("ReplicaSet", "MODIFIED", msgspec.structs.replace(changed, status=status))
    second = pipeline.update(store.snapshot(now=first.snapshot.now + timedelta(milliseconds=30)))
    again = memo.rows(second.snapshot, second.diagnosis, second.judged)
    assert again == _fresh(second.snapshot, second.diagnosis)  # what a fresh build makes
    before = {row.uid: row for row in rows["ReplicaSet"]}
    remade = [row.uid for row in again["ReplicaSet"] if row is not before[row.uid]]
    assert remade == [changed.metadata.uid]  # the others are the very rows made before


def _owned_pod(i: int, waiting: str | None = None) -> Any:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return decode_object({
        "kind": "Pod",
        "metadata": {"name": f"web-{i}-abc", "namespace": "default", "uid": f"pod-{i}",
                     "creationTimestamp": "2026-11-27T10:00:00Z",
                     "ownerReferences": [{"kind": "ReplicaSet", "name": f"web-{i}", "uid": f"rs-{i}",
                                          "controller": True}]},
        "spec": {"nodeName": "n1", "containers": [{"name": "web", "image": "web:1"}]},
        "status": {"phase": "Running",
                   "conditions": [{"type": "Ready", "status": "False" if waiting else "True"}],
                   "containerStatuses": [{"name": "web", "ready": not waiting,
                                          "restartCount": 4 if waiting else 0, "state": state}]},
    })


def test_a_pod_change_moves_its_replica_sets_verdict_in_place() -> None:
    store = _store()
    store.replace("ReplicaSet", [_replica_set(i) for i in range(3)])
    for i in range(3):
        store.apply("Pod", "ADDED", _owned_pod(i))
    pipeline, memo = SnapshotPipeline(DiagnosisEngine), ObjectRowsMemo()
    first = pipeline.update(store.snapshot(now=NOW))
    rows = memo.rows(first.snapshot, first.diagnosis, first.judged)
    made = memo.made
    store.apply("Pod", "MODIFIED", _owned_pod(1, waiting="CrashLoopBackOff"))  # only a pod changed
    second = pipeline.update(store.snapshot(now=first.snapshot.now + timedelta(milliseconds=30)))
    again = memo.rows(second.snapshot, second.diagnosis, second.judged)
    assert again == _fresh(second.snapshot, second.diagnosis)  # what a fresh build makes
    assert memo.made == made and memo.patched == 1  # nothing made again: one kind's verdicts moved
    before = {row.uid: row for row in rows["ReplicaSet"]}
    moved = [row for row in again["ReplicaSet"] if row is not before[row.uid]]
    assert [row.uid for row in moved] == ["rs-1"] and moved[0].severity != before["rs-1"].severity
