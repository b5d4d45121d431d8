"""Pure parts of the API server: table rows, selectors, patches, the store's own rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ktui.sandbox import podprint, tables
from ktui.sandbox.errors import ApiError
from ktui.sandbox.patch import json_patch, merge_patch, strategic_merge
from ktui.sandbox.selectors import fields_match, labels_match, parse_fields, parse_labels
from ktui.sandbox.store import Store

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (119, "119s"),
        (130, "2m10s"),
        (300, "5m"),
        (3 * 3600 - 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 1800, "3h30m"),
        (20 * 3600, "20h"),
        (2 * 86400 + 3 * 3600, "2d3h"),
        (40 * 86400, "40d"),
        (3 * 365 * 86400 + 5 * 86400, "3y5d"),
        (-5, "<invalid>"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert podprint.human_duration(seconds) == text


def pod(status: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "default", "creationTimestamp": ago(3 * 3600), **meta},
        "spec": {"containers": [{"name": "web"}], "nodeName": "node-1"},
        "status": status,
    }


def test_pod_row_crash_loop_with_restart_time() -> None:
    row = tables.row(
        "pods",
        pod(
            {
                "phase": "Running",
                "podIPs": [{"ip": "10.244.0.7"}],
                "containerStatuses": [
                    {
                        "name": "web",
                        "ready": False,
                        "restartCount": 5,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(130)}},
                    }
                ],
            }
        ),
        NOW,
    )
    assert row["cells"] == [
        "p",
        "0/1",
        "CrashLoopBackOff",
        "5 (2m10s ago)",
        "3h",
        "10.244.0.7",
        "node-1",
        "<none>",
        "<none>",
    ]
    assert (
        row["object"]["kind"] == "PartialObjectMetadata"
        and row["object"]["metadata"]["namespace"] == "default"
    )


def test_pod_row_running_ready_init_and_terminating() -> None:
    running = {
        "phase": "Running",
        "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0, "state": {"running": {}}}],
    }
    assert tables.row("pods", pod(running), NOW)["cells"][1:4] == ["1/1", "Running", "0"]
    terminating = tables.row("pods", pod(running, deletionTimestamp=ago(0)), NOW)
    assert terminating["cells"][2] == "Terminating"
    init = pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [
                {
                    "name": "init",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "PodInitializing"}},
                }
            ],
        }
    )
    init["spec"]["initContainers"] = [{"name": "init"}]
    assert tables.row("pods", init, NOW)["cells"][2] == "Init:0/1"
    failed = pod(
        {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "init", "ready": False, "restartCount": 2, "state": {"terminated": {"exitCode": 3}}}
            ],
        }
    )
    failed["spec"]["initContainers"] = [{"name": "init"}]
    assert tables.row("pods", failed, NOW)["cells"][2] == "Init:ExitCode:3"
    oom = pod(
        {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
                }
            ],
        }
    )
    assert tables.row("pods", oom, NOW)["cells"][2] == "OOMKilled"


def test_other_rows() -> None:
    node = {
        "metadata": {
            "name": "n",
            "creationTimestamp": ago(60),
            "labels": {"node-role.kubernetes.io/control-plane": ""},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "nodeInfo": {"kubeletVersion": "v1"},
        },
    }
    assert tables.row("nodes", node, NOW)["cells"][:5] == [
        "n",
        "NotReady,SchedulingDisabled",
        "control-plane",
        "60s",
        "v1",
    ]
    svc = {
        "metadata": {"name": "s", "creationTimestamp": ago(5)},
        "spec": {
            "type": "NodePort",
            "clusterIPs": ["10.96.0.3"],
            "selector": {"app": "x"},
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
        },
    }
    assert tables.row("services", svc, NOW)["cells"] == [
        "s",
        "NodePort",
        "10.96.0.3",
        "<none>",
        "80:30080/TCP,53/UDP",
        "5s",
        "app=x",
    ]
    ep = {
        "metadata": {"name": "e", "creationTimestamp": ago(5)},
        "subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(5)], "ports": [{"port": 80}]}],
    }
    assert tables.row("endpoints", ep, NOW)["cells"][1] == "10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more..."
    event = {
        "metadata": {"name": "x.1", "creationTimestamp": ago(600)},
        "involvedObject": {"kind": "Pod", "name": "web"},
        "type": "Warning",
        "reason": "BackOff",
        "message": "m ",
        "count": 4,
        "firstTimestamp": ago(600),
        "lastTimestamp": ago(60),
        "source": {"component": "kubelet", "host": "n"},
    }
    assert tables.row("events", event, NOW)["cells"] == [
        "60s",
        "Warning",
        "BackOff",
        "pod/web",
        "",
        "kubelet, n",
        "m",
        "10m",
        4,
        "x.1",
    ]
    quota = {
        "metadata": {"name": "q", "creationTimestamp": ago(5)},
        "status": {
            "hard": {"pods": "10", "limits.memory": "8Gi"},
            "used": {"pods": "3", "limits.memory": "2Gi"},
        },
    }
    assert tables.row("resourcequotas", quota, NOW)["cells"][2:] == ["pods: 3/10", "limits.memory: 2Gi/8Gi"]


def test_label_selectors() -> None:
    labels = {"app": "web", "tier": "front"}
    for text, want in [
        ("app=web", True),
        ("app==web,tier!=back", True),
        ("app in (web, api)", True),
        ("app notin (web)", False),
        ("tier", True),
        ("!tier", False),
        ("missing!=x", True),
        ("app=web,missing", False),
        ("", True),
    ]:
        assert labels_match(parse_labels(text), labels) is want, text
    with pytest.raises(ApiError) as err:
        parse_labels("app in (")
    assert err.value.code == 400


def test_field_selectors() -> None:
    ev = {
        "metadata": {"name": "e", "namespace": "d"},
        "involvedObject": {"uid": "u1", "name": "p", "kind": "Pod"},
    }
    assert fields_match(parse_fields("involvedObject.uid=u1,involvedObject.name=p", "events"), ev)
    assert not fields_match(parse_fields("involvedObject.kind!=Pod", "events"), ev)
    assert fields_match(parse_fields("regarding.uid=u1", "events.events.k8s.io"), ev)
    with pytest.raises(ApiError) as err:
        parse_fields("spec.nodeName=x", "events")
    assert err.value.code == 400 and err.value.message.endswith("field label not supported: spec.nodeName")


def test_patches() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": 3}, "l": [2]}) == {
        "a": {"c": 2, "d": 3},
        "l": [2],
    }
    spec = {
        "containers": [
            {"name": "web", "image": "a", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "s"},
        ]
    }
    patch = {
        "$setElementOrder/containers": [{"name": "web"}, {"name": "side"}],
        "containers": [{"name": "web", "image": "b"}, {"name": "side", "$patch": "delete"}],
    }
    assert strategic_merge(spec, patch) == {
        "containers": [{"name": "web", "image": "b", "ports": [{"containerPort": 80}]}]
    }
    doc = {"metadata": {"labels": {"a": "1"}}, "items": [1, 2]}
    ops = [
        {"op": "add", "path": "/metadata/labels/b", "value": "2"},
        {"op": "remove", "path": "/items/0"},
        {"op": "replace", "path": "/items/0", "value": 9},
        {"op": "test", "path": "/items/0", "value": 9},
    ]
    assert json_patch(doc, ops) == {"metadata": {"labels": {"a": "1", "b": "2"}}, "items": [9]}


def test_store_rules() -> None:
    store = Store()
    store.create("namespaces", {"metadata": {"name": "default"}})
    created = store.create(
        "pods",
        {
            "metadata": {"generateName": "web-"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        },
    )
    name = created["metadata"]["name"]
    assert name.startswith("web-") and len(name) == 9
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert created["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    seen: list[tuple[str, str]] = []
    store.subscribe(lambda typ, res, obj, old: seen.append((typ, obj["metadata"]["resourceVersion"])))
    store.graceful_pod_deletion = True
    store.mutate("pods", "default", name, lambda p: p["spec"].update(nodeName="node-1"))
    marked = store.delete("pods", "default", name)
    assert marked["metadata"]["deletionTimestamp"] and store.get("pods", "default", name) is not None
    store.remove("pods", "default", name)
    assert [t for t, _ in seen] == ["MODIFIED", "MODIFIED", "DELETED"]
    assert [int(rv) for _, rv in seen] == sorted(int(rv) for _, rv in seen)
    with pytest.raises(ApiError) as err:
        store.changes_since(store.oldest_version - 1)
    assert err.value.code == 410
    store.create("configmaps", {"metadata": {"name": "c", "namespace": "default", "finalizers": ["x/y"]}})
    store.delete("configmaps", "default", "c")
    assert store.get("configmaps", "default", "c") is not None  # held by its finalizer
    store.mutate("configmaps", "default", "c", lambda o: o["metadata"].update(finalizers=[]))
    assert store.get("configmaps", "default", "c") is None
    store.delete("namespaces", None, "default")
    assert store.get("namespaces", None, "default") is None


def test_bulk_create_keeps_only_the_named_server_fields() -> None:
    store = Store()
    store.create("namespaces", {"metadata": {"name": "default"}})
    given = {
        "uid": "0f0f0f0f-0000-4000-8000-000000000001",
        "creationTimestamp": "2020-01-02T03:04:05Z",
        "managedFields": [{"manager": "kubelet", "operation": "Update"}],
    }

    def pod(name: str) -> dict[str, Any]:
        return {
            "metadata": {"name": name, **given},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }

    keep = ("uid", "creationTimestamp", "managedFields")
    assert store.bulk_create("pods", [pod("kept")], keep=keep) == 1
    assert store.bulk_create("pods", [pod("fresh")]) == 1
    kept, fresh = store.get("pods", "default", "kept"), store.get("pods", "default", "fresh")
    assert kept is not None and fresh is not None
    assert {k: kept["metadata"][k] for k in keep} == given  # loaded as it existed before
    assert fresh["metadata"]["uid"] != given["uid"] and "managedFields" not in fresh["metadata"]
    assert fresh["metadata"]["creationTimestamp"] != given["creationTimestamp"]
