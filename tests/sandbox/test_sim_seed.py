"""The seed scenario, alive: kubectl sees the seed's states; the ingress controller routes for real."""

from __future__ import annotations

import asyncio
from typing import Any

from ktui.sandbox.runner import Sandbox

PENDING = (
    "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are "
    "available: 1 No preemption victims found for incoming pod."
)


def _status(pod: dict[str, Any] | None) -> str:
    """What the STATUS column would say, enough for waiting on it."""
    if pod is None:
        return ""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting:
            return str(waiting.get("reason"))
    return str((pod.get("status") or {}).get("phase"))


def _controller_pod(store: Any) -> str | None:
    for pod in store.list("pods", "ingress-nginx")[0]:
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        ):
            return str(pod["metadata"]["name"])
    return None


def http_through_ingress(sb: Sandbox, host: str, path: str = "/") -> tuple[int, bytes]:
    """GET through the controller pod's port 80 via the kubelet's dial (what a port-forward reaches)."""
    pod = sb.wait_for(_controller_pod, timeout=20)

    async def get() -> tuple[int, bytes]:
        reader, writer = await sb.simulation.node_agent.dial("ingress-nginx", pod, 80)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8.5.0\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), body

    return sb.call(get)


def test_seed_pods_reach_their_states_in_kubectl(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", speed=20.0)
    sb.wait_for(
        lambda s: (
            _status(s.get("pods", "default", "running")) == "Running"
            and _status(s.get("pods", "default", "backoff")) == "ImagePullBackOff"
            and _status(s.get("pods", "default", "error")) == "CrashLoopBackOff"
        ),
        timeout=30,
    )
    rows = {line.split()[0]: line.split() for line in kubectl(sb, "get", "pods").stdout.splitlines()[1:]}
    assert rows["running"][1:3] == ["1/1", "Running"]
    assert rows["backoff"][1:3] == ["0/1", "ImagePullBackOff"]
    assert rows["error"][1:3] == ["0/1", "CrashLoopBackOff"]
    assert rows["pending"][1:3] == ["0/1", "Pending"]

    described = kubectl(sb, "describe", "pod", "pending").stdout
    assert "FailedScheduling" in described and "default-scheduler" in described
    assert " ".join(PENDING.split()) in " ".join(described.split())
    assert "PodScheduled   False" in described

    running = kubectl(sb, "describe", "pod", "running").stdout
    assert "Successfully assigned default/running to node-1" in running


def test_seed_describe_ingress_shows_the_missing_backend(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", speed=20.0)
    sb.wait_for(
        lambda s: (
            (s.get("ingresses.networking.k8s.io", "default", "running-ingress") or {})
            .get("status", {})
            .get("loadBalancer", {})
            .get("ingress")
        ),
        timeout=30,
    )
    out = kubectl(sb, "describe", "ingress", "running-ingress").stdout
    # kubectl 1.32 lists EndpointSlices, finds none, then GETs the Service: a 404 there is what it prints
    # (the seed's older kubectl GET the Endpoints and printed `endpoints "running-service" not found`)
    assert 'running-service:80 (<error: services "running-service" not found>)' in out
    assert "Scheduled for sync" in out and "nginx-ingress-controller" in out
    good = kubectl(sb, "describe", "ingress", "nginx").stdout
    assert "nginx-service:80 (10.244." in good
    listed = kubectl(sb, "get", "ingress").stdout
    assert "10.0.0.10" in listed  # the address the controller published


def test_seed_services_endpoints_and_slices(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", speed=20.0)
    sb.wait_for(
        lambda s: (
            _status(s.get("pods", "default", "running")) == "Running"
            and (s.get("endpoints", "default", "nginx-service") or {}).get("subsets")
        ),
        timeout=30,
    )
    eps = {
        line.split()[0]: line.split()[1] for line in kubectl(sb, "get", "endpoints").stdout.splitlines()[1:]
    }
    ip = sb.call(lambda: sb.store.get("pods", "default", "running")["status"]["podIP"])
    assert eps["nginx-service"] == f"{ip}:80"  # the named targetPort `web` resolved to 80
    assert eps["nginx-wrong-port"] == f"{ip}:8080"  # listed, though nothing listens there
    assert eps["nginx-typo"] == "<none>"
    slices = sb.call(
        lambda: sb.store.list(
            "endpointslices.discovery.k8s.io",
            "default",
            label_selector="kubernetes.io/service-name=nginx-typo",
        )[0]
    )
    assert len(slices) == 1 and not slices[0]["endpoints"]
    assert slices[0]["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert (
        slices[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
        == "endpointslice-controller.k8s.io"
    )


def test_ingress_controller_routes_200_and_503(sandbox_factory: Any) -> None:
    sb = sandbox_factory("seed", speed=20.0)
    sb.wait_for(lambda s: (s.get("endpoints", "default", "nginx-service") or {}).get("subsets"), timeout=30)
    status, body = http_through_ingress(sb, "nginx.example.test")
    assert status == 200 and b"Welcome to nginx!" in body
    status, body = http_through_ingress(sb, "anything.example.test")  # default server: running-service
    assert (
        status == 503 and b"503 Service Temporarily Unavailable" in body and b"<center>nginx</center>" in body
    )
    status, _ = http_through_ingress(sb, "nginx.example.test", "/missing.html")
    assert status == 404  # proxied: the backend nginx's own 404
