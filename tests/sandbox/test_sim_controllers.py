"""Scheduler and controllers over time: capacity appearing, rollouts, garbage collection; pure formats."""

from __future__ import annotations

from typing import Any

from ktui.sandbox.controllers.deployment import surge_and_unavailable, template_hash
from ktui.sandbox.controllers.filters import NodeState, Verdict, filter_node, fit_error
from ktui.sandbox.controllers.ingress_router import route
from ktui.sandbox.controllers.objects import format_quantity, pod_resources

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: %s
          ports: [{name: http, containerPort: 80}]
"""


def _node(name: str, cpu: str = "2", taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"taints": taints or []},
        "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}},
    }


def test_fit_error_reads_like_kube_scheduler() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "3"}}}]},
    }
    cp = NodeState(
        _node("cp", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    )
    workers = [NodeState(_node(f"w{i}")) for i in range(2)]
    nodes = [cp, *workers]
    verdicts = {
        n.node["metadata"]["name"]: v
        for n in nodes
        if (v := filter_node(pod, pod_resources(pod["spec"]), n, nodes)) is not None
    }
    assert fit_error(3, verdicts, None, pod) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: "
        "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )
    assert fit_error(1, {"n": Verdict((), True)}, 'persistentvolumeclaim "data" not found', pod) == (
        '0/1 nodes are available: persistentvolumeclaim "data" not found. '
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )


def test_requests_init_containers_and_quantities() -> None:
    spec = {
        "containers": [
            {"resources": {"requests": {"cpu": "250m", "memory": "128Mi"}}},
            {"resources": {"limits": {"cpu": "500m"}}},
        ],
        "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "64Mi"}}}],
    }
    assert pod_resources(spec) == {"cpu": 1000, "memory": 128 * 2**20}
    assert format_quantity("requests.cpu", 1500) == "1500m" and format_quantity("cpu", 2000) == "2"
    assert format_quantity("memory", 384 * 2**20) == "384Mi"


def test_rolling_update_fenceposts_and_hash() -> None:
    d = {"spec": {"replicas": 4, "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}}
    assert surge_and_unavailable(d) == (1, 1)
    d["spec"]["replicas"] = 1
    assert surge_and_unavailable(d) == (1, 0)
    h = template_hash({"spec": {"containers": [{"name": "web"}]}})
    assert h == template_hash({"spec": {"containers": [{"name": "web"}]}}) and h.isalnum()
    assert not set(h) & set("aeiou")


def test_router_longest_prefix_exact_and_hosts() -> None:
    def ing(name: str, host: str | None, paths: list[tuple[str, str, str]]) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "http": {
                "paths": [
                    {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                    for p, t, s in paths
                ]
            }
        }
        if host:
            rule["host"] = host
        return {"metadata": {"namespace": "default", "name": name}, "spec": {"rules": [rule]}}

    ings = [
        ing(
            "a",
            "shop.test",
            [("/", "Prefix", "front"), ("/api", "Prefix", "api"), ("/api/v1", "Exact", "v1")],
        ),
        ing("b", None, [("/", "Prefix", "fallback")]),
    ]
    assert route(ings, "shop.test", "/api/x").service == "api"  # type: ignore[union-attr]
    assert route(ings, "shop.test:80", "/api/v1").service == "v1"  # type: ignore[union-attr]
    assert route(ings, "shop.test", "/apix").service == "front"  # type: ignore[union-attr]
    assert route(ings, "other.test", "/").service == "fallback"  # type: ignore[union-attr]
    assert route(ings[:1], "other.test", "/") is None


def test_pending_pod_is_scheduled_when_a_node_joins(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", speed=50.0)
    sb.wait_for(lambda s: s.list("events", field_selector="involvedObject.name=pending")[0], timeout=10)
    big = sb.call(lambda: sb.store.get("nodes", None, "node-1"))
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-big", "labels": {"kubernetes.io/hostname": "node-big"}},
        "spec": {"podCIDR": "10.244.9.0/24"},
        "status": {
            **big["status"],
            "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110"},
            "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.99"}],
        },
    }
    sb.call(lambda: sb.store.create("nodes", node))
    sb.wait_for(
        lambda s: (s.get("pods", "default", "pending") or {}).get("spec", {}).get("nodeName") == "node-big",
        timeout=10,
    )
    assert (
        "Successfully assigned default/pending to node-big"
        in kubectl(sb, "describe", "pod", "pending").stdout
    )


def test_rollout_replaces_pods_and_delete_collects_everything(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("empty", speed=50.0)
    sb.apply_yaml(WEB % "nginx:1.25")

    def ready_pods(s: Any, image: str) -> int:
        return sum(
            1
            for p in s.list("pods", "default")[0]
            if p["spec"]["containers"][0]["image"] == image
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
            and not p["metadata"].get("deletionTimestamp")
        )

    sb.wait_for(lambda s: ready_pods(s, "nginx:1.25") == 3, timeout=15)
    old_rs = sb.call(lambda: [r["metadata"]["name"] for r in sb.store.list("replicasets.apps", "default")[0]])
    sb.apply_yaml(WEB % "nginx:1.27")
    sb.wait_for(lambda s: ready_pods(s, "nginx:1.27") == 3 and ready_pods(s, "nginx:1.25") == 0, timeout=20)
    sb.wait_for(
        lambda s: any(
            c.get("reason") == "NewReplicaSetAvailable" and c["status"] == "True"
            for c in s.get("deployments.apps", "default", "web")["status"].get("conditions", [])
        ),
        timeout=10,
    )
    described = kubectl(sb, "describe", "deployment", "web").stdout
    assert f"Scaled down replica set {old_rs[0]} from" in described
    assert "NewReplicaSetAvailable" in described
    pods = sb.call(lambda: sb.store.list("pods", "default")[0])
    rs = pods[0]["metadata"]["ownerReferences"][0]["name"]
    assert all(
        p["metadata"]["name"].startswith(rs + "-") and len(p["metadata"]["name"]) == len(rs) + 6
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
    )

    assert kubectl(sb, "delete", "deployment", "web").returncode == 0
    sb.wait_for(
        lambda s: not s.list("replicasets.apps", "default")[0] and not s.list("pods", "default")[0],
        timeout=20,
    )
