"""One pod on one node: the kubelet's sync loop (sandbox, volumes, init containers, containers, status).

Timings follow the kubelet: a failed sync is retried after 10 s, image pull and crash-loop back-off
start at 10 s and double to 5 minutes, volume mounts retry with their own back-off. Events and
messages are the kubelet's (pkg/kubelet/kuberuntime, pkg/kubelet/images).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from ktui.sandbox.kubelet import apps as _apps  # noqa: F401 - registers the images' programs
from ktui.sandbox.kubelet.config import ConfigError, container_files, environment, mount_volumes
from ktui.sandbox.kubelet.images import go_duration
from ktui.sandbox.kubelet.pod_probes import start_probes, stop_probes
from ktui.sandbox.kubelet.programs import effective_argv, expand, resolve
from ktui.sandbox.kubelet.pulls import Backoff, ensure_image
from ktui.sandbox.kubelet.runtime import Container, StartFailure, quantity_bytes
from ktui.sandbox.kubelet.status import Slot, pod_status, terminated

if TYPE_CHECKING:
    from ktui.sandbox.kubelet.node import NodeKubelet

RETRY = 10.0  # pod worker back-off period after a failed sync
RESYNC = 60.0


class PodWorker:
    """Keeps one pod's containers in line with its spec and reports its status."""

    def __init__(self, node: NodeKubelet, pod: dict[str, Any]) -> None:
        self.node = node
        self.namespace = pod["metadata"].get("namespace", "default")
        self.name = pod["metadata"]["name"]
        self.uid = pod["metadata"].get("uid", "")
        self.pod = pod
        spec = pod.get("spec", {})
        self.inits = [Slot(c, init=True) for c in spec.get("initContainers") or []]
        self.mains = [Slot(c) for c in spec.get("containers") or []]
        self.sandbox_id = ""
        self.netns = ""
        self.ip = ""
        self.start_time = ""
        self.crash_backoff: dict[str, Backoff] = {}
        self.pull_backoff: dict[str, Backoff] = {}
        self.prev_pull_error: dict[str, str] = {}
        self.mount_backoff = 0.5
        self.mount_failing_since: float | None = None
        self.volumes: dict[str, dict[str, bytes]] = {}
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.written: dict[str, Any] | None = None
        self.finished = False

    # -- loop -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the sync loop."""
        self.task = asyncio.get_running_loop().create_task(self._loop())

    def poke(self, pod: dict[str, Any] | None = None) -> None:
        """Something changed (pod update, container exit, probe result): sync soon."""
        if pod is not None:
            self.pod = pod
        self.wake.set()

    async def _loop(self) -> None:
        delay = 0.0
        while not self.finished:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.node.clock.real_seconds(delay))
            self.wake.clear()
            current = self.node.store.get("pods", self.namespace, self.name)
            if current is None or current["metadata"].get("uid") != self.uid:
                await self.shutdown(grace=0)
                return
            self.pod = current
            if self.pod["metadata"].get("deletionTimestamp"):
                await self.terminate()
                return
            delay = await self.sync()

    def sim_now(self) -> float:
        """Monotonic cluster time in seconds."""
        return time.monotonic() * self.node.clock.speed

    # -- events -----------------------------------------------------------------------------------

    def event(self, type_: str, reason: str, message: str, slot: Slot | None = None) -> None:
        """A kubelet event about the pod or one of its containers."""
        path = None
        if slot is not None:
            path = f"spec.{'initContainers' if slot.init else 'containers'}{{{slot.name}}}"
        self.node.recorder.kubelet_event(
            self.pod, type_, reason, message, field_path=path, host=self.node.name
        )

    @property
    def format_pod(self) -> str:
        """``name_namespace(uid)``, as kubelet messages name a pod."""
        return f"{self.name}_{self.namespace}({self.uid})"

    # -- sync -------------------------------------------------------------------------------------

    async def sync(self) -> float:
        """One SyncPod pass; returns the cluster seconds until the next resync."""
        if self.node.stopped:
            return RETRY
        if self.pod.get("status", {}).get("phase") in ("Succeeded", "Failed") and self.written is not None:
            return RESYNC
        if not self.start_time:
            self.start_time = self.node.clock.stamp()
        if not self.sandbox_id:
            await self.node.clock.sleep(0.5)  # RunPodSandbox + CNI ADD
            self.sandbox_id, self.netns = self.node.new_sandbox()
            self.ip = self.node.allocate_ip(self)
        volumes, errors = mount_volumes(self.node.store, self.pod)
        if errors:
            return self._mount_failed(errors)
        self.volumes, self.mount_failing_since, self.mount_backoff = volumes, None, 0.5
        retry = False
        for slot in self.inits:
            if slot.succeeded:
                continue
            if slot.running:
                self.write_status()
                return RESYNC
            if (
                slot.current is not None
                and slot.current.exit_code not in (None, 0)
                and self.pod["spec"].get("restartPolicy") == "Never"
            ):
                self.write_status()
                return RESYNC
            retry = not await self._run_slot(slot)
            self.write_status()
            return RETRY if retry else RESYNC
        for slot in self.mains:
            if slot.running:
                continue
            if slot.current is not None and not slot.waiting and not self._should_restart(slot):
                continue
            if not await self._run_slot(slot):
                retry = True
        self.write_status()
        return RETRY if retry else RESYNC

    def _should_restart(self, slot: Slot) -> bool:
        policy = self.pod["spec"].get("restartPolicy", "Always")
        code = slot.current.exit_code if slot.current is not None else None
        return policy == "Always" or (policy == "OnFailure" and code != 0)

    def _mount_failed(self, errors: list[str]) -> float:
        now = self.sim_now()
        if self.mount_failing_since is None:
            self.mount_failing_since = now
        for message in errors:
            self.event("Warning", "FailedMount", message)
        if now - self.mount_failing_since >= 120:
            names = sorted({m.split('"')[1] for m in errors})
            self.event(
                "Warning",
                "FailedMount",
                f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(names)}],"
                " unattached volumes=[], failed to process volumes=[]: timed out waiting for the condition",
            )
            self.mount_failing_since = now
        self.write_status()
        delay = self.mount_backoff
        self.mount_backoff = min(self.mount_backoff * 2, 122.0)  # 2m2s, the volume manager's cap
        return delay

    async def _run_slot(self, slot: Slot) -> bool:
        """Start (or restart) one container; False if the sync must retry."""
        key = slot.name
        if (
            (slot.current is not None
            and not slot.waiting)
            or (slot.waiting and slot.waiting[0] in ("CrashLoopBackOff", "RunContainerError"))
        ):
            last = slot.current
            assert last is not None
            backoff = self.crash_backoff.setdefault(key, Backoff())
            finished = getattr(last, "finished_sim", self.sim_now())
            if backoff.in_backoff_since(finished, self.sim_now()):
                self.event(
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {slot.name} in pod {self.format_pod}",
                    slot,
                )
                slot.waiting = (
                    "CrashLoopBackOff",
                    f"back-off {go_duration(backoff.duration)} restarting failed "
                    f"container={slot.name} pod={self.format_pod}",
                )
                slot.ready = False
                return False
            backoff.next(finished, self.sim_now())
        image = await ensure_image(self, slot)
        if image is None:
            return False
        slot.image = image
        try:
            env = environment(self.node.store, self.pod, slot.spec)
        except ConfigError as e:
            self.event("Warning", "Failed", f"Error: {e}", slot)
            slot.waiting = ("CreateContainerConfigError", str(e))
            return False
        files = container_files(slot.spec, self.volumes)
        limit = quantity_bytes(((slot.spec.get("resources") or {}).get("limits") or {}).get("memory"))
        argv = expand(effective_argv(slot.spec, image.repo), env)
        c = Container(
            name=slot.name,
            argv=argv,
            env=env,
            image=image,
            files=files,
            memory_limit=limit,
            clock=self.node.clock,
            pod=self.pod,
            ip=self.ip,
            context=self.node,
        )
        if slot.current is not None:
            slot.last, slot.restarts = slot.current, slot.restarts + 1
        slot.current, slot.ready, slot.started = c, False, False
        try:
            program = resolve(c)
        except StartFailure as e:
            self.event("Normal", "Created", f"Created container: {slot.name}", slot)
            c.fail_start(str(e))
            c.finished_sim = self.sim_now()  # type: ignore[attr-defined]
            self.event("Warning", "Failed", f"Error: {e}", slot)
            slot.waiting = ("RunContainerError", str(e))
            return False
        self.event("Normal", "Created", f"Created container: {slot.name}", slot)
        slot.waiting = None
        c.start(program, self._exited)
        self.event("Normal", "Started", f"Started container {slot.name}", slot)
        need = quantity_bytes(image.repo.get("memory"))
        if limit is not None and need is not None and need > limit:
            asyncio.get_running_loop().call_later(self.node.clock.real_seconds(1.5), c.kill, 137, "OOMKilled")
        start_probes(self, slot, c)
        return True

    def _exited(self, c: Container) -> None:
        c.finished_sim = self.sim_now()  # type: ignore[attr-defined]
        for slot in self.inits + self.mains:
            if slot.current is c:
                stop_probes(slot)
                slot.probes, slot.ready = [], False
        self.poke()

    # -- status -----------------------------------------------------------------------------------

    def build_status(self) -> dict[str, Any]:
        """The pod status from the slots."""
        return pod_status(
            self.pod,
            self.inits,
            self.mains,
            sandbox_ready=bool(self.sandbox_id),
            now=self.node.clock.stamp(),
            host_ip=self.node.host_ip,
            pod_ip=self.ip,
            start_time=self.start_time,
        )

    def write_status(self) -> None:
        """Patch the pod's status in the store when it changed."""
        if self.node.stopped:
            return
        status = self.build_status()
        if status == self.written:
            return
        self.written = status

        def put(obj: dict[str, Any]) -> bool | None:
            if obj.get("status") == status:
                return False
            obj["status"] = {**(obj.get("status") or {}), **status}
            return None

        updated = self.node.store.mutate("pods", self.namespace, self.name, put)
        if updated is not None:
            self.pod = updated

    # -- ending -----------------------------------------------------------------------------------

    async def terminate(self) -> None:
        """Graceful deletion: Killing events, stop every container, then remove the pod object."""
        grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        for slot in self.inits + self.mains:
            if slot.running:
                self.event("Normal", "Killing", f"Stopping container {slot.name}", slot)
        await self.shutdown(float(grace))
        self.node.store.remove("pods", self.namespace, self.name)

    async def shutdown(self, grace: float) -> None:
        """Stop probes and containers, release the IP; the worker ends."""
        self.finished = True
        stops = []
        for slot in self.inits + self.mains:
            stop_probes(slot)
            if slot.current is not None and slot.current.running:
                stops.append(slot.current.stop(grace))
        if stops:
            await asyncio.gather(*stops)
        self.node.release(self)
        self.node.recorder.forget(self.uid)

    def instance(self, container: str, previous: bool) -> tuple[Slot | None, Container | None]:
        """The slot named ``container`` and the run its log request reads (see validateContainerLogStatus)."""
        for slot in self.mains + self.inits:
            if slot.name == container:
                if previous:
                    run = (
                        slot.current
                        if slot.current is not None and not slot.current.running and slot.waiting
                        else slot.last
                    )
                    return slot, run
                return slot, slot.current
        return None, None


__all__ = ["PodWorker", "quantity_bytes", "terminated"]
