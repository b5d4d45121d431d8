"""A fixed snapshot shaped like the seed (four pods, their events), at a fixed clock, for UI tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ktui.decode import decode_object
from ktui.resources import ClusterSnapshot

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
"""The fixed clock of the static fixtures."""


def ts(seconds_ago: float) -> str:
    """An RFC 3339 timestamp that many seconds before NOW."""
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(
    name: str,
    *,
    image: str = "nginx",
    status: dict[str, Any],
    node: str | None = "node-1",
    labels: dict[str, str] | None = None,
    owner: dict[str, Any] | None = None,
    namespace: str = "default",
    age: float = 600,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """A pod dict."""
    container: dict[str, Any] = {"name": "web", "image": image}
    if command:
        container["command"] = command
    spec: dict[str, Any] = {"containers": [container]}
    if node:
        spec["nodeName"] = node
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "creationTimestamp": ts(age),
        "labels": labels or {},
    }
    if owner:
        meta["ownerReferences"] = [owner]
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status}


def event(
    name: str,
    target: str,
    *,
    type_: str,
    reason: str,
    message: str,
    count: int = 1,
    first: float = 300,
    last: float = 60,
    namespace: str = "default",
    kind: str = "Pod",
    component: str = "kubelet",
) -> dict[str, Any]:
    """A kubelet-style event dict about an object."""
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace, "uid": f"ev-{name}"},
        "involvedObject": {
            "kind": kind,
            "namespace": namespace,
            "name": target,
            "uid": f"uid-{namespace}-{target}",
        },
        "type": type_,
        "reason": reason,
        "message": message,
        "count": count,
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last),
        "source": {"component": component},
    }


RUNNING = {
    "phase": "Running",
    "conditions": [{"type": "Ready", "status": "True"}],
    "containerStatuses": [
        {"name": "web", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": ts(590)}}}
    ],
}
BACKOFF = {
    "phase": "Pending",
    "containerStatuses": [
        {
            "name": "web",
            "ready": False,
            "restartCount": 0,
            "image": "nginx:not-exist",
            "state": {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": 'Back-off pulling image "nginx:not-exist"',
                }
            },
        }
    ],
}
CRASH = {
    "phase": "Running",
    "containerStatuses": [
        {
            "name": "web",
            "ready": False,
            "restartCount": 5,
            "state": {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": "back-off 2m40s restarting failed container=web pod=error_default(uid)",
                }
            },
            "lastState": {
                "terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(125), "finishedAt": ts(120)}
            },
        }
    ],
}
PENDING = {
    "phase": "Pending",
    "conditions": [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
            "1 No preemption victims found for incoming pod.",
        }
    ],
}

SEED_LOGS = {
    ("error", "web", True): "sleep: invalid time interval 'a'\nTry 'sleep --help' for more information.",
    ("error", "web", False): "sleep: invalid time interval 'a'\nTry 'sleep --help' for more information.",
    ("running", "web", False): "\n".join(
        f'10.244.0.1 - - "GET /page/{i} HTTP/1.1" 200 615' for i in range(40)
    ),
}
"""Logs the static source serves for the seed pods."""


def seed_objects() -> list[dict[str, Any]]:
    """The seed's pods and events, plus a namespace list."""
    return [
        {"kind": "Namespace", "metadata": {"name": ns, "uid": f"ns-{ns}"}}
        for ns in ("default", "kube-system", "shop")
    ] + [
        pod("running", status=RUNNING, labels={"app": "nginx"}),
        pod("backoff", image="nginx:not-exist", status=BACKOFF),
        pod("error", status=CRASH, command=["sleep", "a"]),
        pod("pending", status=PENDING, node=None),
        pod("cart-7d4b9c-x2x9z", namespace="shop", status=RUNNING, labels={"app": "cart"}),
        event(
            "backoff.1",
            "backoff",
            type_="Warning",
            reason="Failed",
            count=4,
            first=540,
            last=30,
            message='Failed to pull image "nginx:not-exist": rpc error: code = NotFound desc = '
            'failed to pull and unpack image "docker.io/library/nginx:not-exist": not found',
        ),
        event(
            "backoff.2",
            "backoff",
            type_="Normal",
            reason="Pulling",
            count=4,
            first=550,
            last=40,
            message='Pulling image "nginx:not-exist"',
        ),
        event(
            "backoff.3",
            "backoff",
            type_="Warning",
            reason="BackOff",
            count=20,
            first=530,
            last=10,
            message='Back-off pulling image "nginx:not-exist"',
        ),
        event(
            "error.1",
            "error",
            type_="Warning",
            reason="BackOff",
            count=25,
            first=500,
            last=20,
            message="Back-off restarting failed container web in pod error_default(uid-default-error)",
        ),
        event(
            "error.2",
            "error",
            type_="Normal",
            reason="Started",
            count=6,
            first=590,
            last=125,
            message="Started container web",
        ),
        event(
            "pending.1",
            "pending",
            type_="Warning",
            reason="FailedScheduling",
            count=3,
            first=600,
            last=100,
            component="default-scheduler",
            message="0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
            "1 No preemption victims found for incoming pod.",
        ),
        event(
            "running.1",
            "running",
            type_="Normal",
            reason="Started",
            first=590,
            last=590,
            message="Started container web",
        ),
    ]


