"""The ReplicaSet controller: keeps ``spec.replicas`` pods named ``<rs>-<5 chars>`` alive; reports status.

Pod creation goes through quota admission; a refusal becomes a ``FailedCreate`` Warning event
(``Error creating: pods "web-7d4b9c-x2k9p" is forbidden: exceeded quota: ...``) and the
``ReplicaFailure`` condition, then the controller retries with back-off as the real one does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ktui.sandbox.codec import copy
from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.controllers.objects import (
    condition,
    controller_uid,
    generated,
    is_ready,
    is_terminal,
    owner_ref,
    random_suffix,
)
from ktui.sandbox.errors import ApiError

COMPONENT = "replicaset-controller"
BURST = 500  # client-go slow-start batches cap; the sandbox creates at most this many per pass
MAX_RETRY = 300.0


def parse_time(stamp: str | None) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime."""
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def available_since(pod: dict[str, Any], min_ready: int, now: datetime, speed: float = 1.0) -> float | None:
    """Cluster seconds until the pod counts as available (<= 0: available now); None if not ready."""
    if not is_ready(pod):
        return None
    since = parse_time((condition(pod, "Ready") or {}).get("lastTransitionTime"))
    if min_ready <= 0 or since is None:
        return 0.0
    return min_ready - (now - since).total_seconds() * speed  # stamps are wall-clock


class ReplicaSetController(Controller):
    """Creates and deletes pods to match each ReplicaSet's replicas."""

    name = COMPONENT
    watches = ("replicasets.apps", "pods")

    def __init__(
        self, *args: Any, admit: Callable[[str, dict[str, Any]], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.admit = admit  # quota admission, when the store has no admission chain of its own
        self._failures: dict[Key, int] = {}
        self._retry_at: dict[Key, float] = {}  # loop time before which a failing ReplicaSet does not create

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """Pods map to their owning ReplicaSet (the generator's objects to none)."""
        if generated(obj):
            return []
        if resource == "replicasets.apps":
            return [key_of(obj)]
        for ref in obj["metadata"].get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == "ReplicaSet":
                return [(obj["metadata"].get("namespace") or "", ref["name"])]
        return []

    def reconcile(self, key: Key) -> None:
        """Scale the pods of one ReplicaSet and write its status."""
        rs = self.store.get("replicasets.apps", key[0], key[1])
        if rs is None or rs["metadata"].get("deletionTimestamp") or generated(rs):
            self._failures.pop(key, None)
            return
        uid = rs["metadata"]["uid"]
        pods = [p for p in self.store.list("pods", key[0])[0] if controller_uid(p) == uid]
        active = [p for p in pods if not is_terminal(p) and not p["metadata"].get("deletionTimestamp")]
        want = int(rs["spec"].get("replicas", 1))
        error: str | None = None
        if len(active) < want:
            if asyncio.get_running_loop().time() < self._retry_at.get(key, 0.0):
                return  # rate-limited after a refusal; the timer brings it back
            error = self._create(rs, want - len(active))
        elif len(active) > want:
            self._delete(rs, active, len(active) - want)
        self._write_status(rs, error)

    def _create(self, rs: dict[str, Any], count: int) -> str | None:
        ns, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        template = rs["spec"].get("template") or {}
        for _ in range(min(count, BURST)):
            meta = copy(template.get("metadata") or {})
            meta["name"] = f"{name}-{random_suffix()}"
            while self.store.get("pods", ns, meta["name"]) is not None:
                meta["name"] = f"{name}-{random_suffix()}"
            meta["namespace"] = ns
            meta["ownerReferences"] = [owner_ref(rs)]
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": meta,
                "spec": copy(template.get("spec") or {}),
            }
            try:
                if self.admit is not None:
                    self.admit("pods", pod)
                created = self.store.create("pods", pod, namespace=ns)
            except ApiError as exc:
                self.recorder.event(
                    rs, "Warning", "FailedCreate", f"Error creating: {exc.message}", component=COMPONENT
                )
                key = key_of(rs)
                failures = min(self._failures.get(key, 0) + 1, 16)
                self._failures[key] = failures
                # workqueue rate limiting: exponential back-off between attempts
                delay = min(5.0 * 2 ** (failures - 1), MAX_RETRY)
                self._retry_at[key] = asyncio.get_running_loop().time() + self.clock.real_seconds(delay)
                self.enqueue_after(key, delay)
                return exc.message
            self._failures.pop(key_of(rs), None)
            self._retry_at.pop(key_of(rs), None)
            self.recorder.event(
                rs,
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {created['metadata']['name']}",
                component=COMPONENT,
            )
        return None

    def _delete(self, rs: dict[str, Any], active: list[dict[str, Any]], count: int) -> None:
        # controller.ActivePods ordering: unscheduled, then pending, then not ready, then newest first
        def rank(p: dict[str, Any]) -> tuple[int, int, int, str]:
            status = p.get("status") or {}
            return (
                0 if not p["spec"].get("nodeName") else 1,
                0 if status.get("phase") == "Pending" else 1,
                0 if not is_ready(p) else 1,
                _invert(p["metadata"].get("creationTimestamp", "")),
            )

        for pod in sorted(active, key=rank)[:count]:
            try:
                self.store.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
            except ApiError:
                continue
            self.recorder.event(
                rs,
                "Normal",
                "SuccessfulDelete",
                f"Deleted pod: {pod['metadata']['name']}",
                component=COMPONENT,
            )

    def _write_status(self, rs: dict[str, Any], error: str | None) -> None:
        ns, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        uid = rs["metadata"]["uid"]
        pods = [p for p in self.store.list("pods", ns)[0] if controller_uid(p) == uid]
        active = [p for p in pods if not is_terminal(p) and not p["metadata"].get("deletionTimestamp")]
        labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        now = self.clock.now()
        ready = available = 0
        wait: float | None = None
        for pod in active:
            left = available_since(pod, min_ready, now, self.clock.speed)
            if left is None:
                continue
            ready += 1
            if left <= 0:
                available += 1
            else:
                wait = left if wait is None else min(wait, left)
        if wait is not None:
            self.enqueue_after(key_of(rs), wait + 0.5)
        counts = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(
                1
                for p in active
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
            ),
            "readyReplicas": ready,
            "availableReplicas": available,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        stamp = self.clock.stamp()

        def update(obj: dict[str, Any]) -> bool | None:
            before = obj.get("status") or {}
            status: dict[str, Any] = {"replicas": counts["replicas"]}
            for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"):
                if counts[field]:  # omitempty, as the API serialises int32 counters
                    status[field] = counts[field]
            conds = [c for c in before.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
            if error is not None:
                old = next(
                    (c for c in before.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None
                )
                conds.append(
                    {
                        "type": "ReplicaFailure",
                        "status": "True",
                        "lastTransitionTime": old["lastTransitionTime"] if old else stamp,
                        "reason": "FailedCreate",
                        "message": error,
                    }
                )
            elif any(c.get("type") == "ReplicaFailure" for c in before.get("conditions") or []) and (
                counts["replicas"] < int(obj["spec"].get("replicas", 1))
            ):
                conds = before.get("conditions") or []  # keep the failure until the pods exist
            if conds:
                status["conditions"] = conds
            if status == before:
                return False
            obj["status"] = status
            return None

        self.store.mutate("replicasets.apps", ns, name, update)


def _invert(stamp: str) -> str:
    """Sort key turning newest-first into ascending order."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in stamp)
