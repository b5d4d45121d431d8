"""The kubelets: one per Node object, each running the pods bound to it; logs and port-forward dials.

``KubeletFleet`` is the API server's ``NodeAgent``. A node annotated
``sandbox.ktui.dev/kubelet: stopped`` stops reporting (no heartbeats, no pod status writes), as a
kubelet cut off from the API server; its containers keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

from ktui.sandbox.clock import SimClock
from ktui.sandbox.controllers.objects import generated
from ktui.sandbox.errors import ApiError
from ktui.sandbox.kubelet.images import Catalog, Image
from ktui.sandbox.kubelet.pod_worker import PodWorker
from ktui.sandbox.recorder import EventRecorder

STOPPED_ANNOTATION = "sandbox.ktui.dev/kubelet"
HEARTBEAT = 10.0  # nodeStatusUpdateFrequency


class PortForwardError(ConnectionError):
    """A dial to a pod port failed; the message is the kubelet's error-stream text."""


class NodeKubelet:
    """A simulated kubelet for one node."""

    def __init__(self, fleet: KubeletFleet, node: dict[str, Any], index: int) -> None:
        self.fleet = fleet
        self.store = fleet.store
        self.clock = fleet.clock
        self.recorder = fleet.recorder
        self.catalog = fleet.catalog
        self.shells = fleet.catalog.shells
        self.name = node["metadata"]["name"]
        self.node = node
        self.workers: dict[tuple[str, str], PodWorker] = {}
        self.images: dict[str, Image] = {}
        self.pull_lock = asyncio.Lock()
        cidr = (node.get("spec") or {}).get("podCIDR") or f"10.244.{index}.0/24"
        self.network = ipaddress.ip_network(cidr, strict=False)
        self.used: set[str] = set()
        addresses = (node.get("status") or {}).get("addresses") or []
        internal = [a.get("address") for a in addresses if a.get("type") == "InternalIP"]
        self.host_ip = str(internal[0]) if internal else f"172.18.0.{index + 2}"
        self.task: asyncio.Task[None] | None = None

    @property
    def stopped(self) -> bool:
        """The node's kubelet is cut off (annotation)."""
        return (self.node["metadata"].get("annotations") or {}).get(STOPPED_ANNOTATION) == "stopped"

    def start(self) -> None:
        """Start heartbeats."""
        self.task = asyncio.get_running_loop().create_task(self._heartbeat())

    async def stop(self) -> None:
        """Stop heartbeats and every pod worker (containers are killed, objects stay)."""
        if self.task is not None:
            self.task.cancel()
        for worker in list(self.workers.values()):
            if worker.task is not None:
                worker.task.cancel()
            await worker.shutdown(grace=0)
        self.workers.clear()

    # -- pods -------------------------------------------------------------------------------------

    def pod_changed(self, pod: dict[str, Any]) -> None:
        """A pod bound to this node was added or changed."""
        key = (pod["metadata"].get("namespace", "default"), pod["metadata"]["name"])
        worker = self.workers.get(key)
        if worker is not None and worker.uid != pod["metadata"].get("uid"):
            worker.poke()  # the old pod is gone; its worker notices and ends
            worker = None
        if worker is None or worker.finished:
            worker = PodWorker(self, pod)
            self.workers[key] = worker
            worker.start()
        else:
            worker.poke(pod)

    def pod_deleted(self, pod: dict[str, Any]) -> None:
        """A pod object was removed (force delete): stop its containers now."""
        key = (pod["metadata"].get("namespace", "default"), pod["metadata"]["name"])
        worker = self.workers.get(key)
        if worker is not None and worker.uid == pod["metadata"].get("uid"):
            worker.poke()

    def new_sandbox(self) -> tuple[str, str]:
        """A pod sandbox id and its network namespace path."""
        return secrets.token_hex(32), f"/var/run/netns/cni-{uuid.uuid4()}"

    def allocate_ip(self, worker: PodWorker) -> str:
        """The next free address in the node's pod CIDR (host-network pods get the node's)."""
        if worker.pod["spec"].get("hostNetwork"):
            return self.host_ip
        for host in list(self.network.hosts())[1:]:
            ip = str(host)
            if ip not in self.used:
                self.used.add(ip)
                return ip
        return str(next(iter(self.network.hosts())))

    def release(self, worker: PodWorker) -> None:
        """Free the worker's IP and forget it."""
        self.used.discard(worker.ip)
        key = (worker.namespace, worker.name)
        if self.workers.get(key) is worker:
            del self.workers[key]

    # -- heartbeat --------------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                current = self.store.get("nodes", None, self.name)
                if current is not None:
                    self.node = current
                    if not self.stopped:
                        self.store.mutate("nodes", None, self.name, self._beat)
                await self.clock.sleep(HEARTBEAT)

    def _beat(self, node: dict[str, Any]) -> None:
        now = self.clock.stamp()
        status = node.setdefault("status", {})
        conditions = status.setdefault("conditions", [])
        wanted = [
            (
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
        by_type = {c.get("type"): c for c in conditions}
        for type_, status_, reason, message in wanted:
            cond = by_type.get(type_)
            if cond is None:
                cond = {
                    "type": type_,
                    "status": status_,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                    "reason": reason,
                    "message": message,
                }
                conditions.append(cond)
            elif type_ == "Ready" and cond.get("status") != "True":
                cond.update(status="True", reason=reason, message=message, lastTransitionTime=now)
            cond["lastHeartbeatTime"] = now


class KubeletFleet:
    """All simulated kubelets; the API server's NodeAgent for logs and port-forward."""

    def __init__(
        self,
        store: Any,
        clock: SimClock,
        recorder: EventRecorder | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.recorder = recorder or EventRecorder(store, clock)
        self.catalog = catalog or Catalog.load()
        self.nodes: dict[str, NodeKubelet] = {}
        self._unsubscribe: Any = None
        self._index = 0

    async def start(self) -> None:
        """Adopt existing nodes and pods, then follow changes."""
        self.store.graceful_pod_deletion = True
        for node in self.store.list("nodes")[0]:
            self._node_added(node)
        for pod in self.store.list("pods")[0]:
            self._pod(pod)
        self._unsubscribe = self.store.subscribe(self._on_change)

    async def stop(self) -> None:
        """Stop every kubelet and container."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for kubelet in list(self.nodes.values()):
            await kubelet.stop()
        self.nodes.clear()

    def _on_change(self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        if resource == "nodes":
            name = obj["metadata"]["name"]
            if type_ == "DELETED":
                kubelet = self.nodes.pop(name, None)
                if kubelet is not None:
                    asyncio.get_running_loop().create_task(kubelet.stop())
            elif name not in self.nodes:
                self._node_added(obj)
            else:
                self.nodes[name].node = obj
        elif resource == "pods":
            if type_ == "DELETED":
                kubelet = self.nodes.get((obj.get("spec") or {}).get("nodeName") or "")
                if kubelet is not None:
                    kubelet.pod_deleted(obj)
            elif old is not None and _status_only(obj, old):
                worker = self.worker_for(obj)
                if worker is not None:
                    worker.pod = obj  # our own status write (or another's): no sync, as in the kubelet
            else:
                self._pod(obj)

    def worker_for(self, pod: dict[str, Any]) -> PodWorker | None:
        """The worker for this pod object (same uid), if running."""
        kubelet = self.nodes.get((pod.get("spec") or {}).get("nodeName") or "")
        if kubelet is None:
            return None
        worker = kubelet.workers.get((pod["metadata"].get("namespace", "default"), pod["metadata"]["name"]))
        return worker if worker is not None and worker.uid == pod["metadata"].get("uid") else None

    def _node_added(self, node: dict[str, Any]) -> None:
        kubelet = NodeKubelet(self, node, self._index)
        self._index += 1
        self.nodes[kubelet.name] = kubelet
        kubelet.start()
        for pod in self.store.list("pods")[0]:
            if (pod.get("spec") or {}).get("nodeName") == kubelet.name:
                self._pod(pod)

    def _pod(self, pod: dict[str, Any]) -> None:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or generated(pod):
            return
        kubelet = self.nodes.get(node)
        if kubelet is not None:
            kubelet.pod_changed(pod)

    def worker(self, namespace: str, pod: str) -> PodWorker | None:
        """The worker running ``namespace/pod``, if any."""
        obj = self.store.get("pods", namespace, pod)
        node = self.nodes.get(((obj or {}).get("spec") or {}).get("nodeName") or "")
        return node.workers.get((namespace, pod)) if node is not None else None

    # -- NodeAgent --------------------------------------------------------------------------------

    async def logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool = False,
        follow: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = False,
        limit_bytes: int | None = None,
    ) -> AsyncIterator[bytes]:
        """A container's log as the kubelet serves it; ApiError(400) with the kubelet's text otherwise."""
        worker = self.worker(namespace, pod)
        slot, run = worker.instance(container, previous) if worker is not None else (None, None)
        if worker is None or slot is None:
            raise ApiError(400, "BadRequest", f'container "{container}" in pod "{pod}" is not available')
        if previous and run is None:
            raise ApiError(
                400, "BadRequest", f'previous terminated container "{container}" in pod "{pod}" not found'
            )
        if run is None or (slot.waiting and run is slot.current and run.exit_code is None):
            reason = slot.waiting[0] if slot.waiting else "ContainerCreating"
            text = {
                "ErrImagePull": "image can't be pulled",
                "ImagePullBackOff": "trying and failing to pull image",
            }.get(reason, reason)
            raise ApiError(
                400, "BadRequest", f'container "{container}" in pod "{pod}" is waiting to start: {text}'
            )
        if follow:
            # Validation passed: an empty first chunk lets the server send its headers now, as a
            # real apiserver does, instead of only with the first log line of a quiet container.
            yield b""
        async for chunk in run.log.read(
            follow=follow,
            tail_lines=tail_lines,
            since_seconds=since_seconds,
            timestamps=timestamps,
            limit_bytes=limit_bytes,
        ):
            yield chunk

    async def dial(
        self, namespace: str, pod: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to ``port`` inside the pod's network namespace (the program's real listener)."""
        worker = self.worker(namespace, pod)
        if worker is not None:
            for slot in worker.mains + worker.inits:
                c = slot.current
                if c is not None and c.running and port in c.listeners:
                    return await c.listeners[port].connect("127.0.0.1")
        sandbox = worker.sandbox_id if worker is not None else secrets.token_hex(32)
        netns = worker.netns if worker is not None else f"/var/run/netns/cni-{uuid.uuid4()}"
        raise PortForwardError(
            f"error forwarding port {port} to pod {sandbox}, uid : failed to execute portforward in "
            f'network namespace "{netns}": failed to connect to localhost:{port} inside namespace '
            f'"{sandbox}", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 '
            f"[::1]:{port}: connect: connection refused "
        )

    async def dial_pod(
        self, namespace: str, pod: str, port: int, peer: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Pod-to-pod traffic (ingress controller to a backend): the program sees ``peer`` as the client."""
        worker = self.worker(namespace, pod)
        if worker is not None:
            for slot in worker.mains:
                c = slot.current
                if c is not None and c.running and port in c.listeners:
                    return await c.listeners[port].connect(peer)
        raise ConnectionRefusedError(
            f"dial tcp {worker.ip if worker else '0.0.0.0'}:{port}: connect: connection refused"
        )


def _status_only(new: dict[str, Any], old: dict[str, Any]) -> bool:
    return new.get("spec") == old.get("spec") and (new["metadata"].get("deletionTimestamp") ==
                                                   old["metadata"].get("deletionTimestamp"))
