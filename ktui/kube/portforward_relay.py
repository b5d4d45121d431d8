"""The relay loop of a port-forward session: one thread, one selector, no polling.

Local connections wait in ``_waiting`` until a spare is available, then are spliced onto it. Two
kinds of spare, one per protocol (``_mode``):
- ``spdy`` (first choice, kubectl's): a pair of streams opened ahead on the pod's one SPDY tunnel
  (``portforward_mux``); opening one costs two frames, in this loop;
- ``v4`` (fallback, when the server does not take the tunnel subprotocol): a whole WebSocket per
  connection (``WsStream``), upgraded by the opener thread.
Upgrades (tunnels or v4 WebSockets) are requested from the session's opener thread and come back
through ``_opened``. Spares follow the session's target (pod, port) and a back-off; a used spare is
replaced when its connection ends (or after ``_DEFER``), because opening one beside that
connection's first exchange slows it: the server handles both at once.
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import threading
import time
from collections import deque
from typing import Any

from ktui.kube.portforward_mux import MuxStream, SpdyTunnel
from ktui.kube.portforward_stream import (
    CHUNK,
    WOULD_BLOCK,
    ConnectionRecord,
    UpgradeRefused,
    WsStream,
    classify,
    close_socket,
    upgrade_failure,
)

HIGH_WATER = 1 << 20  # stop reading a side while this much waits for the other (backpressure)
_SPARE_BACKOFF = (0.5, 30.0)  # delay after a spare dies unused quickly or fails to open (min, max)
SHORT_LIFE = 5.0  # a spare (or tunnel) that died unused sooner than this makes the next one wait
_DEFER = 0.05  # a used spare is replaced when its connection ends, or after this long

Stream = WsStream | MuxStream


class RelayLoop:
    """The loop-thread half of ``PortForwardSession`` (state below is touched by that thread only).

    The SPDY tunnel's handlers live in ``portforward_tunnel.TunnelRelay``, its subclass.
    """

    namespace: str
    records: list[ConnectionRecord]
    _lock: threading.Lock
    _stop: threading.Event
    _ready: threading.Event
    _listener: socket.socket | None
    _requests: queue.SimpleQueue[tuple[str, str, int] | None]
    _opened: deque[tuple[str, str, int, Any]]
    _wake_r: socket.socket | None
    _wake_w: socket.socket | None
    _cut: bool
    _want_spares: int
    _mode: str  # "spdy" (a tunnel per pod) or "v4" (a WebSocket per connection)
    _tunnels: set[SpdyTunnel]

    def _init_relay(self) -> None:
        self._sel: selectors.BaseSelector | None = None
        self._spares: list[Stream] = []
        self._active: set[Stream] = set()
        self._init_tunnels()
        self._waiting: deque[tuple[socket.socket, ConnectionRecord]] = deque()
        self._in_flight = 0
        self._next_spare = 0.0
        self._spare_delay = 0.0

    def _target(self) -> tuple[str, int, str | None]:
        raise NotImplementedError

    def _mark_dead(self, cause: str, detail: str = "") -> None:
        raise NotImplementedError

    # The tunnel's side (TunnelRelay).
    def _init_tunnels(self) -> None:
        raise NotImplementedError

    def _tunnel_io(self, tunnel: SpdyTunnel, mask: int) -> None:
        raise NotImplementedError

    def _tunnel_opened(self, pod: str, port: int, result: Any) -> None:
        raise NotImplementedError

    def _retire_tunnels(self, pod: str | None) -> None:
        raise NotImplementedError

    def _settle_tunnel(self, pod: str, port: int, want: int) -> None:
        raise NotImplementedError

    def _watch_tunnel(self, tunnel: SpdyTunnel) -> None:
        raise NotImplementedError

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
                    elif isinstance(key.data, SpdyTunnel):
                        self._tunnel_io(key.data, mask)
                    else:
                        stream, side = key.data
                        sock = stream.client if side == "client" else stream.sock
                        if sock is not None and sock.fileno() != -1:  # not finished earlier in this batch
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
            self._deliver(stream)

    def _deliver(self, stream: Stream) -> None:
        """Report what the pod side said (its error channel) and pass its bytes on to the client."""
        if stream.error:
            self._record_error(stream)
        if stream.to_client and not stream.flush_client():
            self._finish(stream)
        else:
            self._after_io(stream)

    def _io(self, stream: Stream, side: str, mask: int) -> None:
        if side == "ws":
            assert isinstance(stream, WsStream)  # a tunnel's streams register their local side only
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
            self._deliver(stream)
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
                except OSError:  # reset by the local peer: the connection is over either way
                    self._finish(stream)
                    return
                if data == b"" and isinstance(stream, MuxStream):
                    stream.half_close()  # the pod's answer still comes: HTTP clients read to close
                elif data == b"":
                    # v4 has no half-close: the local side's end is the connection's end.
                    self._finish(stream)
                    return
                if data:
                    stream.rec.sent += len(data)
                    stream.send_data(data)
        self._after_io(stream)

    def _after_io(self, stream: Stream) -> None:
        if stream.ended and not stream.to_client:
            self._finish(stream)
        else:
            self._watch(stream)

    def _watch(self, stream: Stream) -> None:
        """Register the stream's sockets for what they can make progress on now."""
        read, write = selectors.EVENT_READ, selectors.EVENT_WRITE
        if isinstance(stream, MuxStream):
            if stream.client is not None:
                done = stream.ended or stream.local_fin
                local = 0 if done or len(stream.to_server) >= HIGH_WATER else read
                self._register(stream.client, local | (write if stream.to_client else 0), (stream, "client"))
            self._watch_tunnel(stream.tunnel)
            return
        ws = 0
        if (not stream.ended and len(stream.to_client) < HIGH_WATER) or stream.want_read:
            ws |= read
        if stream.to_server and not stream.broken and not stream.want_read:
            ws |= write
        self._register(stream.sock, ws, (stream, "ws"))
        if stream.client is not None:
            local = read if not stream.ended and len(stream.to_server) < HIGH_WATER else 0
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

    def _record_error(self, stream: Stream) -> None:
        rec = stream.rec
        if rec is not None and rec.error is None and stream.error.strip():
            rec.error = stream.error.strip()
            self._mark_dead(classify(rec.error, stream.port), rec.error)

    def _finish(self, stream: Stream) -> None:
        """End a spliced connection: both sockets closed, its record completed."""
        for sock in (None if isinstance(stream, MuxStream) else stream.sock, stream.client):
            if sock is not None:
                self._register(sock, 0, None)
        stream.close()
        if isinstance(stream, MuxStream):
            self._watch_tunnel(stream.tunnel)
        self._active.discard(stream)
        if stream.rec is not None:
            if stream.error:
                self._record_error(stream)
            elif stream.rec.received:
                self._spare_delay = self._next_spare = 0.0  # the target works: spares are welcome
            stream.rec.done.set()

    def _drop_spare(self, stream: Stream) -> None:
        if isinstance(stream, MuxStream):
            stream.close()
            self._watch_tunnel(stream.tunnel)
        else:
            self._register(stream.sock, 0, None)
            stream.close()
        with contextlib.suppress(ValueError):
            self._spares.remove(stream)
        if time.monotonic() - stream.born < SHORT_LIFE:
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
                kind, pod, port, result = self._opened.popleft()
            if kind == "spdy":
                self._tunnel_opened(pod, port, result)
                continue
            self._in_flight -= 1
            self._ready.set()
            target_pod, target_port, dead = self._target()
            current = (pod, port) == (target_pod, target_port) and dead is None
            if isinstance(result, UpgradeRefused):
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

    def _open_failed(self, pod: str, port: int, exc: UpgradeRefused) -> None:
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
            self._retire_tunnels(None)
            return
        for stream in [s for s in self._spares if (s.pod, s.port) != (pod, port)]:
            self._spares.remove(stream)
            if isinstance(stream, WsStream):
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
        if self._mode == "spdy":
            self._retire_tunnels(pod)
            self._settle_tunnel(pod, port, want)
            return
        while self._in_flight < want:
            self._in_flight += 1
            self._requests.put(("v4", pod, port))

    def _timeout(self) -> float | None:
        """How long select may sleep: until a spare is due (back-off end, deferred replacement) or a ping."""
        now = time.monotonic()
        if self._next_spare and self._next_spare <= now:
            return 0.0
        pings = (t.next_ping for t in self._tunnels)
        due = [t for t in (self._next_spare, *(s.spliced + _DEFER for s in self._active), *pings) if t > now]
        return min(due) - now if due else None

    def _shutdown(self) -> None:
        self._ready.set()
        for stream in [*self._active, *self._spares]:
            stream.close()
            if stream.rec is not None:
                stream.rec.done.set()
        self._active.clear()
        self._spares.clear()
        for tunnel in self._tunnels:
            tunnel.close()
        self._tunnels.clear()
        while self._waiting:
            client, rec = self._waiting.popleft()
            close_socket(client)
            rec.done.set()
        with self._lock:
            leftovers = list(self._opened)
            self._opened.clear()
        for _, _, _, result in leftovers:
            if not isinstance(result, Exception):
                result.shutdown()
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        if self._sel is not None:
            self._sel.close()
