"""A pod worker's probe wiring: start each container's probes and act on results (ready, restart)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ktui.sandbox.kubelet.probes import ProbeWorker
from ktui.sandbox.kubelet.runtime import Container
from ktui.sandbox.kubelet.status import Slot

if TYPE_CHECKING:
    from ktui.sandbox.kubelet.pod_worker import PodWorker

_PROBES = (("Startup", "startupProbe"), ("Readiness", "readinessProbe"), ("Liveness", "livenessProbe"))


def start_probes(worker: PodWorker, slot: Slot, c: Container) -> None:
    """Start the probes of a container that just started (init containers have none)."""
    spec = slot.spec
    slot.started = not spec.get("startupProbe")
    slot.ready = not spec.get("readinessProbe") and not slot.init
    for kind, key in _PROBES:
        if slot.init or not spec.get(key):
            continue

        def report(
            kind: str, ok: bool, output: str, reached: bool, slot: Slot = slot, c: Container = c
        ) -> None:
            probe_result(worker, slot, c, kind, ok, output, reached)

        def gate(kind: str = kind, slot: Slot = slot) -> bool:
            return kind == "Startup" or slot.started

        probe = ProbeWorker(kind, c, spec, spec[key], report, gate)
        slot.probes.append(probe)
        probe.start()


def stop_probes(slot: Slot) -> None:
    """Stop every probe of the slot's run."""
    for probe in slot.probes:
        probe.stop()


def probe_result(
    worker: PodWorker, slot: Slot, c: Container, kind: str, ok: bool, output: str, reached: bool
) -> None:
    """A probe's result: Unhealthy events, started/ready flags, and a restart on liveness/startup failure."""
    if slot.current is not c or not c.running or worker.pod["metadata"].get("deletionTimestamp"):
        return
    if not ok:
        worker.event("Warning", "Unhealthy", f"{kind} probe failed: {output}", slot)
    if kind == "Startup" and ok:
        slot.started = True
    elif kind == "Readiness":
        if ok or reached:
            slot.ready = ok
    elif reached and not ok and kind in ("Liveness", "Startup"):
        worker.event(
            "Normal",
            "Killing",
            f"Container {slot.name} failed {kind.lower()} probe, will be restarted",
            slot,
        )
        grace = float(worker.pod["spec"].get("terminationGracePeriodSeconds", 30))
        asyncio.get_running_loop().create_task(c.stop(grace))
    worker.poke()
