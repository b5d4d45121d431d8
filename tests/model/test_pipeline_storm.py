"""The incremental engine and pipeline on realistic pods in a watch storm give what a full pass gives.

The pods come from the sandbox's generator (the benchmark's ~6 KB pods, ~5% unhealthy, with their
events), go through the JSON a server sends and the decode + compaction the reflector applies,
and change the way live pods do: a stamp in an annotation, a restart, a crash, Ready flipping,
a deletion. After every batch the pipeline's diagnosis, verdicts and rows must equal a full pass
and fresh rows on the same snapshot.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from ktui import decode
from ktui import resources as r
from ktui.diagnosis import diagnose
from ktui.diagnosis.incremental import DiagnosisEngine
from ktui.model.pipeline import PipelineResult, SnapshotPipeline
from ktui.model.pod_rows import pod_row
from ktui.model.store import ClusterStore
from ktui.resources.records import Records
from ktui.sandbox.generate import generate
from ktui.sandbox.store import Store


def _check(result: PipelineResult, previous: dict[str, Any]) -> dict[str, Any]:
    """Rows equal fresh ones, the diagnosis a full pass; ``changed`` names exactly the rows replaced."""
    snap = result.snapshot
    want = diagnose(snap)
    assert result.diagnosis.findings == want.findings
    assert result.rows == tuple(pod_row(p, snap.now, str(want.verdict(p.metadata.uid))) for p in snap.pods)
    now = {row.uid: row for row in result.rows}
    if result.changed is not None:
        merged = {uid: row for uid, row in previous.items() if uid not in result.changed}
        merged.update({uid: now[uid] for uid in result.changed if uid in now})
        assert merged == now
    return now


def _stamp(_pod: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"annotations": {"sandbox.ktui.dev/sent-at": str(time.monotonic_ns())}}}


def _first_status(pod: dict[str, Any], **changes: Any) -> dict[str, Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if not statuses:
        return {}
    first = {**statuses[0], **changes}
    return {"status": {"containerStatuses": [first, *statuses[1:]]}}


def _restart(pod: dict[str, Any]) -> dict[str, Any]:
    """The benchmark storm's change: a stamp and one more restart (the row and the finding text move)."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    count = statuses[0].get("restartCount", 0) + 1 if statuses else 0
    return {**_stamp(pod), **_first_status(pod, restartCount=count)}


def _crash(pod: dict[str, Any]) -> dict[str, Any]:
    waiting = {"reason": "CrashLoopBackOff", "message": "back-off"}
    return _first_status(pod, ready=False, state={"waiting": waiting})


def _ready(pod: dict[str, Any]) -> dict[str, Any]:
    conds = [
        {**c, "status": "False" if c.get("status") == "True" else "True"} if c.get("type") == "Ready" else c
        for c in (pod.get("status") or {}).get("conditions") or []
    ]
    return {"status": {"conditions": conds}}


class _Feed:
    """A sandbox store as the server, a ClusterStore fed the way the reflector feeds it."""

    def __init__(self, pods: int) -> None:
        self.sb = Store()
        generate(self.sb, pods, 4)
        self.store = ClusterStore()
        pods_raw, _ = self.sb.list("pods")
        listed = b'{"items":[' + b",".join(self.sb.encoded(o) for o in pods_raw) + b'],"metadata":{}}'
        self.store.replace("Pod", decode.decode_list("Pod", listed)[0])
        events, _ = self.sb.list("events")
        self.store.replace("Event", [decode.decode_typed("Event", e) for e in events])
        for kind in r.SNAPSHOT_FIELD_BY_KIND:
            self.store.mark_synced(kind)
        self.keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in pods_raw]

    def change(self, edits: list[tuple[str, str, Any]]) -> None:
        """Commit merge patches on the server; apply their MODIFIED events as the reflector does."""
        batch = []
        for obj in self.sb.mutate_many("pods", edits):
            assert obj is not None
            pod = msgspec.json.decode(self.sb.encoded(obj), type=r.Pod, strict=False)
            batch.append(("MODIFIED", decode.compact_pod(pod, self.store.get("Pod", pod.metadata.uid))))
        self.store.apply_many("Pod", batch)