def seed_snapshot(now: datetime = NOW, **changes: Any) -> ClusterSnapshot:
    """The seed as a ClusterSnapshot (pods, events, namespaces) at ``now``."""
    fields: dict[str, list[Any]] = {"pods": [], "events": [], "namespaces": []}
    for obj in seed_objects():
        record = decode_object(obj)
        fields[{"Pod": "pods", "Event": "events", "Namespace": "namespaces"}[record.kind]].append(record)
    base: dict[str, Any] = {k: tuple(v) for k, v in fields.items()}
    base.update(changes)
    return ClusterSnapshot(now=now, synced=frozenset({"pods", "events", "namespaces"}), **base)


def network_objects() -> list[dict[str, Any]]:
    """The seed's Service/Ingress story: nginx-service and nginx-wrong-port in front of `running`, an
    Ingress `nginx` through a running ingress-nginx controller."""
    controller_labels = {
        "app.kubernetes.io/name": "ingress-nginx",
        "app.kubernetes.io/component": "controller",
    }

    def service(name: str, target: Any) -> dict[str, Any]:
        return {
            "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": "default",
                "uid": f"uid-svc-{name}",
                "creationTimestamp": ts(3600),
            },
            "spec": {
                "selector": {"app": "nginx"},
                "ports": [{"name": "http", "port": 80, "targetPort": target}],
            },
        }

    def endpoint_slice(name: str, port: int) -> dict[str, Any]:
        return {
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{name}-abcde",
                "namespace": "default",
                "uid": f"uid-eps-{name}",
                "labels": {"kubernetes.io/service-name": name},
            },
            "addressType": "IPv4",
            "endpoints": [
                {
                    "addresses": ["10.244.0.5"],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": "default",
                        "name": "running",
                        "uid": "uid-default-running",
                    },
                }
            ],
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
        }

    controller = pod(
        "ingress-nginx-controller-6747f6b856-x7k2p",
        namespace="ingress-nginx",
        status=RUNNING,
        labels=controller_labels,
    )
    controller["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": 80}]
    return [
        service("nginx-service", "web"),
        service("nginx-wrong-port", 8080),
        endpoint_slice("nginx-service", 80),
        endpoint_slice("nginx-wrong-port", 8080),
        {
            "kind": "IngressClass",
            "metadata": {
                "name": "nginx",
                "uid": "uid-ic-nginx",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": "k8s.io/ingress-nginx"},
        },
        {
            "kind": "Ingress",
            "metadata": {
                "name": "nginx",
                "namespace": "default",
                "uid": "uid-ing-nginx",
                "creationTimestamp": ts(3000),
            },
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "nginx.example.test",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "nginx-service", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
        controller,
    ]


def network_snapshot() -> ClusterSnapshot:
    """The seed with its Services, EndpointSlices, Ingress and controller, `running` declaring web:80."""
    from ktui.resources import SNAPSHOT_FIELD_BY_KIND

    objects = seed_objects() + network_objects()
    running = next(o for o in objects if o["kind"] == "Pod" and o["metadata"]["name"] == "running")
    running["spec"]["containers"][0]["ports"] = [{"name": "web", "containerPort": 80}]
    running["status"] = {**running["status"], "podIP": "10.244.0.5"}
    fields: dict[str, list[Any]] = {}
    for obj in objects:
        record = decode_object(obj)
        fields.setdefault(SNAPSHOT_FIELD_BY_KIND[record.kind], []).append(record)
    records: dict[str, Any] = {k: tuple(v) for k, v in fields.items()}
    return ClusterSnapshot(
        now=NOW,
        synced=frozenset(
            {"Pod", "Event", "Namespace", "Service", "EndpointSlice", "Ingress", "IngressClass"}
        ),
        **records,
    )
