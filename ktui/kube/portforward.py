"""A port-forward session: a 127.0.0.1 listener relaying each connection to a pod port.

Two wire protocols, both upgraded exactly as the official client upgrades (``ApiClient.param_serialize``
for URL and auth, ``ws_client.create_websocket`` for TLS and proxies):
- first choice, kubectl 1.32's: ONE WebSocket per pod with subprotocol ``SPDY/3.1+portforward.k8s.io``
  (``spdy_client``, ``portforward_mux``); each local connection is a pair of SPDY streams on it, so
  a new connection costs two frames, not an HTTP upgrade;
- fallback, when the server refuses that subprotocol (an older apiserver): a ``v4.channel.k8s.io``
  WebSocket per local connection (one TCP connection per port per WebSocket: no multiplexing).
What makes it quick:
- warm spares: ``spares`` (2) stream pairs (or v4 WebSockets) are opened ahead, so a new local
  connection is spliced onto one at once; the used one is replaced once its connection ends;
- one selector loop per session (``portforward_relay``, ``portforward_tunnel``) relays every
  connection and parses frames itself: no thread per connection, no socketpair hand-off, no polling
  timeouts, TCP_NODELAY on local sockets. The client's ``PortForward`` instead adds a proxy thread
  and a socketpair per connection, and its ``CoreV1Api`` costs a second to import.
- one opener thread does the blocking upgrades, off the relay loop.
A spare holds a connection to the pod's port before anyone uses it (bytes the pod sends first, a
banner, are kept for the user). A spare that dies unused or fails to open only delays the next one
(backing off); it never judges the forward: users' connections and the pod watcher do that.
The session stays honest: an error-stream message ("connection refused") or an upgrade refusal
(the pod is gone) is recorded per connection and marks the session dead with a short cause
("pod replaced", "connection refused on :81", "local port busy"). ``retarget`` points new
connections at another pod. ``close`` stops both threads and every socket, bounded in time.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ktui.kube.client import Connection, KubeError
from ktui.kube.portforward_stream import (
    ConnectionRecord,
    UpgradeRefused,
    classify,
    open_websocket,
    upgrade_failure,
)
from ktui.kube.portforward_tunnel import TunnelRelay
from ktui.kube.spdy_client import TunnelRefused, open_tunnel

__all__ = ["LOOPBACK", "ConnectionRecord", "PortForwardError", "PortForwardSession", "classify",
           "upgrade_failure"]

LOOPBACK = "127.0.0.1"
"""The only address a ktui listener binds."""


class PortForwardError(KubeError):
    """A forward that could not start or died; ``cause`` is the short reason to show."""

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause or self.message


class PortForwardSession(TunnelRelay):
    """Forward 127.0.0.1:local_port to pod:port until closed (or dead)."""

    def __init__(self, conn: Connection, namespace: str, pod: str, port: int, *, local_port: int = 0,
                 on_change: Callable[[PortForwardSession], None] | None = None, spares: int = 2) -> None:
        self.namespace = namespace
        self.pod = pod
        self.port = port
        self.requested_port = local_port
        self.local_port = 0
        self.dead: str | None = None
        self.dead_detail = ""
        self.records: list[ConnectionRecord] = []
        self._conn = conn
        self._on_change = on_change
        self._want_spares = max(0, spares)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        # Cross-thread hand-offs: upgrade requests to the opener, its results back to the loop.
        self._requests: queue.SimpleQueue[tuple[str, str, int] | None] = queue.SimpleQueue()
        self._opened: deque[tuple[str, str, int, Any]] = deque()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._cut = False
        self._ready = threading.Event()  # the first upgrade attempt ended (or no spares wanted)
        self._init_relay()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> int:
        """Bind the listener and start relaying; the local port, or PortForwardError.

        Returns at once: the tunnel (or first v4 WebSocket) opens in the background (a connection
        arriving before it is ready waits for it).
        """
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
        sock.listen(64)
        sock.setblocking(False)
        self._listener = sock
        self.local_port = sock.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(sock, selectors.EVENT_READ, "listener")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._spawn(self._loop, f"ktui-pf-loop-{self.local_port}")
        self._spawn(self._open_loop, f"ktui-pf-open-{self.local_port}")
        return self.local_port

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until the forward is proven (or its upgrade failed); False on timeout.

        kubectl reports "Forwarding from" once its stream connection is up. Here: the tunnel took a
        first pair of streams and echoed a ping sent after that (so the spare's dial is under way),
        or, on v4, the first WebSocket is open.
        """
        return self._ready.wait(timeout) if self._want_spares else True

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
            self._cut = False
        self._wake()
        self._notify()

    def mark_dead(self, cause: str, detail: str = "") -> None:
        """Declare the forward dead (e.g. its pod was deleted); running connections are cut."""
        self._mark_dead(cause, detail)
        self._cut = True
        self._wake()

    def close(self, timeout: float = 3.0) -> None:
        """Stop accepting, cut every connection and join both threads (bounded)."""
        self._stop.set()
        self._requests.put(None)
        self._wake()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

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

    # ----------------------------------------------------------------- shared helpers

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"\0")

    def _notify(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    def _mark_dead(self, cause: str, detail: str = "") -> None:
        with self._lock:
            if self.dead is not None:
                return
            self.dead, self.dead_detail = cause, detail
        self._ready.set()
        self._notify()

    def _target(self) -> tuple[str, int, str | None]:
        with self._lock:
            return self.pod, self.port, self.dead

    # ----------------------------------------------------------------- the opener thread

    def _open_loop(self) -> None:
        """Upgrade WebSockets on request: the only blocking network calls, kept off the relay loop."""
        while (req := self._requests.get()) is not None and not self._stop.is_set():
            kind, pod, port = req
            result: Any
            try:
                if kind == "spdy":
                    result = open_tunnel(self._conn, self.namespace, pod)
                else:
                    result = open_websocket(self._conn, self.namespace, pod, port)
            except (UpgradeRefused, TunnelRefused) as exc:
                result = exc
            with self._lock:
                stopped = self._stop.is_set()
                if not stopped:
                    self._opened.append((kind, pod, port, result))
            if stopped and not isinstance(result, Exception):
                result.shutdown()
            self._wake()
