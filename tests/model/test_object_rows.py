"""The Services / Ingresses / Deployments / ReplicaSets / Nodes rows, on records at a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ktui.decode import decode_object
from ktui.model.object_rows import (
    COLUMNS,
    ObjectRow,
    deployment_rows,
    filter_object_rows,
    ingress_rows,
    node_rows,
    object_events,
    object_rows,
    replica_set_rows,
    selector_query,
    service_rows,
    sort_object_rows,
)
from ktui.model.tables import SelectorError
from ktui.resources import SNAPSHOT_FIELD_BY_KIND, ClusterSnapshot

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, kind: str, ns: str = "default", age: float = 300, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "uid": f"uid-{kind}-{name}", "creationTimestamp": ts(age), **extra}


def snapshot(*objects: dict[str, Any], forbidden: dict[str, str] | None = None) -> ClusterSnapshot:
    fields: dict[str, list[Any]] = {}
    for obj in objects:
        record = decode_object(obj)
        fields.setdefault(SNAPSHOT_FIELD_BY_KIND[record.kind], []).append(record)
    records: dict[str, Any] = {k: tuple(v) for k, v in fields.items()}
    return ClusterSnapshot(now=NOW, forbidden=forbidden or {}, **records)


def service(
    name: str, selector: dict[str, str] | None, ports: list[dict[str, Any]], **spec: Any
) -> dict[str, Any]:
    return {
        "kind": "Service",
        "metadata": meta(name, "svc"),
        "spec": {"selector": selector, "ports": ports, "clusterIP": "10.96.0.10", **spec},
    }


def slice_(service_name: str, ready: list[bool | None]) -> dict[str, Any]:
    return {
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service_name}-x",
            "namespace": "default",
            "uid": f"uid-eps-{service_name}",
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": [f"10.244.0.{i}"], "conditions": {"ready": r}} for i, r in enumerate(ready, 1)
        ],
        "ports": [{"name": "http", "port": 80}],
    }


SERVICES = (
    service("web", {"app": "web"}, [{"name": "http", "port": 80, "targetPort": "http"}]),
    service("typo", {"app": "ngnix"}, [{"port": 80, "targetPort": 80}]),
    service(
        "edge",
        {"app": "edge"},
        [{"port": 80, "targetPort": 8080, "nodePort": 30080}, {"port": 53, "protocol": "UDP"}],
        type="NodePort",
    ),
    service("ext", None, [], type="ExternalName", externalName="db.example.com"),
    slice_("web", [True, False, None]),
)


def test_service_columns_ports_selector_and_endpoints() -> None:
    snap = snapshot(*SERVICES)
    verdicts = {"uid-svc-typo": "error"}
    summaries = {"uid-svc-typo": "selector app=ngnix matches no pod", "uid-svc-web": "2 ready endpoints"}
    rows = {r.name: r for r in service_rows(snap, verdicts, summaries)}
    web = rows["web"]
    assert web.cells == (
        "web",
        "ClusterIP",
        "10.96.0.10",
        "80→http",
        "app=web",
        "2/3",
        "5m",
        "2 ready endpoints",
    )
    assert web.severity == "info" and web.pods_query == "-l app=web"
    assert rows["typo"].cell("ENDPOINTS") == "0/0" and rows["typo"].severity == "error"
    assert rows["typo"].cell("VERDICT") == "selector app=ngnix matches no pod"
    assert rows["typo"].cell("PORTS") == "80"  # targetPort equal to the port is not repeated
    assert rows["edge"].cell("PORTS") == "80:30080→8080,53/UDP"
    assert rows["ext"].cell("ENDPOINTS") == "→ db.example.com"
    assert rows["ext"].cell("SELECTOR") == "<none>" and rows["ext"].pods_query == ""
    assert "ngnix" in rows["typo"].search_text


def test_endpoints_unknown_when_slices_are_forbidden() -> None:
    snap = snapshot(*SERVICES, forbidden={"list endpointslices": "forbidden"})
    rows = {r.name: r for r in service_rows(snap, {})}
    assert rows["web"].cell("ENDPOINTS") == "?"


def test_core_endpoints_count_when_there_are_no_slices() -> None:
    endpoints = {
        "kind": "Endpoints",
        "metadata": meta("typo", "ep"),
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "notReadyAddresses": [{"ip": "10.0.0.2"}]}],
    }
    rows = {r.name: r for r in service_rows(snapshot(*SERVICES, endpoints), {})}
    assert rows["typo"].cell("ENDPOINTS") == "1/2"
    assert rows["web"].cell("ENDPOINTS") == "2/3"  # slices win where they exist


def ingress(name: str, rules: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "kind": "Ingress",
        "metadata": meta(name, "ing"),
        "spec": {"ingressClassName": "nginx", "rules": rules, **spec},
        "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.10"}]}},
    }


def rule(host: str | None, *backends: tuple[str, str, int | str]) -> dict[str, Any]:
    paths = []
    for path, name, port in backends:
        port_spec = {"number": port} if isinstance(port, int) else {"name": port}
        paths.append(
            {"path": path, "pathType": "Prefix", "backend": {"service": {"name": name, "port": port_spec}}}
        )
    out: dict[str, Any] = {"http": {"paths": paths}}
    if host:
        out["host"] = host
    return out


def test_ingress_columns_and_the_pods_behind_one_backend() -> None:
    snap = snapshot(
        *SERVICES,
        ingress("shop", [rule("shop.test", ("/", "web", 80), ("/api", "web", "http"))]),
        ingress("broken", [rule(None, ("/", "missing", 80))]),
        ingress("two", [rule("a.test", ("/", "web", 80)), rule("b.test", ("/", "edge", 80))]),
    )
    rows = {r.name: r for r in ingress_rows(snap, {"uid-ing-broken": "error"})}
    shop = rows["shop"]
    assert shop.cells[:5] == ("shop", "nginx", "shop.test", "10.0.0.10", "web:80,web:http")
    assert shop.pods_query == "-l app=web"
    assert rows["broken"].cell("HOSTS") == "*" and rows["broken"].cell("BACKENDS") == "missing:80"
    assert rows["broken"].pods_query == "" and rows["broken"].severity == "error"
    assert rows["two"].cell("HOSTS") == "a.test,b.test"
    assert rows["two"].pods_query == ""  # two Services with different selectors: no one pod filter


def workload(
    kind: str, name: str, replicas: int, status: dict[str, int], owner: str | None = None
) -> dict[str, Any]:
    m = meta(name, kind.lower(), age=7200)
    if owner:
        m["ownerReferences"] = [{"kind": "Deployment", "name": owner, "uid": f"uid-deployment-{owner}"}]
    return {
        "kind": kind,
        "metadata": m,
        "spec": {
            "replicas": replicas,
            "selector": {
                "matchLabels": {"app": name.split("-")[0]},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}],
            },
        },
        "status": status,
    }


def test_deployment_and_replica_set_columns() -> None:
    snap = snapshot(
        workload("Deployment", "api", 3, {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}),
        workload("ReplicaSet", "api-7f9c", 3, {"replicas": 3, "readyReplicas": 1}, owner="api"),
    )
    [dep] = deployment_rows(snap, {"uid-deployment-api": "warning"}, {"uid-deployment-api": "1/3 available"})
    assert dep.cells == ("api", "1/3", "2", "1", "120m", "1/3 available")
    assert dep.severity == "warning"
    assert dep.pods_query == "-l app=api,tier in (a,b)"
    [rs] = replica_set_rows(snap, {})
    assert rs.cells == ("api-7f9c", "3", "3", "1", "120m", "")


def test_selector_query_every_operator() -> None:
    class Expr:
        def __init__(self, key: str, operator: str, values: tuple[str, ...] | None = None) -> None:
            self.key, self.operator, self.values = key, operator, values

    exprs = [Expr("env", "NotIn", ("dev",)), Expr("canary", "Exists"), Expr("legacy", "DoesNotExist")]
    assert selector_query({"app": "web"}, exprs) == "-l app=web,env notin (dev),canary,!legacy"
    assert selector_query(None) == "" and selector_query({}) == ""


def node(name: str, ready: str, labels: dict[str, str], unschedulable: bool = False) -> dict[str, Any]:
    return {
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"uid-node-{name}",
            "creationTimestamp": ts(86400 * 3),
            "labels": labels,
        },
        "spec": {"unschedulable": unschedulable},
        "status": {"conditions": [{"type": "Ready", "status": ready}]},
    }


def test_node_status_roles_and_pods_query() -> None:
    snap = snapshot(
        node("cp", "True", {"node-role.kubernetes.io/control-plane": ""}),
        node("w1", "False", {}, unschedulable=True),
        node("w2", "Unknown", {"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "gpu"}),
    )
    rows = {r.name: r for r in node_rows(snap, {"uid-node-w1": "error"})}
    assert rows["cp"].cells[:4] == ("cp", "Ready", "control-plane", "3d")
    assert rows["w1"].cell("STATUS") == "NotReady,SchedulingDisabled" and rows["w1"].cell("ROLES") == "<none>"
    assert rows["w2"].cell("STATUS") == "Unknown" and rows["w2"].cell("ROLES") == "gpu,worker"
    assert rows["w1"].pods_query == "w1"


def test_every_kind_has_its_columns() -> None:
    snap = snapshot(*SERVICES, node("cp", "True", {}))
    rows = object_rows(snap, {})
    assert set(rows) == set(COLUMNS)
    for kind, kind_rows in rows.items():
        for row in kind_rows:
            assert len(row.cells) == len(COLUMNS[kind]), kind


def _rows() -> list[ObjectRow]:
    snap = snapshot(*SERVICES)
    return list(service_rows(snap, {"uid-svc-typo": "error", "uid-svc-edge": "warning"}))


def test_filter_text_selector_and_problems_only() -> None:
    rows = _rows()
    assert [r.name for r in filter_object_rows(rows, "ngnix")] == ["typo"]
    assert {r.name for r in filter_object_rows(rows, "", problems_only=True)} == {"typo", "edge"}
    assert [r.name for r in filter_object_rows(rows, "nodeport")] == ["edge"]
    with pytest.raises(SelectorError):
        filter_object_rows(rows, "-l a b=c")


def test_filter_by_label_selector_on_the_objects_labels() -> None:
    labelled = service("labelled", {"app": "x"}, [])
    labelled["metadata"]["labels"] = {"team": "payments"}
    rows = service_rows(snapshot(*SERVICES, labelled), {})
    assert [r.name for r in filter_object_rows(rows, "team=payments")] == ["labelled"]
    assert [r.name for r in filter_object_rows(rows, "-l team")] == ["labelled"]


def test_sort_worst_first_then_name_and_by_age() -> None:
    rows = _rows()
    assert [r.name for r in sort_object_rows(rows, "severity")] == ["typo", "edge", "ext", "web"]
    assert [r.name for r in sort_object_rows(rows, "name")] == ["edge", "ext", "typo", "web"]
    assert [r.name for r in sort_object_rows(rows, "name", reverse=True)] == ["web", "typo", "ext", "edge"]


def test_deployment_events_include_its_replica_sets() -> None:
    def event(name: str, kind: str, target: str, type_: str, reason: str, last: float) -> dict[str, Any]:
        return {
            "kind": "Event",
            "metadata": {"name": name, "namespace": "default", "uid": f"ev-{name}"},
            "involvedObject": {
                "kind": kind,
                "namespace": "default",
                "name": target,
                "uid": f"uid-{kind.lower()}-{target}",
            },
            "type": type_,
            "reason": reason,
            "message": reason,
            "count": 1,
            "firstTimestamp": ts(last),
            "lastTimestamp": ts(last),
        }

    snap = snapshot(
        workload("Deployment", "api", 3, {}),
        workload("ReplicaSet", "api-7f9c", 3, {}, owner="api"),
        workload("ReplicaSet", "other-1", 1, {}),
        event("e1", "Deployment", "api", "Normal", "ScalingReplicaSet", 60),
        event("e2", "ReplicaSet", "api-7f9c", "Warning", "FailedCreate", 30),
        event("e3", "ReplicaSet", "other-1", "Warning", "FailedCreate", 10),
    )
    [dep] = snap.deployments
    rows = object_events(snap, dep)
    assert [(e.reason, e.object) for e in rows] == [
        ("FailedCreate", "ReplicaSet/api-7f9c"),
        ("ScalingReplicaSet", ""),
    ]
