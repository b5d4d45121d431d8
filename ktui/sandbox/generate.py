"""N pods in M namespaces for benchmarks: realistic shapes, about 5% unhealthy, loaded in one bulk insert.

Generated pods are bound to ``bench-node-*`` names that have no Node object, and carry the annotation
``ktui.sandbox/generated: "true"``, so no simulated kubelet or controller adopts them: their status
is written here once and stays as generated.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any

from ktui.sandbox.creation import ALNUM
from ktui.sandbox.store import Store

GENERATED = "ktui.sandbox/generated"
_APPS = ("web", "api", "worker", "cache", "gateway", "billing", "search", "auth")


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _suffix(i: int) -> str:
    """Five characters from the apiserver's generateName alphabet, unique per index (no collisions)."""
    out = []
    for _ in range(5):
        i, r = divmod(i, len(ALNUM))
        out.append(ALNUM[r])
    return "".join(out)


def _pod(i: int, ns: str, rnd: random.Random, stamp: str, ip_base: int) -> dict[str, Any]:
    app = _APPS[i % len(_APPS)]
    rs_hash = _hex(f"{ns}/{app}", 10)
    name = f"{app}-{rs_hash}-{_suffix(i)}"
    image = f"registry.example.test/{app}:1.{i % 7}.{i % 3}"
    node = f"bench-node-{i % 50}"
    ip = f"10.{244 + (ip_base >> 16) % 8}.{(ip_base >> 8) & 255}.{ip_base & 255}"
    roll = rnd.random()
    container_id = "containerd://" + _hex(f"c/{ns}/{i}", 64)
    ready = True
    state: dict[str, Any] = {"running": {"startedAt": stamp}}
    last: dict[str, Any] = {}
    restarts = 0
    phase = "Running"
    if roll < 0.03:  # crash looping
        ready, restarts = False, rnd.randint(3, 40)
        state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 5m0s restarting failed container={app} pod={name}_{ns}(x)",
            }
        }
        last = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": stamp,
                "finishedAt": stamp,
                "containerID": container_id,
            }
        }
    elif roll < 0.05:  # image pull failing
        ready, phase = False, "Pending"
        state = {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}
    cond = "True" if ready else "False"
    conditions = [
        {
            "type": t,
            "status": "True" if t in ("PodScheduled", "Initialized", "PodReadyToStartContainers") else cond,
            "lastProbeTime": None,
            "lastTransitionTime": stamp,
        }
        for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": "10.0.1.10",
        "hostIPs": [{"ip": "10.0.1.10"}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": stamp,
        "qosClass": "Burstable",
        "containerStatuses": [
            {
                "name": app,
                "image": image,
                "imageID": "" if phase == "Pending" else f"{image}@sha256:" + _hex(image, 64),
                "containerID": container_id if phase != "Pending" else None,
                "ready": ready,
                "started": ready,
                "restartCount": restarts,
                "state": state,
                "lastState": last,
            }
        ],
    }
    if status["containerStatuses"][0]["containerID"] is None:
        del status["containerStatuses"][0]["containerID"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "creationTimestamp": stamp,
            "labels": {"app": app, "pod-template-hash": rs_hash},
            "annotations": {GENERATED: "true"},
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": app,
                    "image": image,
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"memory": "256Mi"},
                    },
                }
            ],
        },
        "status": status,
    }


def generate(store: Store, pods: int, namespaces: int, *, seed: int = 0, prefix: str = "bench") -> int:
    """Create ``pods`` pods spread over ``namespaces`` namespaces (``bench-0``...); returns the pod count.

    Runs on the loop thread. Uses the store's bulk path without watch notifications: the objects look
    as if they existed before any watch started.
    """
    rnd = random.Random(seed)
    names = [f"{prefix}-{i}" for i in range(max(1, namespaces))]
    store.bulk_create(
        "namespaces",
        ({"metadata": {"name": n}} for n in names if store.get("namespaces", None, n) is None),
        notify=False,
    )
    stamp = (store.clock.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    docs = (_pod(i, names[i % len(names)], rnd, stamp, i + 2) for i in range(pods))
    return store.bulk_create("pods", docs, notify=False, keep_creation_time=True)
