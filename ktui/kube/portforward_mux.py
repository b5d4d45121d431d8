"""A multiplexed port-forward: one SPDY/3.1 tunnel per pod, a pair of streams per local connection.

What kubectl 1.32 does first: one WebSocket (subprotocol ``SPDY/3.1+portforward.k8s.io``) carries
the SPDY byte stream in binary messages whose boundaries mean nothing; each local connection is an
error stream plus a data stream (headers ``streamtype``, ``port``, ``requestid``). Opening a pair
costs two frames on a live connection instead of an HTTP upgrade. Both classes are driven
without blocking by the session's selector loop (``portforward_relay``); ``MuxStream`` offers the
same surface as the v4 ``WsStream`` so the loop splices either one the same way.
Semantics follow client-go ``portforward.go``: the error stream is FIN'd at once (the client never
writes it); local EOF FINs the data stream (half-close) while the pod's answer keeps flowing; the
pod's end is the data stream's FIN plus the error stream's; RST_STREAM (CANCEL) aborts a pair the
local side gave up on. Pings are answered; flow control is not spoken (spdystream ignores it).
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from websocket import ABNF

from ktui.kube import spdy_client as spdy
from ktui.kube.portforward_stream import (
    close_socket,
    parse_frames,
    receive_available,
    send_queued,
)

_PROOF_PING = 1  # client pings have odd ids
PING_PERIOD = 10.0  # kubectl's tunnelled SPDY pings (client-go tunneling_dialer.go PingPeriod)


class MuxStream:
    """One forwarded connection on a tunnel: its error and data streams (quacks like ``WsStream``)."""

    def __init__(self, tunnel: SpdyTunnel, pod: str, port: int, error_id: int, data_id: int) -> None:
        self.tunnel, self.sock, self.pod, self.port = tunnel, tunnel.sock, pod, port
        self.error_id, self.data_id = error_id, data_id
        self.born = time.monotonic()
        self.spliced = 0.0
        self.to_client = bytearray()
        self.error = ""
        self.data_fin = self.error_fin = False  # the pod's side of each stream ended
        self.local_fin = False  # we FIN'd the data stream (local EOF)
        self.reset = False
        self.replied = False  # the server answered the data stream's SYN_STREAM
        self.client: socket.socket | None = None
        self.rec: Any = None

    @property
    def ended(self) -> bool:
        """The pod's side is over: both streams FIN'd, a reset, or the tunnel gone."""
        return (self.data_fin and self.error_fin) or self.reset or self.tunnel.ended

    @property
    def to_server(self) -> bytearray:
        """What waits to go out on the tunnel (shared by every stream: backpressure is per tunnel)."""
        return self.tunnel.out

    def send_data(self, data: bytes) -> None:
        """Queue local bytes on the data stream and try to send them now."""
        if not self.local_fin and not self.ended:
            self.tunnel.send(spdy.data_frames(self.data_id, data))

    def half_close(self) -> None:
        """Local EOF: FIN the data stream; the pod's answer keeps coming until it ends."""
        if not self.local_fin and not self.ended:
            self.local_fin = True
            self.tunnel.send(spdy.data_frames(self.data_id, fin=True))

    def flush_client(self) -> bool:
        """Write pending pod bytes to the local connection; False when it is gone."""
        assert self.client is not None
        return send_queued(self.client, self.to_client) != "broken"

    def close(self) -> None:
        """Abort the pair unless both sides finished (client-go resets too), close the local socket."""
        if not self.tunnel.ended and not self.reset and not (self.local_fin and self.data_fin):
            self.reset = True
            self.tunnel.send(spdy.rst_frame(self.data_id))
        self.tunnel.forget(self)
        if self.client is not None:
            close_socket(self.client)


