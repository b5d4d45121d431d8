"""A port-forward session: a 127.0.0.1 listener relaying each connection to a pod port.

Each local connection gets its own ``v4.channel.k8s.io`` WebSocket (the protocol allows one TCP
connection per port per WebSocket, so there is no multiplexing), upgraded exactly as the official
client does it (``ApiClient.param_serialize`` for URL and auth, ``ws_client.create_websocket`` for
TLS and proxies). Two things make it as quick as kubectl's SPDY streams:
- a warm spare: one WebSocket is opened ahead, so a new local connection is spliced onto it at once
  (no handshake in the probe's path), and the next spare is opened while that connection runs;
- one selector loop per session relays every connection's bytes and parses the frames itself: no
  per-connection threads, no socketpair hand-off, no polling timeouts (the client's ``PortForward``
  adds a proxy thread and a socketpair per connection).
A spare holds a connection to the pod's port open before anyone uses it (bytes the pod sends first,
a banner, are kept for the user); a spare that dies unused or fails to open only delays the next
one (backing off), it never judges the forward: users' connections and the pod watcher do that.
The session stays honest: an error-channel message ("connection refused") or an upgrade refusal
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

from kubernetes.client.exceptions import ApiException

from ktui.kube.client import Connection, KubeError
from ktui.kube.portforward_stream import (
    CHUNK,
    WOULD_BLOCK,
    ConnectionRecord,
    WsStream,
    classify,
    close_socket,
    open_websocket,
    upgrade_failure,
)

__all__ = ["LOOPBACK", "ConnectionRecord", "PortForwardError", "PortForwardSession", "classify",
           "upgrade_failure"]

LOOPBACK = "127.0.0.1"
"""The only address a ktui listener binds."""

_HIGH_WATER = 1 << 20  # stop reading a side while this much waits for the other (backpressure)
_SPARE_BACKOFF = (0.5, 30.0)  # delay after a spare dies unused quickly or fails to open (min, max)
_SHORT_LIFE = 5.0  # a spare that died unused sooner than this makes the next one wait
_DEFER = 0.05  # a used spare is replaced when its connection ends, or after this long


class PortForwardError(KubeError):
    """A forward that could not start or died; ``cause`` is the short reason to show."""

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause or self.message


class PortForwardSession:
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
        self._requests: queue.SimpleQueue[tuple[str, int] | None] = queue.SimpleQueue()
        self._opened: deque[tuple[str, int, Any]] = deque()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._cut = False
        self._ready = threading.Event()  # the first upgrade attempt ended (or no spares wanted)
        # Owned by the loop thread.
        self._sel: selectors.BaseSelector | None = None
        self._spares: list[WsStream] = []
        self._active: set[WsStream] = set()
        self._waiting: deque[tuple[socket.socket, ConnectionRecord]] = deque()
        self._in_flight = 0
        self._next_spare = 0.0
        self._spare_delay = 0.0

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> int:
        """Bind the listener and start relaying; the local port, or PortForwardError.

        Returns at once: the first spare WebSocket opens in the background (a connection arriving
        before it is ready waits for it).
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
        """Wait until the first WebSocket is open (or its upgrade failed); False on timeout.

        kubectl reports "Forwarding from" once its stream connection is up; this is the same moment.
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
            pod, port = req
            result: Any
            try:
                result = open_websocket(self._conn, self.namespace, pod, port)
            except ApiException as exc:
                result = exc
            with self._lock:
                stopped = self._stop.is_set()
                if not stopped:
                    self._opened.append((pod, port, result))
            if stopped and not isinstance(result, ApiException):
                result.shutdown()
            self._wake()

    # ----------------------------------------------------------------- the relay loop

    def _loop(self) -> None:
        sel = self._sel
        assert sel is not None
        try:
            self._settle()
            while not self._stop.is_set():
                timeout = self._timeout()
                for key, mask in sel.select(timeout):
                    if key.data == "listener":
                        self._accept()
                    elif key.data == "wake":
                        with contextlib.suppress(OSError):
                            key.fileobj.recv(4096)  # type: ignore[union-attr]
                    else:
                        stream, side = key.data
                        if stream.sock.fileno() != -1:  # not finished earlier in this batch
                            self._io(stream, side, mask)
                self._take_opened()
                self._settle()
        finally:
            self._shutdown()

    def _accept(self) -> None:
        # One accept per readiness event: the selector reports the next one (no EAGAIN round trip).
        assert self._listener is not None
        try:
            client, addr = self._listener.accept()
        except OSError:
            return
        client.setblocking(False)
        # Small request/response exchanges must not wait for Nagle's delayed ACK dance.
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pod, port, dead = self._target()
        rec = ConnectionRecord(addr[1], pod, port)
        with self._lock:
            self.records = [*self.records[-63:], rec]
        if dead is not None:
            rec.error = f"forward is dead: {dead}"
            close_socket(client)
            rec.done.set()
            return
        self._waiting.append((client, rec))
        self._serve_waiting()

    def _serve_waiting(self) -> None:
        """Splice waiting local connections onto spares."""
        while self._waiting and self._spares:
            stream = self._spares.pop(0)
            client, rec = self._waiting.popleft()
            stream.client, stream.rec = client, rec
            stream.spliced = time.monotonic()
            rec.pod, rec.port, rec.received = stream.pod, stream.port, len(stream.to_client)
            self._active.add(stream)
            if stream.error:
                self._record_error(stream)
            if stream.to_client and not stream.flush_client():
                self._finish(stream)
            else:
                self._after_io(stream)

    def _io(self, stream: WsStream, side: str, mask: int) -> None:
        if side == "ws":
            if mask & selectors.EVENT_READ:
                stream.read()
            if mask & selectors.EVENT_WRITE:
                stream.flush_server()
            if stream.client is None:  # a spare: keep it unless it died or got an error
                if stream.ended or stream.error:
                    self._drop_spare(stream)
                else:
                    self._watch(stream)
                return
            if stream.error:
                self._record_error(stream)
            if stream.to_client and not stream.flush_client():
                self._finish(stream)
                return
        else:
            assert stream.client is not None and stream.rec is not None
            if mask & selectors.EVENT_WRITE and not stream.flush_client():
                self._finish(stream)
                return
            if mask & selectors.EVENT_READ:
                try:
                    data = stream.client.recv(CHUNK)
                except WOULD_BLOCK:
                    data = None
                except OSError:
                    data = b""
                if data == b"":
                    # v4 has no half-close: the local side's end is the connection's end.
                    self._finish(stream)
                    return
                if data:
                    stream.rec.sent += len(data)
                    stream.send_data(data)
        self._after_io(stream)

    def _after_io(self, stream: WsStream) -> None:
        if stream.ended and not stream.to_client:
            self._finish(stream)
        else:
            self._watch(stream)

    def _watch(self, stream: WsStream) -> None:
        """Register the stream's sockets for what they can make progress on now."""
        read, write = selectors.EVENT_READ, selectors.EVENT_WRITE
        ws = 0
        if (not stream.ended and len(stream.to_client) < _HIGH_WATER) or stream.want_read:
            ws |= read
        if stream.to_server and not stream.broken and not stream.want_read:
            ws |= write
        self._register(stream.sock, ws, (stream, "ws"))
        if stream.client is not None:
            local = read if not stream.ended and len(stream.to_server) < _HIGH_WATER else 0
            self._register(stream.client, local | (write if stream.to_client else 0), (stream, "client"))

    def _register(self, sock: socket.socket, events: int, data: Any) -> None:
        sel = self._sel
        assert sel is not None
        key = sel.get_map().get(sock)
        if not events:
            if key is not None:
                sel.unregister(sock)
        elif key is None:
            sel.register(sock, events, data)
        elif key.events != events:
            sel.modify(sock, events, data)

    def _record_error(self, stream: WsStream) -> None:
        rec = stream.rec
        if rec is not None and rec.error is None and stream.error.strip():
            rec.error = stream.error.strip()
            self._mark_dead(classify(rec.error, stream.port), rec.error)

    def _finish(self, stream: WsStream) -> None:
        """End a spliced connection: both sockets closed, its record completed."""
        for sock in (stream.sock, stream.client):
            if sock is not None:
                self._register(sock, 0, None)
        stream.close()
        self._active.discard(stream)
        if stream.rec is not None:
            if stream.error:
                self._record_error(stream)
            elif stream.rec.received:
                self._spare_delay = self._next_spare = 0.0  # the target works: spares are welcome
            stream.rec.done.set()

    def _drop_spare(self, stream: WsStream) -> None:
        self._register(stream.sock, 0, None)
        stream.close()
        with contextlib.suppress(ValueError):
            self._spares.remove(stream)
        if time.monotonic() - stream.born < _SHORT_LIFE:
            self._back_off()

    def _back_off(self) -> None:
        low, high = _SPARE_BACKOFF
        self._spare_delay = min(high, max(low, self._spare_delay * 2))
        self._next_spare = time.monotonic() + self._spare_delay

    def _take_opened(self) -> None:
        """Adopt the opener's results: new spares, or failures for waiting connections."""
        while True:
            with self._lock:
                if not self._opened:
                    return
                pod, port, result = self._opened.popleft()
            self._in_flight -= 1
            self._ready.set()
            target_pod, target_port, dead = self._target()
            current = (pod, port) == (target_pod, target_port) and dead is None
            if isinstance(result, ApiException):
                if current:
                    self._open_failed(pod, port, result)
                continue
            try:
                stream = WsStream(result, pod, port)
            except OSError:
                continue
            if not current:
                stream.close()
                continue
            self._spares.append(stream)
            self._watch(stream)
            self._serve_waiting()

    def _open_failed(self, pod: str, port: int, exc: ApiException) -> None:
        code, message = upgrade_failure(exc, self.namespace, pod)
        if not self._waiting:
            self._back_off()  # a spare: no one asked, so it says nothing about the forward yet
            return
        client, rec = self._waiting.popleft()
        rec.error = message
        close_socket(client)
        self._mark_dead("pod replaced" if code == 404 else classify(message, port), message)
        rec.done.set()

    def _settle(self) -> None:
        """Bring spares, waiting connections and upgrade requests in line with the target."""
        pod, port, dead = self._target()
        if dead is not None:
            for stream in list(self._spares):
                self._drop_spare(stream)
            while self._waiting:
                client, rec = self._waiting.popleft()
                rec.error = f"forward is dead: {dead}"
                close_socket(client)
                rec.done.set()
            if self._cut:
                self._cut = False
                for stream in list(self._active):
                    self._finish(stream)
            return
        for stream in [s for s in self._spares if (s.pod, s.port) != (pod, port)]:
            self._spares.remove(stream)
            self._register(stream.sock, 0, None)
            stream.close()
        want = len(self._waiting) - len(self._spares)
        now = time.monotonic()
        if self._want_spares and now >= self._next_spare:
            self._next_spare = 0.0
            # A spare's replacement waits until its connection ends (or _DEFER passes): upgrading
            # while that connection's first exchange is in flight would slow the exchange (the
            # server handles the upgrade in its path); the other spare covers the next arrival.
            young = sum(1 for s in self._active if now - s.spliced < _DEFER)
            want += max(0, self._want_spares - young)
        while self._in_flight < want:
            self._in_flight += 1
            self._requests.put((pod, port))

    def _timeout(self) -> float | None:
        """How long select may sleep: until a spare is due (back-off end, deferred replacement)."""
        now = time.monotonic()
        due = [t for t in (self._next_spare, *(s.spliced + _DEFER for s in self._active)) if t > now]
        if self._next_spare and not due:
            return 0.0
        return min(due) - now if due else None

    def _shutdown(self) -> None:
        self._ready.set()
        for stream in [*self._active, *self._spares]:
            stream.close()
            if stream.rec is not None:
                stream.rec.done.set()
        self._active.clear()
        self._spares.clear()
        while self._waiting:
            client, rec = self._waiting.popleft()
            close_socket(client)
            rec.done.set()
        with self._lock:
            leftovers = list(self._opened)
            self._opened.clear()
        for _, _, result in leftovers:
            if not isinstance(result, ApiException):
                result.shutdown()
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        if self._sel is not None:
            self._sel.close()
