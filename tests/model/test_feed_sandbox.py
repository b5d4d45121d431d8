"""ClusterFeed against a sandbox: status, coalescing, namespace switch, forbidden kinds, stop."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ktui import resources as r
from ktui.kube.client import connect
from ktui.model.feed import ClusterFeed
from ktui.model.feed_status import FeedStatus
from ktui.resources import collector
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
    """Collects what the feed delivers, and from which thread."""

    def __init__(self) -> None:
        self.snapshots: list[r.ClusterSnapshot] = []
        self.statuses: list[FeedStatus] = []
        self.threads: set[str] = set()

    def snap(self, s: r.ClusterSnapshot) -> None:
        self.threads.add(threading.current_thread().name)
        self.snapshots.append(s)

    def status(self, s: FeedStatus) -> None:
        self.threads.add(threading.current_thread().name)
        self.statuses.append(s)

    @property
    def last(self) -> r.ClusterSnapshot:
        return self.snapshots[-1]

    def state(self) -> str:
        return self.statuses[-1].state if self.statuses else ""


def _feed(sb: Sandbox, cap: Capture, ns: str | None = None, kubeconfig: Any = None, **kw: Any) -> ClusterFeed:
    conn = connect(str(kubeconfig or sb.kubeconfig))
    feed = ClusterFeed(conn, ns, on_snapshot=cap.snap, on_status=cap.status, **kw)
    feed.start()
    return feed


def test_connecting_then_live_with_the_seed(sb: Sandbox) -> None:
    before = threading.active_count()
    cap = Capture()
    feed = _feed(sb, cap)
    try:
        eventually(lambda: cap.state() == "live")
        assert cap.statuses[0].state == "connecting"
        eventually(lambda: cap.snapshots and {"running", "error"} <= {p.metadata.name for p in cap.last.pods})
        assert {"Pod", "Secret", "ConfigMap", "Event", "Node"} <= cap.last.synced
        assert cap.threads == {"ktui-feed"}  # callbacks never come from a reflector thread
    finally:
        assert feed.stop(3)
    assert threading.active_count() == before  # every reflector and the feed thread joined



def test_a_running_feed_collects_young_objects_less_often(sb: Sandbox) -> None:
    saved = gc.get_threshold()
    gc.set_threshold(700, *saved[1:])
    feed = _feed(sb, Capture(), "default")
    try:
        assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
    finally:
        feed.stop()
        gc.set_threshold(*saved)

def test_many_changes_make_few_snapshots(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default", max_hz=4.0)
    try:
        eventually(lambda: cap.state() == "live")
        time.sleep(0.3)
        start = len(cap.snapshots)
        t0 = time.monotonic()

        def label(n: int) -> Callable[[dict[str, Any]], None]:
            return lambda o: o["metadata"].setdefault("labels", {}).update(n=str(n))

        def burst() -> None:
            for i in range(200):
                sb.store.mutate("pods", "default", "running", label(i))

        sb.call(burst)
        eventually(lambda: (cap.last.pods and (next(p for p in cap.last.pods if p.metadata.name == "running")
                                              .metadata.labels or {}).get("n") == "199"), 5)
        elapsed = time.monotonic() - t0
        made = len(cap.snapshots) - start
        assert 1 <= made <= 4 * elapsed + 2, (made, elapsed)
        versions = [s.version for s in cap.snapshots]
        assert versions == sorted(set(versions))  # only when something changed, never twice the same
    finally:
        feed.stop()


def test_set_namespace_restarts_on_the_new_scope(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default")
    try:
        eventually(lambda: cap.state() == "live" and cap.snapshots and cap.last.pods)
        feed.set_namespace("kube-public")
        eventually(lambda: cap.state() == "live" and cap.last.synced >= {"Pod", "Node"}
                   and not any(p.metadata.namespace == "default" for p in cap.last.pods))
        assert cap.last.nodes  # cluster-scoped kinds come back after the switch
        feed.set_namespace(None)
        eventually(lambda: any(p.metadata.name == "running" for p in cap.last.pods))
    finally:
        feed.stop()


def test_forbidden_kind_shows_in_status_and_snapshot(sb: Sandbox) -> None:
    sb.faults.deny("viewer", "list", "secrets")
    cap = Capture()
    feed = _feed(sb, cap, "default", kubeconfig=sb.kubeconfig_for("viewer"))
    try:
        eventually(lambda: cap.state() == "live")
        status = cap.statuses[-1]
        assert 'cannot list resource "secrets"' in status.forbidden["list secrets"]
        eventually(lambda: "list secrets" in cap.last.forbidden and "Pod" in cap.last.synced)
        assert "Secret" not in cap.last.synced
    finally:
        feed.stop()


def test_label_selector_applies_to_pods_only(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default", label_selector="app=nginx")
    try:
        eventually(lambda: cap.state() == "live")
        eventually(lambda: [p.metadata.name for p in cap.last.pods] == ["running"])
        assert cap.last.nodes and cap.last.namespaces
    finally:
        feed.stop()


def test_cut_watches_show_reconnecting_then_live(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default", max_hz=50)
    try:
        eventually(lambda: cap.state() == "live")
        n = len(cap.statuses)

        def cut() -> bool:
            # "live" can come before every watch request reached the server: cut until one was cut.
            sb.faults.drop_watches(abort=True)
            return "reconnecting" in [s.state for s in cap.statuses[n:]]

        eventually(cut)
        eventually(lambda: cap.state() == "live")
    finally:
        feed.stop()


def test_unreachable_server_is_reported(tmp_path: Any) -> None:
    import socket

    from ktui.sandbox.kubeconfig import write_kubeconfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")
    cap = Capture()
    feed = ClusterFeed(connect(str(cfg)), None, on_snapshot=cap.snap, on_status=cap.status)
    feed.start()
    try:
        eventually(lambda: cap.state() == "unreachable", 5)
        assert "cannot reach" in cap.statuses[-1].message
    finally:
        assert feed.stop(3)


def test_server_restart_recovers_and_misses_nothing(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default", max_hz=50)
    try:
        eventually(lambda: cap.state() == "live")
        n = len(cap.statuses)
        sb.faults.restart()  # every connection drops; the store (and its resourceVersions) survive

        def relabel() -> None:
            sb.store.mutate("pods", "default", "pending",
                            lambda o: o["metadata"].setdefault("labels", {}).update(restart="seen"))

        sb.call(relabel)
        eventually(lambda: cap.state() == "live" and len(cap.statuses) > n)
        assert {"reconnecting", "unreachable"} & {s.state for s in cap.statuses[n:]}
        eventually(lambda: any((p.metadata.labels or {}).get("restart") == "seen"
                               for p in cap.last.pods if p.metadata.name == "pending"), 5)
        eventually(lambda: {p.metadata.uid: p.metadata.resource_version for p in cap.last.pods}
                   == {o["metadata"]["uid"]: o["metadata"]["resourceVersion"]
                       for o in sb.call(lambda: sb.store.list("pods", "default"))[0]}, 5)
    finally:
        assert feed.stop(3)


def test_change_after_quiet_is_delivered_at_once_with_its_change_set(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default", max_hz=2.0)  # a 500 ms interval: only a leading edge beats it
    try:
        eventually(lambda: cap.state() == "live" and cap.snapshots)
        time.sleep(0.7)  # quiet for longer than the interval
        start = len(cap.snapshots)
        t0 = time.monotonic()
        sb.call(lambda: sb.store.mutate(
            "pods", "default", "running", lambda o: o["metadata"].setdefault("labels", {}).update(edge="1")
        ))
        eventually(lambda: len(cap.snapshots) > start and any(
            (p.metadata.labels or {}).get("edge") == "1" for p in cap.last.pods
        ))
        assert time.monotonic() - t0 < 0.4  # well under the 500 ms interval
        snap = cap.last
        assert snap.changes is not None and snap.changes_since == cap.snapshots[-2].version
        changed = snap.changes["Pod"] or {}
        assert "running" in [p.metadata.name for p in changed.values() if p is not None]
    finally:
        assert feed.stop(3)


def test_a_watched_pod_shares_its_unchanged_parts_with_its_last_version(sb: Sandbox) -> None:
    cap = Capture()
    feed = _feed(sb, cap, "default")
    try:
        def running() -> r.Pod | None:
            if not cap.snapshots:
                return None
            return next((p for p in cap.last.pods if p.metadata.name == "running"), None)

        before = eventually(running)
        sb.call(lambda: sb.store.mutate(
            "pods", "default", "running",
            lambda o: o["metadata"].setdefault("annotations", {}).update(seen="1"),
        ))
        after = eventually(lambda: (p := running()) is not None and (p.metadata.annotations or {}).get("seen")
                           and p)
        assert after is not before and after.metadata.resource_version != before.metadata.resource_version
        assert after.spec is before.spec  # not a fresh copy per watch event
        assert after.status is before.status
        assert after.metadata.labels is before.metadata.labels
    finally:
        assert feed.stop(3)


def test_a_quiet_feed_hands_over_the_same_records_at_a_new_time() -> None:
    """AGE texts and time-dependent findings move on while nothing in the cluster changes."""
    with Sandbox(scenario="empty") as quiet:
        cap = Capture()
        feed = _feed(quiet, cap, clock_tick=0.2)
        try:
            eventually(lambda: cap.snapshots and "Pod" in cap.last.synced and "Event" in cap.last.synced)
            eventually(lambda: feed.store.version == cap.last.version)
            synced = cap.last
            later = eventually(lambda: next(
                (s for s in cap.snapshots if s.version == synced.version and s.now > synced.now), None))
            assert later.pods is synced.pods and later.events is synced.events  # the same records
            assert later.changes == {} and later.changes_since == synced.version
        finally:
            feed.stop()
