"""The kubelet's eviction manager: under MemoryPressure, running pods are evicted one per interval.

Ranking follows the kubelet (BestEffort first, then pods using more than they request); the pod ends
``phase: Failed, reason: Evicted`` with the kubelet's message (``The node was low on resource: memory.
Threshold quantity: 100Mi, available: ...``), a ``DisruptionTarget`` condition and an ``Evicted``
event, and its containers are killed.
"""

from __future__ import annotations

from typing import Any

from ktui.sandbox.controllers.base import Controller, Key
from ktui.sandbox.controllers.nodes import kubelet_stopped
from ktui.sandbox.controllers.objects import condition, generated, is_terminal

INTERVAL = 10.0  # housekeeping interval of the eviction manager
THRESHOLD = "100Mi"  # default evictionHard memory.available
AVAILABLE = "87340Ki"


class EvictionManager(Controller):
    """Evicts pods from nodes reporting MemoryPressure=True; keys are node names."""

    name = "eviction-manager"
    watches = ("nodes", "pods")

    def __init__(self, *args: Any, fleet: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fleet = fleet

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """Node changes, and pods starting on a node (not the generator's: no kubelet runs them)."""
        if generated(obj):
            return []
        if resource == "nodes":
            return [] if type_ == "DELETED" else [("", obj["metadata"]["name"])]
        node = (obj.get("spec") or {}).get("nodeName")
        return [("", node)] if node and type_ != "DELETED" else []

    def reconcile(self, key: Key) -> None:
        """Evict the next pod if the node is under memory pressure."""
        node = self.store.get("nodes", None, key[1])
        if node is None or kubelet_stopped(node):
            return
        if (condition(node, "MemoryPressure") or {}).get("status") != "True":
            return
        pods = [
            p
            for p in self.store.list("pods", field_selector=f"spec.nodeName={key[1]}")[0]
            if not is_terminal(p)
            and not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") == "Running"
        ]
        if not pods:
            return
        victim = min(pods, key=_rank)
        self._evict(victim, key[1])
        self.enqueue_after(key, INTERVAL)

    def _evict(self, pod: dict[str, Any], node: str) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        requests = {
            c.get("name"): ((c.get("resources") or {}).get("requests") or {}).get("memory", "0")
            for c in (pod.get("spec") or {}).get("containers") or []
        }
        usage = " ".join(
            f"Container {c} was using {self._usage(pod, c)}, request is {requests.get(c) or '0'}, "
            "has larger consumption of memory."
            for c in containers
        )
        message = (
            f"The node was low on resource: memory. Threshold quantity: {THRESHOLD}, available: "
            f"{AVAILABLE}. {usage} "
        )
        now = self.clock.stamp()

        def evict(obj: dict[str, Any]) -> None:
            status = obj.setdefault("status", {})
            status.update(phase="Failed", reason="Evicted", message=message)
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
            for cond in conds:
                if cond.get("type") in ("Ready", "ContainersReady") and cond.get("status") == "True":
                    cond.update(status="False", reason="PodFailed", lastTransitionTime=now)
                    cond.pop("message", None)
            conds.insert(
                0,
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                    "reason": "TerminationByKubelet",
                    "message": message,
                },
            )
            status["conditions"] = conds
            for cs in status.get("containerStatuses") or []:
                running = (cs.get("state") or {}).get("running") or {}
                cs["state"] = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "Error",
                        "startedAt": running.get("startedAt", now),
                        "finishedAt": now,
                        "containerID": cs.get("containerID", ""),
                    }
                }
                cs.update(ready=False, started=False)

        updated = self.store.mutate("pods", ns, name, evict) or pod
        self.recorder.kubelet_event(updated, "Warning", "Evicted", message, host=node)
        worker = self.fleet.worker(ns, name) if self.fleet is not None else None
        for slot in (worker.mains + worker.inits) if worker is not None else []:
            if slot.current is not None and slot.current.running:
                self.recorder.kubelet_event(
                    updated,
                    "Normal",
                    "Killing",
                    f"Stopping container {slot.name}",
                    field_path=f"spec.containers{{{slot.name}}}",
                    host=node,
                )
                slot.current.kill(137, "Error")

    def _usage(self, pod: dict[str, Any], container: str) -> str:
        """The container's working set: the image's need as the kubelet catalog records it."""
        worker = (
            self.fleet.worker(pod["metadata"]["namespace"], pod["metadata"]["name"]) if self.fleet else None
        )
        for slot in worker.mains if worker is not None else []:
            if slot.name == container and slot.current is not None:
                need = slot.current.image.repo.get("memory")
                if need:
                    return str(need)
        return "48Mi"


def _rank(pod: dict[str, Any]) -> tuple[int, int, str]:
    """BestEffort before Burstable before Guaranteed; lower priority first; then by name."""
    qos = (pod.get("status") or {}).get("qosClass", "BestEffort")
    order = {"BestEffort": 0, "Burstable": 1, "Guaranteed": 2}.get(qos, 1)
    return (order, int((pod.get("spec") or {}).get("priority") or 0), pod["metadata"]["name"])
