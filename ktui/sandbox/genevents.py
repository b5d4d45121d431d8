"""Events a real cluster holds for the generator's unhealthy pods, as the kubelet and scheduler write them.

Kubelet events are legacy style (``count``, ``firstTimestamp``/``lastTimestamp``, ``source``);
scheduler events new style (``eventTime``, ``series``, ``reportingController``), like ``recorder.py``
writes them live. Names are deterministic (``<pod>.<hex>``) so a seed gives the same cluster.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

_STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _ref(pod: dict[str, Any], container: str | None) -> dict[str, Any]:
    meta = pod["metadata"]
    ref = {
        "kind": "Pod",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "v1",
    }
    if container:
        ref["fieldPath"] = f"spec.containers{{{container}}}"
    return ref


def _name(pod_name: str, reason: str, message: str) -> str:
    # client-go names events <object>.<unix nanos in hex>; a hash keeps them unique and reproducible
    return f"{pod_name}.{hashlib.sha256((pod_name + reason + message).encode()).hexdigest()[:16]}"


def _kubelet(
    pod: dict[str, Any], type_: str, reason: str, message: str, count: int, first: datetime, last: datetime
) -> dict[str, Any]:
    meta, node = pod["metadata"], pod["spec"].get("nodeName", "")
    container = pod["spec"]["containers"][0]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": _name(meta["name"], reason, message),
            "namespace": meta["namespace"],
            "creationTimestamp": first.strftime(_STAMP),
        },
        "involvedObject": _ref(pod, container),
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": node},
        "firstTimestamp": first.strftime(_STAMP),
        "lastTimestamp": last.strftime(_STAMP),
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": "kubelet",
        "reportingInstance": node,
    }


def _scheduler(
    pod: dict[str, Any], message: str, first: datetime, last: datetime, count: int
) -> dict[str, Any]:
    meta = pod["metadata"]
    micro = "%Y-%m-%dT%H:%M:%S.%fZ"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": _name(meta["name"], "FailedScheduling", message),
            "namespace": meta["namespace"],
            "creationTimestamp": first.strftime(_STAMP),
        },
        "involvedObject": _ref(pod, None),
        "reason": "FailedScheduling",
        "message": message,
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": "Warning",
        "eventTime": first.strftime(micro),
        "series": {"count": count, "lastObservedTime": last.strftime(micro)},
        "action": "Scheduling",
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-control-plane",
    }


def unhealthy_events(pod: dict[str, Any], health: str, now: datetime) -> list[dict[str, Any]]:
    """Events explaining ``pod``'s ``health`` (``crash``, ``oom``, ``pull``, ``unschedulable``; else none)."""
    first = now - timedelta(hours=2, minutes=58)
    recent = now - timedelta(seconds=37)
    if health == "unschedulable":
        message = pod["status"]["conditions"][0]["message"]
        return [_scheduler(pod, message, first, recent, 12)]
    statuses = pod["status"].get("containerStatuses") or []
    if not statuses:
        return []
    cs, image = statuses[0], statuses[0]["image"]
    if health == "pull":
        pull_error = (
            f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack '
            f'image "{image}": failed to resolve reference "{image}": {image}: not found'
        )
        return [
            _kubelet(pod, "Normal", "Pulling", f'Pulling image "{image}"', 38, first, recent),
            _kubelet(pod, "Warning", "Failed", pull_error, 38, first, recent),
            _kubelet(pod, "Warning", "Failed", "Error: ErrImagePull", 38, first, recent),
            _kubelet(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"', 802, first, recent),
            _kubelet(pod, "Warning", "Failed", "Error: ImagePullBackOff", 802, first, recent),
        ]
    if health in ("crash", "oom"):
        restarts = int(cs.get("restartCount") or 1)
        meta = pod["metadata"]
        backoff = (
            f"Back-off restarting failed container {cs['name']} in pod {meta['name']}_{meta['namespace']}"
            f"({meta['uid']})"
        )
        return [
            _kubelet(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{image}" already present on machine',
                restarts + 1,
                first,
                recent,
            ),
            _kubelet(
                pod, "Normal", "Created", f"Created container {cs['name']}", restarts + 1, first, recent
            ),
            _kubelet(
                pod, "Normal", "Started", f"Started container {cs['name']}", restarts + 1, first, recent
            ),
            _kubelet(pod, "Warning", "BackOff", backoff, restarts * 9, first, recent),
        ]
    return []
