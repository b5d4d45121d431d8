"""The correctness traps: uid-matched events, null lastTimestamp, mixed scheduler messages, decoy claims,
OOM kills behind a Running container, and healthy objects that must not raise a false alarm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from ktui.diagnosis import Severity, diagnose
from ktui.diagnosis.rules.events import EventIndex, event_line, human_duration
from ktui.diagnosis.rules.scheduling import parse_reasons
from ktui.resources import Event, EventSeries, ObjectMeta, ObjectReference

from .helpers import findings, root, snapshot_of

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_healthy_cluster_has_no_error_or_warning() -> None:
    d = diagnose(snapshot_of("healthy.json"))
    bad = [
        (f.subject.kind, f.subject.name, f.category)
        for f in d.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]
    assert bad == []
    assert len(d.subjects()) == 17  # the CronJob is skipped, everything else judged
    assert root(d, "Pod", "fresh").category == "pod_starting"  # 20 s in ContainerCreating is normal


def test_events_of_a_previous_pod_with_the_same_name_are_not_this_pods() -> None:
    # db-0 was recreated: the image-pull failure belongs to the old uid
    assert root(diagnose(snapshot_of("healthy.json")), "Pod", "db-0").category == "healthy"


def test_events_without_uid_match_by_name() -> None:
    f = root(diagnose(snapshot_of("image_pull_access_denied-docker.yaml")), "Pod", "private-app")
    assert any(e.startswith("Failed x3 over ") and "pull access denied" in e for e in f.evidence)


def test_new_style_event_times_come_from_series_and_event_time() -> None:
    ev = Event(
        metadata=ObjectMeta(name="p.1", namespace="default"),
        involved_object=ObjectReference(kind="Pod", namespace="default", name="p", uid="u1"),
        reason="FailedScheduling",
        message="0/1 nodes are available: 1 Insufficient cpu.",
        event_time=NOW - timedelta(minutes=49),
        series=EventSeries(count=4, last_observed_time=NOW - timedelta(minutes=9, seconds=19)),
    )
    assert event_line(ev, NOW) == "FailedScheduling x4 over 49m: 0/1 nodes are available: 1 Insufficient cpu."
    single = Event(
        metadata=ObjectMeta(name="p.2", namespace="default"),
        reason="Killing",
        message="Stopping",
        involved_object=ObjectReference(kind="Pod", namespace="default", name="p"),
        event_time=NOW - timedelta(seconds=45),
    )
    assert event_line(single, NOW) == "Killing 45s ago: Stopping"
    idx = EventIndex((ev, single))
    assert idx.for_object("Pod", "default", "p", "u1") == [single, ev]  # uid match + uid-less by name
    assert idx.for_object("Pod", "default", "p", "other-uid") == [single]


def test_human_duration_matches_kubectl() -> None:
    cases = {
        5: "5s",
        119: "119s",
        520: "8m40s",
        600: "10m",
        9720: "162m",
        18600: "5h10m",
        108000: "30h",
        277200: "3d5h",
        3456000: "40d",
    }
    for seconds, text in cases.items():
        assert human_duration(timedelta(seconds=seconds)) == text


def test_control_plane_taint_beside_insufficient_cpu_is_not_a_taint_problem() -> None:
    msg = (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    reasons = parse_reasons(msg)
    assert [(r.count, r.category, r.expected) for r in reasons] == [
        (1, "unschedulable_taint", True),
        (2, "unschedulable_insufficient_resources", False),
    ]
    f = root(diagnose(snapshot_of("scheduling.yaml")), "Pod", "big")
    assert f.category == "unschedulable_insufficient_resources"


def test_only_a_control_plane_taint_is_a_taint_problem() -> None:
    reasons = parse_reasons(
        "0/1 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available."
    )
    assert [r.category for r in reasons] == ["unschedulable_taint"]


def test_wait_for_first_consumer_claim_is_a_decoy() -> None:
    d = diagnose(snapshot_of("pvc_unbound.yaml"))
    assert root(d, "Pod", "cache-0").category == "unschedulable_insufficient_resources"
    claim = root(d, "PersistentVolumeClaim", "cache-data")
    assert claim.category == "pvc_waiting" and claim.severity == Severity.INFO


def test_running_container_whose_last_state_was_oom_killed() -> None:
    f = root(diagnose(snapshot_of("oom_killed.yaml")), "Pod", "indexer")
    assert (f.category, f.severity) == ("oom_killed", Severity.ERROR)
    assert "7 restarts" in f.summary and "512Mi" in f.summary
    assert any("OOMKilled, exit code 137" in e for e in f.evidence)


def test_one_old_oom_kill_on_a_healthy_pod_is_not_an_alarm() -> None:
    assert root(diagnose(snapshot_of("healthy.json")), "Pod", "web-7d4b9c-aaaaa").category == "healthy"


def test_docker_era_and_containerd_wordings_classify_alike() -> None:
    d = diagnose(snapshot_of("bad_command.yaml"))
    assert root(d, "Pod", "api-typo").category == root(d, "Pod", "api-typo-docker").category == "bad_command"
    assert '"pythn"' in root(d, "Pod", "api-typo-docker").summary
    assert root(d, "Pod", "legacy").category == "container_runtime_error"  # docker-era missing absolute path
    tags = diagnose(snapshot_of("image_tag_not_found-docker.yaml"))
    assert root(tags, "Pod", "shop-7d9f8b6c5d-x2x9q").category == "image_tag_not_found"


def test_service_gets_its_own_hop_first_then_the_pods_fault() -> None:
    cats = [f.category for f in findings(diagnose(snapshot_of("probes.yaml")), "Service", "web-ready")]
    assert cats == ["service_no_ready_endpoints", "readiness_probe_failure"]


def test_fresh_container_failing_its_first_probes_is_starting_not_failing() -> None:
    snap = snapshot_of("probes.yaml")
    first = next(e for e in snap.events if e.involved_object.name == "web-ready")
    early = msgspec.structs.replace(
        first, count=2, last_timestamp=datetime(2026, 11, 27, 11, 30, 25, tzinfo=UTC)
    )
    young = msgspec.structs.replace(snap, now=datetime(2026, 11, 27, 11, 30, 40, tzinfo=UTC), events=(early,))
    f = root(diagnose(young), "Pod", "web-ready")
    assert (f.category, f.severity) == ("pod_starting", Severity.INFO)
    # the same young pod after failing well past its threshold: a verdict, whatever its age
    many = msgspec.structs.replace(young, events=(msgspec.structs.replace(early, count=9),))
    assert root(diagnose(many), "Pod", "web-ready").category == "readiness_probe_failure"