class SpdyTunnel:
    """One SPDY/3.1 connection carried in a WebSocket, driven without blocking."""

    def __init__(self, ws: Any, pod: str) -> None:
        self.ws, self.sock, self.pod = ws, ws.sock, pod
        self.sock.setblocking(False)
        self.born = time.monotonic()
        self.inbuf = bytearray()  # WebSocket frames
        self.message = bytearray()  # the SPDY byte stream out of binary messages
        self.out = bytearray()  # WebSocket frames to send
        self.codec = spdy.HeaderCodec()
        self.streams: dict[int, MuxStream] = {}  # by error and data stream id
        self.next_id = 1  # client stream ids are odd
        self.request_id = 0
        self.ended = False  # closed by the server, failed, or broke the protocol
        self.broken = False  # nothing more can be sent
        self.goaway = False  # the server takes no new streams
        self.want_read = False
        self.error = ""
        # Proven: the first pair was answered and a ping sent after that answer came back, so the
        # server has acted on the pair (a spare's dial is under way): what "ready" means.
        self.pinged = self.proven = False
        # Periodic pings, as kubectl sends them: idle proxies and NATs keep the connection.
        self.next_ping = self.born + PING_PERIOD
        self._ping_id = _PROOF_PING

    @property
    def usable(self) -> bool:
        """New pairs may be opened on it."""
        return not self.ended and not self.goaway and self.next_id < 0x7FFFFFF0

    def open_pair(self, port: int) -> MuxStream:
        """Open the error and data streams of one forwarded connection (the server dials the pod)."""
        error_id, data_id = self.next_id, self.next_id + 2
        self.next_id += 4
        stream = MuxStream(self, self.pod, port, error_id, data_id)
        self.streams[error_id] = self.streams[data_id] = stream
        common = {"port": str(port), "requestid": str(self.request_id)}
        self.request_id += 1
        # Header blocks are compressed in the order they go out: one deflate history per connection.
        frames = self.codec.syn_stream(error_id, {"streamtype": "error", **common})
        frames += spdy.data_frames(error_id, fin=True)  # the client never writes the error stream
        frames += self.codec.syn_stream(data_id, {"streamtype": "data", **common})
        self.send(frames)
        return stream

    def ping_if_due(self, now: float) -> None:
        """Send the periodic ping when its time has come."""
        if now >= self.next_ping and not self.ended:
            self._ping_id += 2
            self.send(spdy.ping_frame(self._ping_id))
            self.next_ping = now + PING_PERIOD

    def forget(self, stream: MuxStream) -> None:
        """Drop a finished pair from the routing table."""
        for sid in (stream.error_id, stream.data_id):
            if self.streams.get(sid) is stream:
                del self.streams[sid]

    def send(self, spdy_bytes: bytes) -> None:
        """Queue SPDY bytes as one binary WebSocket message and try to send now."""
        if not self.broken:
            self.out += ABNF.create_frame(spdy_bytes, ABNF.OPCODE_BINARY).format()
            self.flush()

    def flush(self) -> None:
        """Send queued frames as far as the socket takes them now."""
        if self.broken:
            return
        outcome = send_queued(self.sock, self.out)
        if outcome == "want_read":
            self.want_read = True
        elif outcome == "broken":
            self.ended = self.broken = True

    def read(self) -> set[MuxStream]:
        """Take what the socket has; the streams that received something (or ended)."""
        outcome = receive_available(self.sock, self.inbuf)
        if outcome != "open":
            self.ended = True
            self.broken = self.broken or outcome == "broken"
        self.want_read = False
        for opcode, _fin, payload in parse_frames(self.inbuf):
            if opcode in (ABNF.OPCODE_BINARY, ABNF.OPCODE_CONT):
                self.message += payload
            elif opcode == ABNF.OPCODE_PING:
                self.out += ABNF.create_frame(payload, ABNF.OPCODE_PONG).format()
            elif opcode == ABNF.OPCODE_CLOSE:
                self.out += ABNF.create_frame(payload[:2], ABNF.OPCODE_CLOSE).format()
                self.ended = True
            elif opcode == ABNF.OPCODE_TEXT:  # client-go rejects text in this tunnel; so do we
                self._fail("invalid message type received")
        touched: set[MuxStream] = set()
        try:
            for frame in spdy.parse_frames(self.message):
                self._frame(frame, touched)
        except spdy.ProtocolError as exc:
            self._fail(str(exc))
        self.flush()
        if self.ended:
            touched.update(self.streams.values())
        return touched

    def _frame(self, frame: spdy.Frame, touched: set[MuxStream]) -> None:
        if not frame.control:
            stream = self.streams.get(frame.kind)
            if stream is None or stream.reset:
                return
            fin = bool(frame.flags & spdy.FLAG_FIN)
            if frame.kind == stream.data_id:
                stream.to_client += frame.payload
                if stream.rec is not None:
                    stream.rec.received += len(frame.payload)
                stream.data_fin = stream.data_fin or fin
            else:
                stream.error += frame.payload.decode("utf-8", "replace")
                stream.error_fin = stream.error_fin or fin
            touched.add(stream)
            return
        payload = frame.payload
        if frame.kind == spdy.SYN_REPLY and len(payload) >= 4:
            self.codec.decode(payload[4:])  # nothing in it matters, but it feeds the shared history
            sid = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            stream = self.streams.get(sid)
            if stream is not None and sid == stream.data_id:
                stream.replied = True
                touched.add(stream)
                if not self.pinged:
                    self.pinged = True
                    self.send(spdy.ping_frame(_PROOF_PING))
        elif frame.kind == spdy.RST_STREAM and len(payload) >= 8:
            stream = self.streams.get(int.from_bytes(payload[:4], "big") & 0x7FFFFFFF)
            if stream is not None:
                stream.reset = True
                touched.add(stream)
        elif frame.kind == spdy.PING and len(payload) >= 4:
            ping_id = int.from_bytes(payload[:4], "big")
            if ping_id % 2 == 0:
                self.send(spdy.ping_frame(ping_id))  # the server's: echo, as spdystream does
            elif ping_id == _PROOF_PING and self.pinged:
                self.proven = True  # (the echoes of our periodic pings need nothing)
        elif frame.kind == spdy.GOAWAY:
            self.goaway = True
        elif frame.kind == spdy.HEADERS and len(payload) >= 4:
            self.codec.decode(payload[4:])
        elif frame.kind == spdy.SYN_STREAM and len(payload) >= 10:
            self.codec.decode(payload[10:])  # a server never opens port-forward streams: refuse
            self.send(spdy.rst_frame(int.from_bytes(payload[:4], "big"), spdy.REFUSED_STREAM))

    def _fail(self, why: str) -> None:
        self.error = why
        self.ended = True

    def close(self) -> None:
        """Say goodbye (best effort, never blocking) and close the socket."""
        if not self.broken:
            self.out += ABNF.create_frame(b"\x03\xe8", ABNF.OPCODE_CLOSE).format()  # 1000
            self.flush()
        self.ended = self.broken = True
        with contextlib.suppress(OSError):
            self.sock.close()
