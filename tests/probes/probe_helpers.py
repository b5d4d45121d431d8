"""Helpers for the probe tests: a fake node agent, thread and listener counting."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ktui.kube.client import Connection
from ktui.sandbox.runner import Sandbox

POD_YAML = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: default, labels: {{app: web}}}}
spec: {{containers: [{{name: web, image: nginx, ports: [{{name: web, containerPort: 80}}]}}]}}
"""


ECHO_PORT = 7
"""Pod port whose backend echoes every byte back."""
BANNER_PORT = 2222
"""Pod port whose backend greets with ``BANNER <monotonic ns of the accept>`` and then idles."""


@dataclass
class FakeAgent:
    """A NodeAgent: pod port 80 -> the local HTTP server, 7 echo, 2222 banner; anything else refused."""

    http_port: int
    dials: list[tuple[str, int]] = field(default_factory=list)

    async def logs(self, *_: Any, **__: Any) -> Any:
        """No logs here."""
        raise RuntimeError("no logs")
        yield b""  # pragma: no cover

    async def dial(self, namespace: str, pod: str, port: int) -> Any:
        """Connect or refuse like a kubelet."""
        self.dials.append((pod, port))
        if port in (ECHO_PORT, BANNER_PORT):
            return _pipe_backend(port)
        if port != 80:
            raise ConnectionRefusedError(
                f"error forwarding port {port} to pod 4f2a, uid 9c1e: failed to connect to localhost:{port} "
                f"inside namespace: dial tcp4 127.0.0.1:{port}: connect: connection refused"
            )
        return await asyncio.open_connection("127.0.0.1", self.http_port)


def _pipe_backend(port: int) -> tuple[asyncio.StreamReader, Any]:
    """An in-process backend for echo / banner: a reader and a writer-like object, no listener."""
    to_client = asyncio.StreamReader()
    if port == BANNER_PORT:
        to_client.feed_data(b"BANNER %d\r\n" % time.monotonic_ns())

    class Writer:
        def write(self, data: bytes) -> None:
            if port == ECHO_PORT:
                to_client.feed_data(data)

        async def drain(self) -> None:
            return None

        def can_write_eof(self) -> bool:
            return True

        def write_eof(self) -> None:
            # The client half-closed: an echo server answers what it got, then ends its side too.
            to_client.feed_eof()

        def close(self) -> None:
            to_client.feed_eof()

    return to_client, Writer()


async def http_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    body = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head></html>"
    writer.write(
        b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (len(body), body)
    )
    await writer.drain()
    writer.close()


@dataclass
class FakeCluster:
    """A sandbox, its connection and the fake agent."""

    sb: Sandbox
    conn: Connection
    agent: FakeAgent

    def add_pod(self, name: str) -> None:
        """Create a pod the port-forward endpoint will accept."""
        self.sb.apply_yaml(POD_YAML.format(name=name))


def ktui_threads() -> list[threading.Thread]:
    """Threads a forward may start: ours (ktui-pf-*, ktui-forward-*) and the client's proxy threads."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(("ktui-pf", "ktui-forward")) or t.name.startswith("Kubernetes port forward")
    ]


def listening_ports() -> set[int]:
    """TCP ports in LISTEN state on this machine (from /proc/net/tcp), to prove nothing is left."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    if parts[3] == "0A":  # TCP_LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports


def port_accepts(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0
