"""model/tables.py: kubectl's pod columns, durations, filters and scoped events, on fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ktui.decode import decode_object
from ktui.model import tables as t
from ktui.resources import ClusterSnapshot, Pod

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_pod(
    status: dict[str, Any],
    *,
    containers: int = 1,
    init: int = 0,
    deleting: bool = False,
    meta: dict[str, Any] | None = None,
) -> Pod:
    metadata = {
        "name": "p",
        "namespace": "default",
        "uid": "u1",
        "creationTimestamp": ts(3600),
        **(meta or {}),
    }
    if deleting:
        metadata["deletionTimestamp"] = ts(5)
    spec = {
        "containers": [{"name": f"c{i}"} for i in range(containers)],
        "initContainers": [{"name": f"i{i}"} for i in range(init)],
        "nodeName": "node-1",
    }
    pod = decode_object({"kind": "Pod", "metadata": metadata, "spec": spec, "status": status})
    assert isinstance(pod, Pod)
    return pod


def cs(
    name: str = "c0",
    *,
    ready: bool = False,
    restarts: int = 0,
    state: dict[str, Any] | None = None,
    last: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": state or {},
        "lastState": last or {},
    }


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (45, "45s"),
        (119, "119s"),
        (120, "2m"),
        (310, "5m10s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 300, "3h5m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (51 * 3600, "2d3h"),
        (8 * 86400, "8d"),
        (800 * 86400, "2y70d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_kubectl(seconds: float, expected: str) -> None:
    assert t.human_duration(seconds) == expected


def test_running_ready_pod() -> None:
    pod = make_pod({"phase": "Running", "containerStatuses": [cs(ready=True, state={"running": {}})]})
    line = t.pod_status(pod)
    assert (line.ready, line.status, line.restarts) == ("1/1", "Running", 0)


def test_waiting_reason_overrides_phase() -> None:
    pod = make_pod(
        {
            "phase": "Pending",
            "containerStatuses": [
                cs(state={"waiting": {"reason": "ImagePullBackOff", "message": "Back-off"}})
            ],
        }
    )
    assert t.pod_status(pod).status == "ImagePullBackOff"


def test_crashloop_restarts_with_last_restart_age() -> None:
    pod = make_pod(
        {
            "phase": "Running",
            "containerStatuses": [
                cs(
                    restarts=5,
                    state={"waiting": {"reason": "CrashLoopBackOff"}},
                    last={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ts(130)}},
                )
            ],
        }
    )
    line = t.pod_status(pod)
    assert line.status == "CrashLoopBackOff"
    assert t.restarts_text(line, NOW) == "5 (2m10s ago)"
    assert t.pod_row(pod, NOW, "error").restarts == "5 (2m10s ago)"


def test_terminated_without_reason_prints_signal_or_exit_code() -> None:
    signal = make_pod(
        {"phase": "Running", "containerStatuses": [cs(state={"terminated": {"exitCode": 137, "signal": 9}})]}
    )
    code = make_pod({"phase": "Running", "containerStatuses": [cs(state={"terminated": {"exitCode": 3}})]})
    reason = make_pod(
        {
            "phase": "Running",
            "containerStatuses": [cs(state={"terminated": {"exitCode": 137, "reason": "OOMKilled"}})],
        }
    )
    assert t.pod_status(signal).status == "Signal:9"
    assert t.pod_status(code).status == "ExitCode:3"
    assert t.pod_status(reason).status == "OOMKilled"


def test_init_container_states() -> None:
    waiting = make_pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [cs("i0", state={"waiting": {"reason": "ImagePullBackOff"}})],
        },
        init=1,
    )
    failed = make_pod(
        {"phase": "Pending", "initContainerStatuses": [cs("i0", state={"terminated": {"exitCode": 2}})]},
        init=1,
    )
    second = make_pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [
                cs("i0", state={"terminated": {"exitCode": 0}}),
                cs("i1", state={"running": {}}),
            ],
        },
        init=2,
    )
    assert t.pod_status(waiting).status == "Init:ImagePullBackOff"
    assert t.pod_status(failed).status == "Init:ExitCode:2"
    assert t.pod_status(second).status == "Init:1/2"


def test_terminating_and_completed_with_running_sidecar() -> None:
    deleting = make_pod(
        {"phase": "Running", "containerStatuses": [cs(ready=True, state={"running": {}})]}, deleting=True
    )
    assert t.pod_status(deleting).status == "Terminating"
    done = make_pod(
        {
            "phase": "Succeeded",
            "containerStatuses": [cs(state={"terminated": {"exitCode": 0, "reason": "Completed"}})],
        },
        deleting=True,
    )
    assert t.pod_status(done).status == "Completed"
    mixed = make_pod(
        {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                cs("c0", state={"terminated": {"exitCode": 0, "reason": "Completed"}}),
                cs("c1", ready=True, state={"running": {}}),
            ],
        },
        containers=2,
    )
    assert t.pod_status(mixed).status == "NotReady"
    assert t.pod_status(mixed).ready == "1/2"


def test_status_reason_evicted() -> None:
    pod = make_pod({"phase": "Failed", "reason": "Evicted", "message": "low on memory"})
    assert t.pod_status(pod).status == "Evicted"


def test_unscheduled_row_has_no_node() -> None:
    pod = decode_object(
        {
            "kind": "Pod",
            "metadata": {"name": "x", "uid": "u", "creationTimestamp": ts(45)},
            "spec": {"containers": [{"name": "web"}]},
            "status": {"phase": "Pending"},
        }
    )
    row = t.pod_row(pod, NOW)  # type: ignore[arg-type]
    assert (row.node, row.age, row.status, row.ready) == ("<none>", "45s", "Pending", "0/1")


def rows() -> list[t.PodRow]:
    base = dict(ready="1/1", restarts="0", age="1m", restart_count=0, created=0.0)
    return [
        t.PodRow(
            uid="a",
            namespace="default",
            name="web-1",
            status="Running",
            node="n1",
            severity="info",
            labels=(("app", "web"), ("tier", "front")),
            search_text="default/web-1 running n1",
            **base,
        ),
        t.PodRow(
            uid="b",
            namespace="default",
            name="db-0",
            status="CrashLoopBackOff",
            node="n2",
            severity="error",
            labels=(("app", "db"),),
            search_text="default/db-0 crashloopbackoff n2",
            **base,
        ),
        t.PodRow(
            uid="c",
            namespace="shop",
            name="cart",
            status="Pending",
            node="<none>",
            severity="warning",
            labels=(),
            search_text="shop/cart pending <none>",
            **base,
        ),
    ]


def test_filter_text_selector_and_problems() -> None:
    assert [r.uid for r in t.RowFilter.parse("crash").apply(rows())] == ["b"]
    assert [r.uid for r in t.RowFilter.parse("app=web").apply(rows())] == ["a"]
    assert [r.uid for r in t.RowFilter.parse("-l app!=web").apply(rows())] == ["b", "c"]
    assert [r.uid for r in t.RowFilter.parse("-l app in (web, db),tier").apply(rows())] == ["a"]
    assert [r.uid for r in t.RowFilter.parse("!app").apply(rows())] == ["c"]
    assert [r.uid for r in t.RowFilter.parse("", problems_only=True).apply(rows())] == ["b", "c"]
    with pytest.raises(t.SelectorError):
        t.RowFilter.parse("-l =x").apply(rows())


def test_sort_severity_first_then_name() -> None:
    assert [r.uid for r in t.sort_rows(rows(), "severity")] == ["b", "c", "a"]
    assert [r.uid for r in t.sort_rows(rows(), "name")] == ["b", "a", "c"]
    assert [r.uid for r in t.sort_rows(rows(), "name", reverse=True)] == ["c", "a", "b"]


def _event(
    uid: str,
    *,
    kind: str = "Pod",
    type_: str = "Normal",
    reason: str = "Started",
    count: int = 1,
    first: float = 60,
    last: float = 60,
    **extra: Any,
) -> Any:
    return decode_object(
        {
            "kind": "Event",
            "metadata": {"name": f"e-{uid}-{reason}", "uid": f"e{reason}{uid}"},
            "involvedObject": {"kind": kind, "name": uid, "uid": uid},
            "type": type_,
            "reason": reason,
            "message": f"{reason} message",
            "count": count,
            "firstTimestamp": ts(first),
            "lastTimestamp": ts(last),
            **extra,
        }
    )


def test_scoped_events_follow_owner_chain_and_put_warnings_first() -> None:
    owner = {"kind": "ReplicaSet", "name": "web-7f9c", "uid": "rs1", "controller": True}
    pod = make_pod(
        {"phase": "Running"}, meta={"uid": "pod1", "name": "web-7f9c-abcde", "ownerReferences": [owner]}
    )
    rs = decode_object(
        {
            "kind": "ReplicaSet",
            "metadata": {
                "name": "web-7f9c",
                "uid": "rs1",
                "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "dep1", "controller": True}],
            },
        }
    )
    dep = decode_object({"kind": "Deployment", "metadata": {"name": "web", "uid": "dep1"}})
    events = (
        _event("pod1", reason="Started", last=5),
        _event("pod1", type_="Warning", reason="BackOff", count=4, first=600, last=120),
        _event("rs1", kind="ReplicaSet", reason="SuccessfulCreate", last=700),
        _event("dep1", kind="Deployment", reason="ScalingReplicaSet", last=800),
        _event("other", reason="Started", last=1),
        _event(
            "pod1",
            type_="Warning",
            reason="Unhealthy",
            eventTime="2026-11-27T11:50:00.000000Z",
            series={"count": 7, "lastObservedTime": "2026-11-27T11:59:00.000000Z"},
            count=None,
            firstTimestamp=None,
            lastTimestamp=None,
        ),
    )
    snap = ClusterSnapshot(now=NOW, pods=(pod,), replica_sets=(rs,), deployments=(dep,), events=events)  # type: ignore[arg-type]
    got = t.scoped_events(snap, pod)
    assert [(e.type, e.reason) for e in got] == [
        ("Warning", "Unhealthy"),
        ("Warning", "BackOff"),
        ("Normal", "Started"),
        ("Normal", "SuccessfulCreate"),
        ("Normal", "ScalingReplicaSet"),
    ]
    assert got[0].age == "60s (x7 over 10m)"
    assert got[1].age == "2m (x4 over 10m)"
    assert (
        got[2].object == "" and got[3].object == "ReplicaSet/web-7f9c" and got[4].object == "Deployment/web"
    )


def test_why_no_logs_explains_waiting_and_unscheduled_and_previous() -> None:
    waiting = make_pod(
        {
            "phase": "Pending",
            "containerStatuses": [
                cs(state={"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "x"'}})
            ],
        }
    )
    assert t.why_no_logs(waiting, "c0", False) == (
        'No logs: container "c0" is waiting to start (ImagePullBackOff): Back-off pulling image "x".'
    )
    assert "has not restarted" in t.why_no_logs(
        waiting, "c0", True, "previous terminated container not found"
    )
    unscheduled = decode_object(
        {
            "kind": "Pod",
            "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "w"}]},
            "status": {
                "phase": "Pending",
                "conditions": [
                    {"type": "PodScheduled", "status": "False", "message": "0/1 nodes are available"}
                ],
            },
        }
    )
    assert t.why_no_logs(unscheduled, "w", False).endswith(
        "no container has started: 0/1 nodes are available"
    )  # type: ignore[arg-type]
    crashed = make_pod(
        {
            "phase": "Running",
            "containerStatuses": [
                cs(
                    restarts=2,
                    state={"waiting": {"reason": "CrashLoopBackOff"}},
                    last={"terminated": {"exitCode": 1}},
                )
            ],
        }
    )
    assert "Press p for the previous run's logs" in t.why_no_logs(crashed, "c0", False)


def test_container_names_default_annotation_first() -> None:
    pod = make_pod(
        {}, containers=2, init=1, meta={"annotations": {"kubectl.kubernetes.io/default-container": "c1"}}
    )
    assert t.container_names(pod) == ["c1", "c0", "i0"]
