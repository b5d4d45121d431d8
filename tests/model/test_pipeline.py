"""SnapshotPipeline: the same rows and diagnosis as a full pass, rebuilt in proportion to the change."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from ktui import resources as r
from ktui.diagnosis import diagnose
from ktui.diagnosis.incremental import DiagnosisEngine
from ktui.dumps import load_dumps
from ktui.model.pipeline import FREEZE_AT, PipelineResult, SnapshotPipeline
from ktui.model.pod_rows import pod_row, pod_rows
from ktui.model.store import ClusterStore
from ktui.resources import collector

DUMPS = Path(__file__).resolve().parent.parent / "fixtures" / "dumps"


def _uid(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128)))


def _store(rnd: random.Random) -> tuple[ClusterStore, datetime]:
    base = load_dumps([str(DUMPS)])
    store = ClusterStore()
    for kind, field in r.SNAPSHOT_FIELD_BY_KIND.items():
        records = []
        for rec in getattr(base, field):
            if not rec.metadata.uid:
                meta = msgspec.structs.replace(rec.metadata, uid=_uid(rnd))
                rec = msgspec.structs.replace(rec, metadata=meta)
            records.append(rec)
        store.replace(kind, records)
    return store, base.now


def _mutate(rnd: random.Random, store: ClusterStore) -> None:
    pods = store.records("Pod")
    pod = rnd.choice(pods)
    op = rnd.random()
    if op < 0.1:
        store.apply("Pod", "DELETED", pod)
        return
    if op < 0.2:
        meta = msgspec.structs.replace(pod.metadata, uid=_uid(rnd), name=pod.metadata.name + "-n")
        store.apply("Pod", "ADDED", msgspec.structs.replace(pod, metadata=meta))
        return
    if op < 0.5:  # annotations only: neither findings nor row change
        meta = msgspec.structs.replace(pod.metadata, annotations={"x": str(rnd.random())})
        store.apply("Pod", "MODIFIED", msgspec.structs.replace(pod, metadata=meta))
        return
    ready = rnd.choice(["True", "False"])
    conds = tuple(
        msgspec.structs.replace(c, status=ready) if c.type == "Ready" else c for c in pod.status.conditions
    )
    status = msgspec.structs.replace(pod.status, conditions=conds, phase=rnd.choice(["Running", "Pending"]))
    store.apply("Pod", "MODIFIED", msgspec.structs.replace(pod, status=status))


def _check(result: PipelineResult, previous: dict[str, Any]) -> dict[str, Any]:
    snap = result.snapshot
    want = diagnose(snap)
    assert result.diagnosis.findings == want.findings
    fresh = tuple(pod_row(p, snap.now, str(want.verdict(p.metadata.uid))) for p in snap.pods)
    assert result.rows == fresh
    now = {row.uid: row for row in result.rows}
    if result.changed is not None:
        # only the uids named changed: the previous rows with those replaced are the new rows
        merged = {uid: row for uid, row in previous.items() if uid not in result.changed}
        merged.update({uid: now[uid] for uid in result.changed if uid in now})
        assert merged == now
        assert all(now.get(uid) is not previous.get(uid) for uid in result.changed)
    return now


def test_rows_and_changes_match_a_full_pass() -> None:
    rnd = random.Random(3)
    store, now = _store(rnd)
    pipeline = SnapshotPipeline(DiagnosisEngine)
    previous: dict[str, Any] = {}
    sizes = []
    for _ in range(150):
        for _ in range(rnd.randint(0, 3)):
            _mutate(rnd, store)
        now += rnd.choice((timedelta(milliseconds=40), timedelta(seconds=1), timedelta(seconds=61)))
        result = pipeline.update(store.snapshot(now=now))
        previous = _check(result, previous)
        if result.changed is not None:
            sizes.append(len(result.changed))
    assert pipeline.full_passes == 1
    # work in proportion: a few rows per update, not every pod
    assert max(sizes) < len(previous)


def test_annotation_only_change_changes_no_row() -> None:
    rnd = random.Random(4)
    store, now = _store(rnd)
    pipeline = SnapshotPipeline(DiagnosisEngine)
    first = pipeline.update(store.snapshot(now=now))
    pod = store.records("Pod")[0]
    meta = msgspec.structs.replace(pod.metadata, annotations={"stamp": "1"})
    store.apply("Pod", "MODIFIED", msgspec.structs.replace(pod, metadata=meta))
    second = pipeline.update(store.snapshot(now=now + timedelta(milliseconds=10)))
    assert second.changed == frozenset()
    assert second.rows == first.rows


def test_age_ticks_only_rows_whose_text_changes() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    young = r.Pod(metadata=r.ObjectMeta(name="young", namespace="a", uid="u1", creation_timestamp=created))
    old = r.Pod(metadata=r.ObjectMeta(name="old", namespace="a", uid="u2",
                                      creation_timestamp=created - timedelta(hours=3)))
    store = ClusterStore()
    store.replace("Pod", [young, old])
    pipeline = SnapshotPipeline(DiagnosisEngine)
    t0 = created + timedelta(seconds=30)
    first = pipeline.update(store.snapshot(now=t0))
    assert [row.age for row in first.rows] == ["30s", "3h"]
    second = pipeline.update(store.snapshot(now=t0 + timedelta(seconds=1)))
    assert second.changed == frozenset({"u1"})
    assert [row.age for row in second.rows] == ["31s", "3h"]


def test_stale_sequence_is_not_emitted() -> None:
    rnd = random.Random(5)
    store, now = _store(rnd)
    pipeline = SnapshotPipeline(DiagnosisEngine)
    out: list[PipelineResult] = []
    snap = store.snapshot(now=now)
    assert pipeline.process(snap, 2, out.append)
    assert not pipeline.process(snap, 1, out.append)
    assert len(out) == 1


def test_rule_failure_is_reported_not_raised() -> None:
    class Broken:
        last_changed: frozenset[str] | None = None

        def update(self, snapshot: r.ClusterSnapshot) -> Any:
            raise ValueError("boom")

    pod = r.Pod(metadata=r.ObjectMeta(name="p", namespace="a", uid="u"))
    result = SnapshotPipeline(Broken).update(r.ClusterSnapshot(now=datetime.now(UTC), pods=(pod,)))
    assert result.error == "ValueError: boom"
    assert result.diagnosis is None
    assert [row.severity for row in result.rows] == ["unknown"]
    assert result.verdicts["u"] == "unknown"


def test_memoized_pod_rows_follow_time_and_verdicts() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    pod = r.Pod(metadata=r.ObjectMeta(name="p", namespace="a", uid="u", creation_timestamp=created))
    a = pod_rows((pod,), created + timedelta(seconds=5), {"u": "error"})
    b = pod_rows((pod,), created + timedelta(seconds=5), {"u": "error"})
    c = pod_rows((pod,), created + timedelta(seconds=9), {"u": "info"})
    assert a[0] is b[0]
    assert (c[0].age, c[0].severity) == ("9s", "info")


def test_passes_over_many_records_hold_the_collector_off() -> None:
    """A full pass and a pass over FREEZE_AT records of a first list run with the collector paused; a
    small incremental pass and a watch storm's do not (their objects are few or short-lived)."""

    class Watching(DiagnosisEngine):
        paused: list[bool] = []

        def update(self, snapshot: r.ClusterSnapshot) -> Any:
            Watching.paused.append(collector.is_paused())
            return super().update(snapshot)

    def pods(first: int, n: int) -> list[r.Pod]:
        return [r.Pod(metadata=r.ObjectMeta(name=f"p{i}", namespace="a", uid=f"u{i}"))
                for i in range(first, n)]

    store = ClusterStore()
    pipeline = SnapshotPipeline(Watching)
    out: list[PipelineResult] = []
    now = datetime.now(UTC)
    store.apply_many("Pod", [("ADDED", p) for p in pods(0, FREEZE_AT)])
    pipeline.process(store.snapshot(now=now), 1, out.append)  # the first: a full pass
    store.apply_many("Pod", [("ADDED", p) for p in pods(FREEZE_AT, FREEZE_AT + 10)])
    pipeline.process(store.snapshot(now=now), 2, out.append)
    # the list's last pages: as many records, the pod list whole with them
    store.apply_many("Pod", [("ADDED", p) for p in pods(FREEZE_AT + 10, 2 * FREEZE_AT + 10)], synced=True)
    pipeline.process(store.snapshot(now=now), 3, out.append)
    # a watch storm as big: its records are replaced again soon, the collector stays on
    store.apply_many("Pod", [("MODIFIED", p) for p in pods(0, FREEZE_AT)])
    pipeline.process(store.snapshot(now=now), 4, out.append)
    assert Watching.paused == [True, False, True, False]
    assert len(out[-1].rows) == 2 * FREEZE_AT + 10 and not collector.is_paused()
