"""Pure parts of the kubelet: image references, durations, back-off, the recorder's aggregation."""

from __future__ import annotations

import pytest

from ktui.sandbox.clock import SimClock
from ktui.sandbox.kubelet.images import Catalog, InvalidReference, PullError, go_duration, parse_reference
from ktui.sandbox.kubelet.pulls import Backoff
from ktui.sandbox.recorder import EventRecorder
from ktui.sandbox.store import Store


def test_references_normalize_like_distribution() -> None:
    assert str(parse_reference("nginx")) == "docker.io/library/nginx:latest"
    assert str(parse_reference("bitnami/redis:7")) == "docker.io/bitnami/redis:7"
    assert str(parse_reference("registry.local:5000/app")) == "registry.local:5000/app:latest"
    with pytest.raises(InvalidReference, match=r"^invalid reference format$"):
        parse_reference("nginx:1.27:bad")
    with pytest.raises(InvalidReference, match=r"repository name \(library/Nginx\) must be lowercase"):
        parse_reference("Nginx")


def test_go_durations() -> None:
    assert [go_duration(x) for x in (0.544, 1.0131, 10, 160, 300)] == [
        "544ms",
        "1.013s",
        "10s",
        "2m40s",
        "5m0s",
    ]


def test_crash_backoff_doubles_to_five_minutes() -> None:
    b = Backoff()
    durations = []
    for t in range(0, 3000, 300):
        b.next(float(t), float(t))
        durations.append(b.duration)
    assert durations[:6] == [10, 20, 40, 80, 160, 300]
    assert b.in_backoff_since(2700.0, 2750.0) and not b.in_backoff_since(2000.0, 2750.0)


def test_catalog_failures_quote_containerd() -> None:
    catalog = Catalog.load()
    with pytest.raises(PullError) as err:
        catalog.pull(parse_reference("acme/nothing:1"), [])
    assert str(err.value).startswith(
        'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/acme/nothing:1"'
    )
    assert "pull access denied, repository does not exist or may require authorization" in str(err.value)
    with pytest.raises(PullError) as err:
        catalog.pull(parse_reference("registry.local:5000/app:1"), [])
    assert str(err.value).endswith("x509: certificate signed by unknown authority")
    assert catalog.pull(parse_reference("nginx:1.25"), []).version == "1.25.5"


def test_legacy_events_aggregate_and_scheduler_events_use_series() -> None:
    clock = SimClock(1)
    store = Store(clock)
    store.create("namespaces", {"metadata": {"name": "default"}})
    pod = store.create(
        "pods",
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "web", "image": "x"}]}},
        namespace="default",
    )
    rec = EventRecorder(store, clock)
    for _ in range(3):
        rec.kubelet_event(
            pod,
            "Normal",
            "BackOff",
            'Back-off pulling image "x"',
            field_path="spec.containers{web}",
            host="node-1",
        )
    events = store.list("events", "default")[0]
    assert len(events) == 1 and events[0]["count"] == 3 and events[0]["eventTime"] is None
    assert events[0]["metadata"]["name"].startswith("p.") and len(events[0]["metadata"]["name"]) == 2 + 16
    assert events[0]["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert events[0]["reportingComponent"] == "kubelet" and events[0]["reportingInstance"] == "node-1"
    for _ in range(3):
        rec.scheduler_event(pod, "Warning", "FailedScheduling", "0/1 nodes are available", host="kind")
    sched = [e for e in store.list("events", "default")[0] if e["reason"] == "FailedScheduling"]
    assert len(sched) == 1 and sched[0]["series"]["count"] == 2  # later repeats wait for the 30-min refresh
    assert sched[0]["reportingInstance"] == "default-scheduler-kind" and sched[0]["firstTimestamp"] is None
    for i in range(10):
        rec.kubelet_event(pod, "Warning", "Unhealthy", f"Readiness probe failed: {i}", host="node-1")
    combined = [e for e in store.list("events", "default")[0] if e["message"].startswith("(combined")]
    assert len(combined) == 1
