"""ClusterSource.prefetch on a sandbox: pods listed before the app exists, delivered only once it starts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping

import pytest

from ktui.kube.client import connect
from ktui.resources import ClusterSnapshot
from ktui.sandbox.runner import Sandbox
from ktui.ui.source import ClusterSource
from tests.kube.kube_helpers import eventually


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenario="seed", speed=20.0) as sb:
        yield sb


class Capture:
    """What the app's callbacks receive, and on which thread."""

    def __init__(self) -> None:
        self.snapshots: list[ClusterSnapshot] = []
        self.states: list[str] = []
        self.lock = threading.Lock()

    def snap(self, snapshot: ClusterSnapshot) -> None:
        with self.lock:
            self.snapshots.append(snapshot)

    def status(self, state: str, message: str, forbidden: Mapping[str, str]) -> None:
        with self.lock:
            self.states.append(state)


def test_prefetched_pods_wait_for_start_then_come_first(sandbox: Sandbox) -> None:
    source = ClusterSource(connect(str(sandbox.kubeconfig)), "default")
    source.prefetch()
    try:
        feed = source._feed
        assert feed is not None
        eventually(lambda: feed.store.count("Pod") > 0)
        # Listed, but nothing handed over: there is nobody to hand it to yet.
        assert feed.snapshots == 0
        cap = Capture()
        source.start(cap.snap, cap.status)
        eventually(lambda: cap.snapshots and "live" in cap.states)
        assert cap.states[0] == "connecting"
        assert cap.snapshots[0].pods, "the first snapshot handed over holds the prefetched pods"
        assert source._feed is feed  # start() took over the running feed, it did not list again
    finally:
        source.stop()


def test_stopping_a_prefetched_source_that_never_started_ends_its_threads(sandbox: Sandbox) -> None:
    source = ClusterSource(connect(str(sandbox.kubeconfig)), "default")
    source.prefetch()
    feed = source._feed
    assert feed is not None and feed._thread is not None
    feed_thread = feed._thread
    eventually(lambda: feed.store.count("Pod") > 0)
    t0 = time.monotonic()
    source.stop()  # its feed thread waits for callbacks that will never come: the stop must free it
    assert time.monotonic() - t0 < 2.0
    assert not feed_thread.is_alive()