@pytest.mark.parametrize("seed", [1, 2])
def test_storm_on_generated_pods_matches_a_full_pass(seed: int) -> None:
    rnd = random.Random(seed)
    feed = _Feed(240)
    engine = DiagnosisEngine()
    pipeline = SnapshotPipeline(lambda: engine)
    now = feed.store.snapshot().now
    previous = _check(pipeline.update(feed.store.snapshot(now=now)), {})
    for _ in range(14):
        edits = [
            (*rnd.choice(feed.keys), rnd.choice([_stamp, _restart, _restart, _restart, _crash, _ready]))
            for _ in range(rnd.randint(1, 40))
        ]
        feed.change(edits)
        if rnd.random() < 0.2:
            gone = feed.store.records("Pod")[0]
            feed.store.apply("Pod", "DELETED", gone)
            feed.keys = [k for k in feed.keys if k != (gone.metadata.namespace, gone.metadata.name)]
        now += rnd.choice([timedelta(milliseconds=30), timedelta(seconds=2), timedelta(minutes=3)])
        result = pipeline.update(feed.store.snapshot(now=now))
        previous = _check(result, previous)
        want = diagnose(result.snapshot)
        assert result.diagnosis.counts() == want.counts()
        assert result.diagnosis.problems() == want.problems()
        for pod in result.snapshot.pods:
            uid = pod.metadata.uid
            assert result.diagnosis.for_uid(uid) == want.for_uid(uid)
            assert result.verdicts[uid] == str(want.verdict(uid))
    assert engine.full_passes == 1 and pipeline.full_passes == 1


def test_stamp_only_storm_judges_no_pod_and_changes_no_row() -> None:
    feed = _Feed(120)
    engine = DiagnosisEngine()
    pipeline = SnapshotPipeline(lambda: engine)
    first = pipeline.update(feed.store.snapshot())
    judged = engine.judged
    feed.change([(ns, name, _stamp) for ns, name in feed.keys])
    result = pipeline.update(feed.store.snapshot(now=first.snapshot.now))
    assert engine.judged == judged  # each pod's findings stand: none was judged again
    assert result.changed == frozenset()
    assert result.diagnosis.findings == diagnose(result.snapshot).findings
    snap = result.snapshot
    fresh = tuple(pod_row(p, snap.now, str(result.diagnosis.verdict(p.metadata.uid))) for p in snap.pods)
    assert result.rows == fresh


def test_restart_storm_keeps_findings_in_place_and_counts() -> None:
    """A restart moves a healthy pod's text, not its severity: the finding is swapped in place."""
    feed = _Feed(120)
    engine = DiagnosisEngine()
    pipeline = SnapshotPipeline(lambda: engine)
    pipeline.update(feed.store.snapshot())
    for _ in range(3):
        feed.change([(ns, name, _restart) for ns, name in feed.keys])
        result = pipeline.update(feed.store.snapshot())
        assert result.diagnosis.findings == diagnose(result.snapshot).findings
        assert result.diagnosis.counts() == diagnose(result.snapshot).counts()
    texts = {f.summary for f in result.diagnosis.findings if f.category == "healthy"}
    assert any("3 restarts" in t for t in texts)  # the new text is what the diagnosis holds


def test_a_storm_step_reads_only_the_changed_pods_and_rows() -> None:
    """The store hands its pods over, and the pipeline its rows, without copying the whole cluster."""
    feed = _Feed(240)
    pipeline = SnapshotPipeline(DiagnosisEngine)
    first = pipeline.update(feed.store.snapshot())
    before = tuple(first.snapshot.pods)
    feed.change([(*key, _restart) for key in feed.keys[:5]])
    result = pipeline.update(feed.store.snapshot())
    assert result.changed is not None and len(result.changed) == 5
    pods, rows = result.snapshot.pods, result.rows
    assert isinstance(pods, Records) and isinstance(rows, Records)
    changed_rows = {uid: rows.get(uid) for uid in result.changed}
    assert not pods.built and not rows.built  # nothing read either whole
    assert all(row is not None and row.uid == uid for uid, row in changed_rows.items())
    assert tuple(first.snapshot.pods) == before  # the older snapshot did not move
    assert [p.metadata.uid for p in pods] == [p.metadata.uid for p in before]
    assert {p.metadata.resource_version for p in pods} != {p.metadata.resource_version for p in before}


def test_a_published_diagnosis_keeps_its_answers_while_later_ones_are_made() -> None:
    """Diagnoses share the engine's change sets: folding and merging them must not move an older one."""
    rnd = random.Random(5)
    feed = _Feed(240)
    engine = DiagnosisEngine()
    kept: list[tuple[Any, dict[str, Any]]] = []
    for step in range(40):
        feed.change([(*rnd.choice(feed.keys), rnd.choice([_restart, _crash, _ready]))
                     for _ in range(rnd.randint(1, 40))])
        if step % 7 == 3:
            gone = feed.store.records("Pod")[0]
            feed.store.apply("Pod", "DELETED", gone)
            feed.keys = [k for k in feed.keys if k != (gone.metadata.namespace, gone.metadata.name)]
        snap = feed.store.snapshot()
        got, want = engine.update(snap), diagnose(snap)
        kept.append((got, {key: want.for_uid(key) for key in want._by_subject}))
    assert engine.full_passes == 1
    for got, answers in kept:
        assert {key: got.for_uid(key) for key in got._by_subject} == answers
        assert len(got._by_subject) == len(answers)
