"""Each failure-class scenario reaches its state with its characteristic events (via the real client)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client, config

from ktui.sandbox import scenarios
from ktui.sandbox.runner import Sandbox


class Cluster:
    """What a test reads, fetched over HTTP with the official client (raw JSON, as the server sent it)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.api = config.new_client_from_config(str(sb.kubeconfig))

    def get(self, path: str) -> Any:
        """GET ``path`` and decode the JSON body."""
        method, url, headers, body, _ = self.api.param_serialize(
            "GET", path, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"]
        )
        resp = self.api.call_api(method, url, header_params=headers, body=body, _request_timeout=5)
        resp.read()
        if resp.status >= 400:
            raise client.ApiException(status=resp.status, reason=resp.reason)
        return json.loads(resp.data)

    def items(self, path: str) -> list[dict[str, Any]]:
        """The items of a list path."""
        return list(self.get(path)["items"])

    def pods(self, ns: str = "default") -> list[dict[str, Any]]:
        """Pods in ``ns``."""
        return self.items(f"/api/v1/namespaces/{ns}/pods")

    def events(self, reason: str, ns: str = "default") -> list[str]:
        """Messages of the events with ``reason``."""
        return [e["message"] for e in self.items(f"/api/v1/namespaces/{ns}/events") if e["reason"] == reason]

    def has_event(self, reason: str, text: str, ns: str = "default") -> bool:
        """Whether an event with ``reason`` mentions ``text``."""
        return any(text in m for m in self.events(reason, ns))


def waiting(pod: dict[str, Any]) -> str:
    """The waiting reason of the first container, if any."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        return str(((cs.get("state") or {}).get("waiting") or {}).get("reason") or "")
    return ""


def last_terminated(pod: dict[str, Any]) -> dict[str, Any]:
    """lastState.terminated of the first container."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        return dict((cs.get("lastState") or {}).get("terminated") or {})
    return {}


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    """The status condition of ``type_`` (empty if absent)."""
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_), {})


def any_pod(pred: Callable[[dict[str, Any]], bool]) -> Callable[[Cluster], bool]:
    """A check: some pod in default satisfies ``pred``."""
    return lambda c: any(pred(p) for p in c.pods())


def both(*checks: Callable[[Cluster], Any]) -> Callable[[Cluster], bool]:
    """All checks hold."""
    return lambda c: all(check(c) for check in checks)


def through_ingress(c: Cluster, host: str) -> int | None:
    """The HTTP status the ingress controller answers for ``host``; None while it is not serving."""
    sb = c.sb

    async def get() -> int | None:
        for pod in sb.store.list("pods", "ingress-nginx")[0]:
            try:
                reader, writer = await sb.simulation.node_agent.dial(
                    "ingress-nginx", pod["metadata"]["name"], 80
                )
            except ConnectionError:
                continue
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            if data.startswith(b"HTTP/1.1 "):
                return int(data.split(b" ")[1])
        return None

    return sb.call(get)


