"""A minimal API server for the port-forward tests: just what kubectl and the Python client need.

Routes ``pods/{name}/portforward`` (GET and POST) to ``handle_portforward`` with a ``dial`` that
reaches small HTTP servers on 127.0.0.1, plus ``/version``, aggregated discovery and a Running pod
for kubectl. Also the helpers to run kubectl and count what is left open afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from ktui.sandbox.portforward import handle_portforward, shutdown_portforwards

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
POD_UID = "8d6f2f0c-4a55-4c1e-9a4f-3b3f7b1c2d10"


class DialError(Exception):
    """What the kubelet's dial raises: its text goes on the error stream."""


async def poll(cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Wait until ``cond()`` holds, checking every 20 ms, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Backend:
    """A tiny HTTP/1.1 server: answers with ``body`` (``POST /echo``: the request body) and closes.

    Counts open connections so tests can check that none is left behind."""

    body: bytes
    port: int = 0
    open_connections: int = 0
    served: int = 0
    server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_connections += 1
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            body = self.body
            if request.startswith(b"POST /echo "):
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", request)
                body = await reader.readexactly(int(length.group(1))) if length else b""
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n").encode()
            writer.write(head + body)
            await writer.drain()
            self.served += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self.open_connections -= 1

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@dataclass
class PortForwardApp:
    """The test API server; ``backends`` maps a pod port to the local server behind it."""

    tmp: Path
    backends: dict[int, Backend] = field(default_factory=dict)
    dial_error: str | None = None
    dials: list[int] = field(default_factory=list)
    upgrades: list[str] = field(default_factory=list)
    url: str = ""
    runner: web.AppRunner | None = None

    async def dial(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.dials.append(port)
        if self.dial_error is not None:
            raise DialError(self.dial_error)
        backend = self.backends.get(port)
        if backend is None:
            raise DialError(f"error forwarding port {port} to pod 0c1d2e3f4a5b, uid {POD_UID}: failed to "
                            f"connect to localhost:{port} inside namespace \"0c1d2e3f4a5b\", IPv4: dial tcp4 "
                            f"127.0.0.1:{port}: connect: connection refused")
        return await asyncio.open_connection("127.0.0.1", backend.port)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/version", _version)
        app.router.add_get("/api", _core_discovery)
        app.router.add_get("/apis", _groups_discovery)
        app.router.add_get("/api/v1/namespaces/{ns}/pods/{name}", _pod)
        app.router.add_route("*", "/api/v1/namespaces/{ns}/pods/{name}/portforward", self._portforward)
        app.on_shutdown.append(shutdown_portforwards)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        (self.tmp / "kubeconfig").write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "pf",
            "clusters": [{"name": "pf", "cluster": {"server": self.url}}],
            "users": [{"name": "pf", "user": {}}],
            "contexts": [{"name": "pf",
                          "context": {"cluster": "pf", "user": "pf", "namespace": "default"}}]}))

    async def _portforward(self, request: web.Request) -> web.StreamResponse:
        # e.g. "GET websocket SPDY/3.1+portforward.k8s.io" or "POST SPDY/3.1 " (what kubectl tried)
        self.upgrades.append(f"{request.method} {request.headers.get('Upgrade', '')} "
                             f"{request.headers.get('Sec-WebSocket-Protocol', '')}")
        return await handle_portforward(request, self.dial)

    def connections(self) -> int:
        """Connections the API server holds open."""
        if self.runner is None or self.runner.server is None:
            return 0
        return len(self.runner.server.connections)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def _json(body: object, content_type: str = "application/json") -> web.Response:
    return web.Response(body=json.dumps(body).encode(),
                        headers={"Content-Type": content_type, "Cache-Control": "no-cache, private"})


async def _version(_: web.Request) -> web.Response:
    return _json({"major": "1", "minor": "32", "gitVersion": "v1.32.4", "platform": "linux/amd64"})


