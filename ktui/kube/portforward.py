"""A port-forward session: a 127.0.0.1 listener relaying each connection to a pod port.

Each accepted local connection opens its own WebSocket port-forward through the official client
(``kubernetes.stream.portforward``, v4.channel.k8s.io), as kubectl opens one stream pair per
connection. The session stays honest: an error-channel message ("connection refused") or an upgrade
refusal (the pod is gone) is recorded per connection and marks the session dead with a short cause
that callers show ("pod replaced", "connection refused on :81", "local port busy"). ``retarget``
points new connections at another pod (a Service forward whose endpoint went away). ``close`` stops
every thread and socket it started, bounded in time.
"""

from __future__ import annotations

import contextlib
import errno
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import portforward

from ktui.kube.client import Connection, KubeError

LOOPBACK = "127.0.0.1"
"""The only address a ktui listener binds."""

_POLL = 0.2  # seconds between stop-flag checks in blocking loops
_HANDSHAKE = re.compile(r"Handshake status (\d{3})")
_MESSAGE = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"')


class PortForwardError(KubeError):
    """A forward that could not start or died; ``cause`` is the short reason to show."""

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause or self.message


@dataclass
class ConnectionRecord:
    """What happened to one relayed connection."""

    peer_port: int
    pod: str
    port: int
    error: str | None = None
    sent: int = 0
    received: int = 0
    done: threading.Event = field(default_factory=threading.Event)


def upgrade_failure(exc: ApiException, namespace: str, pod: str) -> tuple[int, str]:
    """(HTTP status, server message) from the client's failed WebSocket upgrade."""
    reason = str(exc.reason or exc)
    match = _HANDSHAKE.search(reason)
    code = int(match.group(1)) if match else 0
    found = _MESSAGE.search(reason)
    if found:
        message = found.group(1).encode().decode("unicode_escape", "replace")
    elif code == 404:
        message = f'pods "{pod}" not found'
    else:
        message = " ".join(reason.split())[:200] or "port-forward upgrade failed"
    return code, message


def classify(error: str, port: int) -> str:
    """The short cause for an error-channel text or upgrade failure."""
    low = error.lower()
    if "connection refused" in low:
        return f"connection refused on :{port}"
    if "not found" in low:
        return "pod replaced"
    if "not running" in low or "host assigned" in low:
        return "pod not running"
    if "timeout" in low or "timed out" in low:
        return f"timed out connecting to :{port}"
    return error


