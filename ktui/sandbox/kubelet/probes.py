"""Startup, readiness and liveness probes against the container's program, with the kubelet's outputs.

Outputs quote pkg/probe: ``HTTP probe failed with statuscode: 404``,
``Get "http://10.244.0.7:8080/healthz": dial tcp 10.244.0.7:8080: connect: connection refused``,
``dial tcp 10.244.0.7:8080: connect: connection refused`` (tcpSocket), and an exec probe's own output.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from ktui.sandbox.kubelet.coreutils import BufferIO
from ktui.sandbox.kubelet.http import http_get
from ktui.sandbox.kubelet.programs import find, not_found_message
from ktui.sandbox.kubelet.runtime import Container, Exit


def _port(spec: dict[str, Any], value: Any) -> int | None:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    for p in spec.get("ports") or []:
        if p.get("name") == value:
            return int(p.get("containerPort", 0))
    return None


async def run_probe(c: Container, spec: dict[str, Any], probe: dict[str, Any]) -> tuple[bool, str]:
    """One probe attempt: (success, output)."""
    timeout = c.clock.real_seconds(float(probe.get("timeoutSeconds", 1)))
    if probe.get("exec"):
        argv = [str(x) for x in probe["exec"].get("command") or []]
        io = BufferIO()
        run = find(c, argv, io) if argv else None
        if run is None:
            return False, (
                "OCI runtime exec failed: exec failed: unable to start container process: "
                + not_found_message(argv[0] if argv else "").split("process: ", 1)[-1]
            )
        try:
            code = await asyncio.wait_for(run(), timeout)
        except Exit as e:
            code = e.code
        except TimeoutError:
            return (
                False,
                f'command timed out: "{" ".join(argv)}" timed out after {probe.get("timeoutSeconds", 1)}s',
            )
        return code == 0, "".join(io.text)
    action = probe.get("httpGet") or probe.get("tcpSocket")
    if not action:
        return True, ""
    port = _port(spec, action.get("port"))
    host = action.get("host") or c.ip
    address = f"{host}:{port}"
    listener = c.listeners.get(port or -1)
    url = f"{str(action.get('scheme', 'HTTP')).lower()}://{address}{action.get('path', '/')}"
    refused = f"dial tcp {address}: connect: connection refused"
    if listener is None or not c.running:
        return False, (f'Get "{url}": {refused}' if probe.get("httpGet") else refused)
    try:
        reader, writer = await listener.connect(c.ip.rsplit(".", 1)[0] + ".1")
    except OSError:
        return False, (f'Get "{url}": {refused}' if probe.get("httpGet") else refused)
    if probe.get("tcpSocket"):
        writer.close()
        return True, ""
    headers = {str(h.get("name")): str(h.get("value")) for h in action.get("httpHeaders") or []}
    try:
        status, _ = await asyncio.wait_for(
            http_get(reader, writer, address, str(action.get("path", "/")), headers), timeout
        )
    except TimeoutError:
        writer.close()
        return (
            False,
            f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        )
    except (ConnectionError, OSError):
        return (
            False,
            f'Get "{url}": read tcp {c.ip.rsplit(".", 1)[0]}.1:0->{address}: read: connection reset by peer',
        )
    if 200 <= status < 400:
        return True, ""
    return False, f"HTTP probe failed with statuscode: {status}"


class ProbeWorker:
    """Runs one probe on its period and reports result changes (pkg/kubelet/prober/worker.go)."""

    def __init__(
        self,
        kind: str,
        c: Container,
        spec: dict[str, Any],
        probe: dict[str, Any],
        report: Callable[[str, bool, str, bool], None],
        gate: Callable[[], bool],
    ) -> None:
        self.kind = kind  # "Startup" | "Readiness" | "Liveness"
        self.c = c
        self.spec = spec
        self.probe = probe
        self.report = report  # (kind, ok, output, threshold reached): every failure, and success flips
        self.gate = gate  # readiness/liveness wait for the startup probe
        self.result = False  # readiness and startup start as failure; liveness success is implied
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin probing."""
        self.task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Stop probing (container gone)."""
        if self.task is not None:
            self.task.cancel()

    async def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            period = float(self.probe.get("periodSeconds", 10))
            await self.c.sleep(float(self.probe.get("initialDelaySeconds", 0)))
            failures = successes = 0
            failure_threshold = int(self.probe.get("failureThreshold", 3))
            success_threshold = int(self.probe.get("successThreshold", 1))
            while self.c.running:
                if self.gate():
                    ok, output = await run_probe(self.c, self.spec, self.probe)
                    if not self.c.running:
                        return
                    if ok:
                        successes, failures = successes + 1, 0
                        if not self.result and successes >= success_threshold:
                            self.result = True
                            self.report(self.kind, True, "", True)
                            if self.kind == "Startup":
                                return  # a started container is never startup-probed again
                    else:
                        failures, successes = failures + 1, 0
                        reached = failures >= failure_threshold
                        if reached:
                            self.result = False
                        self.report(self.kind, False, output.rstrip("\n"), reached)
                        if reached and self.kind in ("Liveness", "Startup"):
                            return
                await self.c.sleep(period)
