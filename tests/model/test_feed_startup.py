"""ClusterFeed start-up on a sandbox: pods listed and judged first; a first sync is no whole-kind change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui import resources as r
from ktui.diagnosis.incremental import DiagnosisEngine
from ktui.kube import api, listing
from ktui.kube import reflector as rf
from ktui.kube.client import connect
from ktui.model.feed import ClusterFeed, FeedStatus, _held, _Sink
from ktui.model.pipeline import SnapshotPipeline
from ktui.model.store import ClusterStore
from ktui.sandbox.runner import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenario="seed", speed=20.0) as sb:
        yield sb


@pytest.fixture()
def sb(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield sandbox
    sandbox.faults.clear()


def eventually(pred: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := pred()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)
    return value


class Capture:
    """Snapshots and statuses; optionally blocks inside the first snapshot that holds pods."""

    def __init__(self, hold_first_pods: float = 0.0) -> None:
        self.snapshots: list[r.ClusterSnapshot] = []
        self.statuses: list[FeedStatus] = []
        self.hold = hold_first_pods
        self.seen_in_hold: list[tuple[int, frozenset[str]]] = []
        self.feed: ClusterFeed | None = None

    def snap(self, s: r.ClusterSnapshot) -> None:
        self.snapshots.append(s)
        if self.hold and s.pods and not self.seen_in_hold:
            # While the app would judge and paint the first pods, nothing else may be listed.
            deadline = time.monotonic() + self.hold
            assert self.feed is not None
            while time.monotonic() < deadline:
                store = self.feed.store
                self.seen_in_hold.append((store.count("Node") + store.count("Namespace"),
                                          store.snapshot().synced - {"Pod"}))
                time.sleep(0.02)

    def status(self, s: FeedStatus) -> None:
        self.statuses.append(s)

    def state(self) -> str:
        return self.statuses[-1].state if self.statuses else ""


def _feed(sb: Sandbox, cap: Capture, kubeconfig: Any = None, **kw: Any) -> ClusterFeed:
    feed = ClusterFeed(connect(str(kubeconfig or sb.kubeconfig)), "default",
                       on_snapshot=cap.snap, on_status=cap.status, **kw)
    cap.feed = feed
    feed.start()
    return feed


def test_other_kinds_wait_until_the_first_pods_were_delivered(sb: Sandbox) -> None:
    cap = Capture(hold_first_pods=0.4)
    feed = _feed(sb, cap, lead_delay=30.0)
    try:
        eventually(lambda: cap.state() == "live")
        assert cap.seen_in_hold, "the first snapshot with pods was never delivered"
        # Nothing but pods while the first pods were being judged (the seed has nodes and namespaces).
        assert all(count == 0 and not synced for count, synced in cap.seen_in_hold)
        last = cap.snapshots[-1]
        assert last.nodes and last.namespaces
        assert {"Pod", "Node", "Namespace", "Event"} <= set(last.synced)
    finally:
        assert feed.stop()


def test_a_refused_pod_list_does_not_hold_the_other_kinds(sb: Sandbox) -> None:
    sb.faults.deny("viewer", "list", "pods")
    cap = Capture()
    feed = _feed(sb, cap, kubeconfig=sb.kubeconfig_for("viewer"), lead_delay=30.0)
    try:
        # Well before lead_delay: the refusal itself lets the other kinds go.
        eventually(lambda: cap.snapshots and cap.snapshots[-1].nodes, timeout=8)
        eventually(lambda: "list pods" in feed.status.forbidden, timeout=5)
    finally:
        assert feed.stop()


def test_stop_while_kinds_are_held_ends_every_thread(sb: Sandbox) -> None:
    sb.faults.add_latency(0.5)  # the first page is still on its way when we stop
    cap = Capture()
    feed = _feed(sb, cap, lead_delay=30.0)
    t0 = time.monotonic()
    assert feed.stop(timeout=3.0)
    assert time.monotonic() - t0 < 3.0
    assert not [t for t in threading.enumerate() if t.name.startswith("ktui-reflector-") and t.is_alive()
                and t.name.endswith(("-Node", "-Service", "-Event"))]


def test_the_feeds_snapshots_judged_incrementally_equal_a_full_pass(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap)
    try:
        eventually(lambda: cap.state() == "live")
        eventually(lambda: {"Pod", "Node", "Namespace", "Event"} <= set(cap.snapshots[-1].synced))

        def caught_up() -> bool:
            # The simulated kubelet keeps writing pod status: wait for a snapshot equal to the server.
            items, _ = sb.call(lambda: sb.store.list("pods", "default"))
            server = {o["metadata"]["uid"]: o["metadata"]["resourceVersion"] for o in items}
            return {p.metadata.uid: p.metadata.resource_version for p in cap.snapshots[-1].pods} == server

        eventually(caught_up)
        snaps = list(cap.snapshots)
    finally:
        assert feed.stop()
    # The feed's sequence judged incrementally gives what one full pass on the last snapshot gives.
    incremental = SnapshotPipeline(DiagnosisEngine)
    for s in snaps:
        result = incremental.update(s)
    full = SnapshotPipeline(DiagnosisEngine).update(snaps[-1])
    assert result.rows == full.rows
    assert dict(result.verdicts) == dict(full.verdicts)
    assert [f.summary for f in result.diagnosis.findings] == [f.summary for f in full.diagnosis.findings]


def test_first_sync_closing_replace_is_not_a_whole_kind_change(sb: Sandbox) -> None:
    feed = ClusterFeed(connect(str(sb.kubeconfig)), "default", on_snapshot=lambda _s: None,
                       on_status=lambda _s: None)  # not started: its sink is driven by hand
    sink = _Sink(feed, feed._generation)
    pods = [r.Pod(metadata=r.ObjectMeta(name=n, namespace="a", uid=n)) for n in ("x", "y", "z")]
    sink.apply("Pod", [("ADDED", p) for p in pods[:2]])  # page 1 shown as it came
    first = feed.store.snapshot()
    assert "Pod" not in first.synced
    sink.replace("Pod", pods)  # the list is complete, with its last page
    snap = feed.store.snapshot()
    assert "Pod" in snap.synced and snap.changes_since == first.version
    assert snap.changes is not None and snap.changes["Pod"] == {"z": pods[2]}  # not "every pod"
    assert [p.metadata.name for p in snap.pods] == ["x", "y", "z"]
    version = feed.store.version
    sink.replace("Pod", pods)  # the same records again (every page applied before): nothing moves
    assert feed.store.version == version
    again = [r.Pod(metadata=r.ObjectMeta(name=n, namespace="a", uid=n)) for n in ("x", "y")]
    sink.replace("Pod", again)  # a relist: new records replace the kind whole
    snap = feed.store.snapshot()
    assert snap.changes is not None and snap.changes["Pod"] is None
    assert [p.metadata.name for p in snap.pods] == ["x", "y"]


def test_held_is_identity_of_a_first_part_of_the_records_in_order() -> None:
    store = ClusterStore()
    pods = [r.Pod(metadata=r.ObjectMeta(name=n, namespace="a", uid=n)) for n in ("x", "y", "z")]
    store.apply_many("Pod", [("ADDED", p) for p in pods[:2]])
    assert _held(store, "Pod", pods[:2]) == 2
    assert _held(store, "Pod", pods) == 2  # the last page is still to be added
    assert _held(store, "Pod", pods[1::-1]) is None
    assert _held(store, "Pod", pods[:1]) is None  # the store holds more than the list
    same_values = [r.Pod(metadata=r.ObjectMeta(name=n, namespace="a", uid=n)) for n in ("x", "y")]
    assert _held(store, "Pod", same_values) is None  # equal but new records: a relist must replace


def test_list_pages_calls_before_decode_once_per_page(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    seen: list[int] = []
    pages = list(listing.list_pages(conn, api.RESOURCES["Pod"], "default", limit=2,
                                    before_decode=seen.append))
    assert len(pages) >= 2
    assert seen == list(range(len(pages)))
    names = sorted(p.metadata.name for records, _, _ in pages for p in records)
    assert [more for _, _, more in pages] == [True] * (len(pages) - 1) + [False]
    whole, _ = listing.list_all(conn, api.RESOURCES["Pod"], "default")
    assert names == sorted(p.metadata.name for p in whole)


class Recorder:
    """A Sink keeping a store, the applied batches and the states."""

    def __init__(self) -> None:
        self.store = ClusterStore()
        self.batches = 0
        self.sizes: list[int] = []
        self.sizes_when_live: list[int] | None = None
        """The batch sizes when the list ended (the watch's batches come after)."""
        self.states: list[str] = []

    def replace(self, kind: str, records: list[Any]) -> None:
        self.store.replace(kind, records)

    def apply(self, kind: str, events: list[tuple[str, Any]]) -> None:
        self.store.apply_many(kind, events)
        self.batches += 1
        self.sizes.append(len(events))

    def status(self, kind: str, state: str, message: str = "") -> None:
        self.states.append(state)
        if state == rf.LIVE and self.sizes_when_live is None:
            self.sizes_when_live = list(self.sizes)


def test_a_held_reflector_pauses_after_its_first_page_until_let_through(sb: Sandbox) -> None:
    rec = Recorder()
    gate = threading.Event()
    refl = rf.Reflector(connect(str(sb.kubeconfig)), "Pod", rec, namespace="default", page_size=2)
    refl.hold(gate, 30.0, pages=1)
    refl.start()
    try:
        eventually(lambda: rec.batches == 1, 5)
        time.sleep(0.3)  # a negative check: the second page must not come while held
        assert rec.batches == 1 and rf.LIVE not in rec.states
        gate.set()
        eventually(lambda: refl.state == rf.LIVE, 5)
        assert rec.store.count("Pod") == 4 and "Pod" in rec.store.snapshot().synced
    finally:
        refl.stop()
        assert refl.join(3)


def test_the_first_sync_reads_a_small_first_page_then_full_pages(sb: Sandbox) -> None:
    rec = Recorder()
    refl = rf.Reflector(connect(str(sb.kubeconfig)), "Pod", rec, namespace="default", page_size=2,
                        first_page=1)
    refl.start()
    try:
        eventually(lambda: refl.state == rf.LIVE, 5)
        pods = rec.store.count("Pod")
        # A screenful first, then pages of page_size; the last (1 pod) comes with the list's end.
        # (Read as the list ended: the simulated kubelet's watch events may follow at once.)
        assert pods == 4 and rec.sizes_when_live == [1, 2]
    finally:
        refl.stop()
        assert refl.join(3)


def test_a_reflector_held_before_its_list_lists_once_let_through(sb: Sandbox) -> None:
    rec = Recorder()
    gate = threading.Event()
    refl = rf.Reflector(connect(str(sb.kubeconfig)), "Node", rec)
    refl.hold(gate, 30.0)
    refl.start()
    try:
        time.sleep(0.3)  # a negative check: nothing is listed while held
        assert rec.store.count("Node") == 0 and not rec.states
        gate.set()
        eventually(lambda: refl.state == rf.LIVE and rec.store.count("Node") > 0, 5)
    finally:
        refl.stop()
        assert refl.join(3)


def test_the_end_of_the_first_pod_list_is_handed_over_without_waiting_for_the_sync_interval() -> None:
    from ktui.sandbox.generate import generate

    with Sandbox(scenario="empty", simulate=False) as big:
        big.call(generate, big.store, 2000, 2)  # a first page of 100 pods, then 4 of 500
        cap = Capture()
        feed = ClusterFeed(connect(str(big.kubeconfig)), None, on_snapshot=cap.snap, on_status=cap.status,
                           sync_interval=5.0)
        feed.start()
        try:
            eventually(lambda: any("Pod" in s.synced for s in cap.snapshots), timeout=4.0)
            whole = next(s for s in cap.snapshots if "Pod" in s.synced)
            first = next(s for s in cap.snapshots if s.pods)
            assert len(first.pods) < 2000 and len(whole.pods) == 2000  # the list took more than one snapshot
        finally:
            assert feed.stop()


def test_the_c_heap_is_trimmed_once_after_a_whole_pod_list(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ktui.model import feed as feed_module

    trims: list[int] = []
    cap = Capture()
    monkeypatch.setattr(feed_module.allocator, "release_free_heap", lambda: trims.append(len(cap.snapshots)))
    feed = _feed(sb, cap)
    try:
        eventually(lambda: cap.state() == "live" and trims)
        first_synced = next(i for i, s in enumerate(cap.snapshots, 1) if "Pod" in s.synced)
        assert trims[0] == first_synced  # right after the snapshot holding the whole list went out
        eventually(lambda: len(cap.snapshots) >= first_synced + 2)  # later snapshots (the clock ticks)
        assert len(trims) == 1
    finally:
        assert feed.stop()