class PortForwardSession:
    """Forward 127.0.0.1:local_port to pod:port until closed (or dead)."""

    def __init__(self, conn: Connection, namespace: str, pod: str, port: int, *, local_port: int = 0,
                 on_change: Callable[[PortForwardSession], None] | None = None) -> None:
        self.namespace = namespace
        self.pod = pod
        self.port = port
        self.requested_port = local_port
        self.local_port = 0
        self.dead: str | None = None
        self.dead_detail = ""
        self.records: list[ConnectionRecord] = []
        self._on_change = on_change
        # A private ApiClient: ``portforward`` swaps its ``call_api`` for the duration of the
        # upgrade, which would hijack other threads' requests on a shared client.
        self._api = k8s_client.ApiClient(conn.api_client.configuration)
        self._core = k8s_client.CoreV1Api(self._api)
        self._upgrade_lock = threading.Lock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: set[Any] = set()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> int:
        """Bind the listener and start accepting; the local port, or PortForwardError."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, self.requested_port))
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                self._mark_dead("local port busy", f"127.0.0.1:{self.requested_port}: {exc.strerror}")
                raise PortForwardError(f"local port {self.requested_port} busy: {exc.strerror}",
                                       "local port busy") from None
            raise PortForwardError(f"cannot listen on 127.0.0.1:{self.requested_port}: {exc}") from None
        sock.listen(16)
        sock.settimeout(_POLL)
        self._listener = sock
        self.local_port = sock.getsockname()[1]
        self._spawn(self._accept_loop, f"ktui-pf-accept-{self.local_port}")
        return self.local_port

    def __enter__(self) -> PortForwardSession:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT`` of the listener."""
        return f"{LOOPBACK}:{self.local_port}"

    @property
    def alive(self) -> bool:
        """Listening and not dead."""
        return self._listener is not None and self.dead is None and not self._stop.is_set()

    def retarget(self, pod: str, port: int) -> None:
        """Send new connections to another pod (and port); revives a dead session."""
        with self._lock:
            self.pod, self.port = pod, port
            self.dead, self.dead_detail = None, ""
        self._notify()

    def mark_dead(self, cause: str, detail: str = "") -> None:
        """Declare the forward dead (e.g. its pod was deleted); running connections are cut."""
        self._mark_dead(cause, detail)
        for item in list(self._open):
            self._close_quietly(item)

    def close(self, timeout: float = 3.0) -> None:
        """Stop accepting, cut every connection and join every thread (bounded)."""
        self._stop.set()
        if self._listener is not None:
            self._close_quietly(self._listener)
        for item in list(self._open):
            self._close_quietly(item)
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        self._api.close()

    # ----------------------------------------------------------------- queries

    def record_for(self, peer_port: int, timeout: float = 5.0) -> ConnectionRecord | None:
        """The finished record of the local connection from ``peer_port`` (waits for it to end)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                rec = next((r for r in self.records if r.peer_port == peer_port), None)
            if rec is not None:
                rec.done.wait(max(0.0, deadline - time.monotonic()))
                return rec
            time.sleep(0.01)
        return None

    # ----------------------------------------------------------------- internals

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _notify(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    def _mark_dead(self, cause: str, detail: str = "") -> None:
        with self._lock:
            if self.dead is not None:
                return
            self.dead, self.dead_detail = cause, detail
        self._notify()

    @staticmethod
    def _close_quietly(item: Any) -> None:
        with contextlib.suppress(OSError):
            if isinstance(item, socket.socket):
                with contextlib.suppress(OSError):
                    item.shutdown(socket.SHUT_RDWR)
            item.close()

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            try:
                client, addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                rec = ConnectionRecord(addr[1], self.pod, self.port)
                self.records = [*self.records[-63:], rec]
            self._spawn(self._serve, f"ktui-pf-conn-{self.local_port}-{addr[1]}", client, rec)

    def _open_stream(self, rec: ConnectionRecord) -> Any:
        """The client's PortForward for one connection, or None with rec.error set."""
        try:
            with self._upgrade_lock:
                return portforward(self._core.connect_get_namespaced_pod_portforward,
                                   rec.pod, self.namespace, ports=str(rec.port))
        except ApiException as exc:
            code, message = upgrade_failure(exc, self.namespace, rec.pod)
            rec.error = message
            cause = "pod replaced" if code == 404 else classify(message, rec.port)
            self._mark_dead(cause, message)
        except Exception as exc:  # the client raises plain exceptions for protocol surprises
            rec.error = f"port-forward failed: {exc}"
            self._mark_dead("port-forward failed", rec.error)
        return None

    def _serve(self, client: socket.socket, rec: ConnectionRecord) -> None:
        self._open.add(client)
        pf = None
        try:
            if self.dead is not None:
                rec.error = f"forward is dead: {self.dead}"
                return
            pf = self._open_stream(rec)
            if pf is None:
                return
            remote = pf.socket(rec.port)
            self._open.add(pf)
            self._relay(client, remote, rec)
            error = pf.error(rec.port)
            if error:
                rec.error = error.strip()
                self._mark_dead(classify(rec.error, rec.port), rec.error)
        finally:
            if pf is not None:
                self._open.discard(pf)
                with contextlib.suppress(OSError):
                    pf.close()
            self._open.discard(client)
            self._close_quietly(client)
            rec.done.set()

    def _relay(self, client: socket.socket, remote: Any, rec: ConnectionRecord) -> None:
        """Copy bytes both ways until either side ends or the session stops."""
        ends = [client, remote]
        while not self._stop.is_set():
            try:
                readable, _, _ = select.select(ends, [], [], _POLL)
            except (OSError, ValueError):
                return
            for src in readable:
                try:
                    data = src.recv(65536)
                except OSError:
                    return
                if not data:
                    # The client library stores an error-channel text before it closes its end,
                    # so pf.error() is final once the remote side reads EOF.
                    return
                dst = remote if src is client else client
                try:
                    dst.sendall(data)
                except OSError:
                    return
                if src is client:
                    rec.sent += len(data)
                else:
                    rec.received += len(data)
