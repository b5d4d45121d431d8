"""The simulated cluster's moving parts: kubelets, scheduler, controllers and the ingress-nginx program.

``Simulation(store, clock)`` builds one event recorder shared by all of them (so event aggregation
works across components), installs the ``KubeletFleet`` as the API server's ``node_agent`` and runs
everything on the sandbox's loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ktui.sandbox.clock import SimClock
from ktui.sandbox.controllers.base import Controller
from ktui.sandbox.controllers.deployment import DeploymentController
from ktui.sandbox.controllers.endpoints import EndpointsController
from ktui.sandbox.controllers.eviction import EvictionManager
from ktui.sandbox.controllers.gc import GarbageCollector
from ktui.sandbox.controllers.ingress_nginx import IngressNginx
from ktui.sandbox.controllers.nodes import NodeLifecycleController
from ktui.sandbox.controllers.quota import QuotaController
from ktui.sandbox.controllers.replicaset import ReplicaSetController
from ktui.sandbox.controllers.volumes import VolumeController
from ktui.sandbox.kubelet import KubeletFleet
from ktui.sandbox.recorder import EventRecorder
from ktui.sandbox.scheduler import Scheduler


class Simulation:
    """Everything that makes the sandbox behave like a cluster, started and stopped together."""

    def __init__(self, store: Any, clock: SimClock) -> None:
        self.store = store
        self.clock = clock
        self.recorder = EventRecorder(store, clock)
        self.node_agent = KubeletFleet(store, clock, self.recorder)
        self.quota = QuotaController(store, clock, self.recorder)
        admission = getattr(store, "admission", None)
        if isinstance(admission, list):  # the store runs admission plugins itself: quota joins them
            admission.append(self.quota.admit)
            admit = None
        else:
            admit = self.quota.admit
        self.scheduler = Scheduler(store, clock, self.recorder)
        self.controllers: list[Controller] = [
            self.quota,
            ReplicaSetController(store, clock, self.recorder, admit=admit),
            DeploymentController(store, clock, self.recorder),
            EndpointsController(store, clock, self.recorder),
            VolumeController(store, clock, self.recorder),
            NodeLifecycleController(store, clock, self.recorder),
            EvictionManager(store, clock, self.recorder, fleet=self.node_agent),
            GarbageCollector(store, clock, self.recorder),
            self.scheduler,
        ]
        self.ingress_nginx = IngressNginx(store, self.recorder, self._dial_from)
        self._started = False

    async def _dial_from(
        self, namespace: str, pod: str, port: int, peer: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await self.node_agent.dial_pod(namespace, pod, port, peer)

    async def start(self) -> None:
        """Start kubelets, controllers and the scheduler; pods with deletion go through kubelets."""
        self.store.graceful_pod_deletion = True
        self.ingress_nginx.start()
        await self.node_agent.start()
        for controller in self.controllers:
            controller.start()
        self._started = True

    async def stop(self) -> None:
        """Stop everything (containers are killed; objects stay in the store)."""
        if not self._started:
            return
        self._started = False
        for controller in reversed(self.controllers):
            await controller.stop()
        await self.node_agent.stop()
        self.ingress_nginx.stop()