async def _core_discovery(_: web.Request) -> web.Response:
    pods = {"resource": "pods", "singularResource": "pod", "scope": "Namespaced",
            "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
            "verbs": ["get", "list", "watch"], "shortNames": ["po"], "categories": ["all"],
            "subresources": [{"subresource": "portforward", "verbs": ["create", "get"],
                              "responseKind": {"group": "", "version": "v1",
                                               "kind": "PodPortForwardOptions"}}]}
    return _json({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                  "items": [{"metadata": {"creationTimestamp": None},
                             "versions": [{"version": "v1", "freshness": "Current", "resources": [pods]}]}]},
                 AGGREGATED)


async def _groups_discovery(_: web.Request) -> web.Response:
    return _json({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                  "items": []}, AGGREGATED)


async def _pod(request: web.Request) -> web.Response:
    name, ns = request.match_info["name"], request.match_info["ns"]
    return _json({"kind": "Pod", "apiVersion": "v1",
                  "metadata": {"name": name, "namespace": ns, "uid": POD_UID, "resourceVersion": "7",
                               "creationTimestamp": "2026-01-01T00:00:00Z"},
                  "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "nginx:1.27",
                                                                  "ports": [{"containerPort": 80}]}]},
                  "status": {"phase": "Running", "podIP": "10.244.0.5"}})


@contextlib.asynccontextmanager
async def portforward_app(tmp: Path, bodies: dict[int, bytes]) -> AsyncIterator[PortForwardApp]:
    """Start the app and its backends; on exit assert nothing is left open, then stop everything."""
    backends = {port: Backend(body) for port, body in bodies.items()}
    for backend in backends.values():
        await backend.start()
    app = PortForwardApp(tmp, backends)
    await app.start()
    baseline = len(asyncio.all_tasks())
    try:
        yield app
        # No session task, backend socket or API connection may outlive its clients.
        await poll(lambda: len(asyncio.all_tasks()) <= baseline, what="port-forward tasks to end")
        await poll(lambda: all(b.open_connections == 0 for b in backends.values()), what="backends to close")
        await poll(lambda: app.connections() == 0, what="API connections to close")
    finally:
        await app.stop()
        for backend in backends.values():
            await backend.stop()


@dataclass
class Kubectl:
    """A running ``kubectl port-forward`` and the local port it listens on."""

    proc: asyncio.subprocess.Process
    local_port: int
    output: list[str]

    async def stop(self) -> int:
        """Interrupt kubectl as Ctrl-C would; return its exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise


async def start_kubectl(app: PortForwardApp, target: str, *, websockets: bool) -> Kubectl:
    """``kubectl port-forward pod/x :80`` against the app; wait for its ``Forwarding from`` line."""
    env = {**os.environ, "HOME": str(app.tmp), "KUBECONFIG": str(app.tmp / "kubeconfig"),
           "KUBECACHEDIR": str(app.tmp / "cache"),
           "KUBECTL_PORT_FORWARD_WEBSOCKETS": "true" if websockets else "false"}
    proc = await asyncio.create_subprocess_exec(
        "kubectl", "port-forward", "--cache-dir", str(app.tmp / "cache"), "--address", "127.0.0.1",
        "pod/web", target, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    output: list[str] = []
    try:
        async with asyncio.timeout(15):
            while True:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"kubectl exited: {''.join(output)}")
                output.append(line)
                found = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> ", line)
                if found:
                    return Kubectl(proc, int(found.group(1)), output)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise


async def drain_output(kubectl: Kubectl) -> str:
    """Everything kubectl printed, once it has exited."""
    assert kubectl.proc.stdout is not None
    rest = await kubectl.proc.stdout.read()
    return "".join(kubectl.output) + rest.decode()


async def http_get(port: int, path: str = "/", *, upload: bytes | None = None) -> bytes:
    """A raw HTTP/1.1 GET (or POST of ``upload``) through the forwarded port; returns the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        method = "GET" if upload is None else "POST"
        length = "" if upload is None else f"Content-Length: {len(upload)}\r\n"
        request = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{length}Connection: close\r\n\r\n"
        writer.write(request.encode())
        writer.write(upload or b"")
        await writer.drain()
        async with asyncio.timeout(10):
            data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data[:200]
    return body