def deployment(c: Cluster, name: str, ns: str = "default") -> dict[str, Any]:
    """A Deployment object."""
    return dict(c.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"))


CHECKS: dict[str, Callable[[Cluster], Any]] = {
    "image-tag-not-found": both(
        any_pod(lambda p: waiting(p) in ("ErrImagePull", "ImagePullBackOff")),
        lambda c: c.has_event("Failed", "docker.io/library/nginx:1.27.99: not found"),
        lambda c: c.has_event("BackOff", 'Back-off pulling image "nginx:1.27.99"'),
    ),
    "image-pull-access-denied": both(
        any_pod(lambda p: waiting(p) in ("ErrImagePull", "ImagePullBackOff")),
        lambda c: c.has_event("FailedToRetrieveImagePullSecret", "regcred"),
        lambda c: c.has_event("Failed", "registry.example.com/acme/billing:3.2.1"),
    ),
    "image-registry-unreachable": both(
        any_pod(lambda p: waiting(p) in ("ErrImagePull", "ImagePullBackOff")),
        lambda c: c.has_event("Failed", "no such host"),
    ),
    "image-invalid-name": both(
        any_pod(lambda p: waiting(p) == "InvalidImageName"),
        lambda c: c.has_event("InspectFailed", "must be lowercase"),
    ),
    "image-never-pull": both(
        any_pod(lambda p: waiting(p) == "ErrImageNeverPull"),
        lambda c: c.has_event("ErrImageNeverPull", "is not present with pull policy of Never"),
    ),
    "app-crash": both(
        any_pod(lambda p: waiting(p) == "CrashLoopBackOff" and last_terminated(p).get("exitCode") == 1),
        lambda c: c.has_event("BackOff", "Back-off restarting failed container api"),
    ),
    "oom-killed": any_pod(
        lambda p: (
            last_terminated(p).get("reason") == "OOMKilled" and last_terminated(p).get("exitCode") == 137
        )
    ),
    "bad-command": both(
        any_pod(lambda p: waiting(p) in ("RunContainerError", "CrashLoopBackOff")),
        lambda c: c.has_event("Failed", 'exec: "nginx-start": executable file not found in $PATH'),
    ),
    "container-runtime-error": both(
        any_pod(lambda p: last_terminated(p).get("reason") == "StartError"),
        lambda c: c.has_event("Failed", "stat /opt/legacy/run.sh: no such file or directory"),
    ),
    "config-reference-missing": both(
        any_pod(lambda p: waiting(p) == "CreateContainerConfigError"),
        lambda c: c.has_event("Failed", 'Error: configmap "checkout-config" not found'),
    ),
    "readiness-probe-failure": both(
        any_pod(
            lambda p: p["status"].get("phase") == "Running" and condition(p, "Ready").get("status") == "False"
        ),
        lambda c: c.has_event("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404"),
        lambda c: c.get("/api/v1/namespaces/default/endpoints/catalog")["subsets"][0].get(
            "notReadyAddresses"
        ),
    ),
    "liveness-probe-failure": both(
        lambda c: c.has_event("Unhealthy", 'Liveness probe failed: Get "http://10.244.'),
        lambda c: c.has_event("Killing", "failed liveness probe, will be restarted"),
        any_pod(lambda p: p["status"]["containerStatuses"][0]["restartCount"] >= 1),
    ),
    "unschedulable-insufficient-resources": both(
        any_pod(lambda p: condition(p, "PodScheduled").get("reason") == "Unschedulable"),
        lambda c: c.has_event(
            "FailedScheduling",
            "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient "
            "memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.",
        ),
    ),
    "unschedulable-node-selector": lambda c: c.has_event(
        "FailedScheduling", "1 node(s) didn't match Pod's node affinity/selector"
    ),
    "unschedulable-taint": lambda c: c.has_event(
        "FailedScheduling", "had untolerated taint {dedicated: gpu}"
    ),
    "unschedulable-pod-affinity": both(
        lambda c: sum(1 for p in c.pods() if p["spec"].get("nodeName")) == 2,
        lambda c: c.has_event("FailedScheduling", "2 node(s) didn't match pod anti-affinity rules"),
    ),
    "pvc-unbound": both(
        lambda c: (
            c.get("/api/v1/namespaces/default/persistentvolumeclaims/data")["status"]["phase"] == "Pending"
        ),
        lambda c: c.has_event("ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found'),
        lambda c: c.has_event("FailedScheduling", "pod has unbound immediate PersistentVolumeClaims"),
        lambda c: (
            c.get("/api/v1/namespaces/default/persistentvolumeclaims/cache")["status"]["phase"] == "Bound"
        ),
    ),
    "quota-exceeded": both(
        lambda c: c.has_event(
            "FailedCreate",
            "is forbidden: exceeded quota: compute, requested: "
            "requests.cpu=500m, used: requests.cpu=1, limited: requests.cpu=1",
        ),
        lambda c: len(c.pods()) == 2,
        lambda c: (
            c.get("/api/v1/namespaces/default/resourcequotas/compute")["status"]["used"]["requests.cpu"]
            == "1"
        ),
        lambda c: condition(deployment(c, "web"), "ReplicaFailure").get("reason") == "FailedCreate",
    ),
    "pod-evicted": both(
        any_pod(lambda p: p["status"].get("phase") == "Failed" and p["status"].get("reason") == "Evicted"),
        lambda c: c.has_event("Evicted", "The node was low on resource: memory."),
    ),
    "node-not-ready": both(
        lambda c: (
            condition(c.get("/api/v1/nodes/node-2"), "Ready").get("message")
            == "Kubelet stopped posting node status."
        ),
        lambda c: any(
            t["key"] == "node.kubernetes.io/unreachable"
            for t in c.get("/api/v1/nodes/node-2")["spec"].get("taints", [])
        ),
        lambda c: c.has_event("NodeNotReady", "Node is not ready"),
        any_pod(lambda p: bool(p["metadata"].get("deletionTimestamp"))),  # toleration ran out: Terminating
    ),
    "service-selector-mismatch": both(
        lambda c: len([p for p in c.pods() if condition(p, "Ready").get("status") == "True"]) == 2,
        lambda c: "subsets" not in c.get("/api/v1/namespaces/default/endpoints/storefront"),
    ),
    "service-target-port-mismatch": lambda c: (
        [
            p["port"]
            for s in c.get("/api/v1/namespaces/default/endpoints/ledger").get("subsets", [])
            for p in s["ports"]
        ]
        == [8080]
        and len(c.get("/api/v1/namespaces/default/endpoints/ledger")["subsets"][0].get("addresses", [])) == 2
    ),
    "service-no-ready-endpoints": lambda c: (
        len(c.get("/api/v1/namespaces/default/endpoints/search")["subsets"][0].get("notReadyAddresses", []))
        == 2
        and not c.get("/api/v1/namespaces/default/endpoints/search")["subsets"][0].get("addresses")
    ),
    "ingress-backend-service-missing": both(
        lambda c: c.has_event("Sync", "Scheduled for sync"),
        lambda c: through_ingress(c, "shop.example.test") == 503,
    ),
    "ingress-backend-port-missing": lambda c: through_ingress(c, "shop.example.test") == 503,
    "ingress-backend-no-endpoints": both(
        lambda c: "subsets" not in c.get("/api/v1/namespaces/default/endpoints/shop"),
        lambda c: through_ingress(c, "shop.example.test") == 503,
    ),
    "ingress-class-missing": both(
        lambda c: through_ingress(c, "shop.example.test") == 404,  # no controller claims it
        lambda c: not c.events("Sync"),
    ),
    "ingress-tls-secret-missing": both(
        lambda c: c.has_event("Sync", "Scheduled for sync"),
        lambda c: c.get("/apis/networking.k8s.io/v1/namespaces/default/ingresses/shop")["status"][
            "loadBalancer"
        ],
    ),
    "ingress-controller-not-running": both(
        lambda c: (
            not c.pods("ingress-nginx") and any(p["status"].get("phase") == "Running" for p in c.pods())
        ),
        lambda c: (
            not (c.get("/apis/networking.k8s.io/v1/namespaces/default/ingresses/shop").get("status") or {})
            .get("loadBalancer", {})
            .get("ingress")
        ),
    ),
    "deployment-rollout-stuck": lambda c: (
        condition(deployment(c, "ledger-api"), "Progressing").get("reason") == "ProgressDeadlineExceeded"
    ),
}


def test_every_failure_class_has_a_scenario_and_a_check() -> None:
    shipped = set(scenarios.names()) - {"empty", "seed", "healthy"}
    assert shipped == set(CHECKS)
    assert len(CHECKS) == 30


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_failure_scenario_reaches_its_state(sandbox_factory: Any, name: str) -> None:
    sb = sandbox_factory(name, speed=100.0)
    c = Cluster(sb)
    check = CHECKS[name]
    deadline = time.monotonic() + 20
    while True:
        try:
            if check(c):
                break
        except (KeyError, IndexError, client.ApiException):
            pass
        assert time.monotonic() < deadline, f"{name} did not reach its state"
        time.sleep(0.1)
    # the class never comes with a different class's signature (the scenarios stay small and specific)
    if not name.startswith(("unschedulable", "pvc")):
        assert not c.events("FailedScheduling") or name == "node-not-ready"


def test_healthy_scenario_is_healthy(sandbox_factory: Any) -> None:
    sb = sandbox_factory("healthy", speed=50.0)
    c = Cluster(sb)

    def all_ready(c: Cluster) -> bool:
        pods = c.pods() + c.pods("ingress-nginx")
        return len(pods) == 5 and all(condition(p, "Ready").get("status") == "True" for p in pods)

    deadline = time.monotonic() + 20
    while not all_ready(c):
        assert time.monotonic() < deadline, "healthy pods did not all become Ready"
        time.sleep(0.1)
    time.sleep(1.0)  # 50 cluster seconds: probes have run several times
    assert all_ready(c)
    warnings = [e for e in c.items("/api/v1/events") if e["type"] == "Warning"]
    assert warnings == []
    assert through_ingress(c, "shop.example.test") == 200
