"""The wire side of a port-forward: one ``v4.channel.k8s.io`` WebSocket, driven without blocking.

``open_websocket`` upgrades exactly as the official client does (``ApiClient.param_serialize`` for
URL and auth, ``ws_client.create_websocket`` for TLS, client certificates and proxies). A
``WsStream`` is then driven by its session's selector loop: frames are parsed here (websocket-client
only reads frames with blocking calls) and written through websocket-client's ``ABNF`` (masking).
v4: port *i* uses data channel 2i and error channel 2i+1, each announced first by a frame carrying
the port number; there is no half-close, so the WebSocket ends the connection.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websocket import ABNF

from ktui.kube.client import Connection

V4_PROTOCOL = "v4.channel.k8s.io"
_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/portforward"
CHUNK = 256 * 1024
WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_HANDSHAKE = re.compile(r"Handshake status (\d{3})")
_MESSAGE = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"')


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


class UpgradeRefused(Exception):
    """A port-forward WebSocket upgrade that failed; ``reason`` is websocket-client's handshake text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upgrade_failure(exc: UpgradeRefused, namespace: str, pod: str) -> tuple[int, str]:
    """(HTTP status, server message) from a failed WebSocket upgrade."""
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


def open_websocket(conn: Connection, namespace: str, pod: str, port: int) -> Any:
    """One port-forward WebSocket (websocket-client), authenticated as the client's own portforward.

    UpgradeRefused (the handshake text as reason) when the upgrade is refused. The generated
    ``CoreV1Api`` is not used: importing it costs about a second.
    """
    api = conn.api_client
    # With the client, not with this module: the kubernetes package loads on first use (see client).
    from kubernetes.stream import ws_client

    try:
        _, url, headers, _, _ = api.param_serialize(
            "GET", _PATH, path_params={"namespace": namespace, "name": pod},
            query_params=[("ports", str(port))], header_params={"Accept": "*/*"},
            auth_settings=["BearerToken"])
        # Only v4: the kubelet's port-forward speaks it (v5 is exec/attach's close-channel variant).
        headers["sec-websocket-protocol"] = V4_PROTOCOL
        return ws_client.create_websocket(api.configuration, ws_client.get_websocket_url(url), headers)
    except Exception as exc:  # websocket-client raises plain exceptions
        raise UpgradeRefused(str(exc)) from None


def parse_frames(buf: bytearray) -> list[tuple[int, bool, bytes]]:
    """Complete WebSocket frames (opcode, fin, payload) at the head of ``buf``, consumed from it.

    By hand because websocket-client only reads frames with blocking calls; a server's frames are
    normally unmasked, masked ones are unmasked anyway.
    """
    out: list[tuple[int, bool, bytes]] = []
    pos, size = 0, len(buf)
    while size - pos >= 2:
        b0, b1 = buf[pos], buf[pos + 1]
        length, head = b1 & 0x7F, 2
        if length >= 126:
            extra = 2 if length == 126 else 8
            if size - pos < 2 + extra:
                break
            length, head = int.from_bytes(buf[pos + 2:pos + 2 + extra], "big"), 2 + extra
        key = b""
        if b1 & 0x80:
            if size - pos < head + 4:
                break
            key, head = bytes(buf[pos + head:pos + head + 4]), head + 4
        if size - pos < head + length:
            break
        payload = bytes(buf[pos + head:pos + head + length])
        out.append((b0 & 0x0F, bool(b0 & 0x80), ABNF.mask(key, payload) if key else payload))
        pos += head + length
    del buf[:pos]
    return out


def receive_available(sock: socket.socket, inbuf: bytearray) -> str:
    """Append what the non-blocking socket has now to ``inbuf``: "open", "eof" or "broken"."""
    while True:
        try:
            chunk = sock.recv(CHUNK)
        except WOULD_BLOCK:
            return "open"
        except OSError:
            return "broken"
        if not chunk:
            return "eof"
        inbuf += chunk
        # TLS decrypts whole records: what sits in the SSL buffer never shows in select().
        if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
            return "open"


def send_queued(sock: socket.socket, queue: bytearray) -> str:
    """Send ``queue`` as far as the non-blocking socket takes it now: "sent", "want_read" (TLS must
    read first), "blocked", or "broken" (the queue is then dropped)."""
    while queue:
        try:
            sent = sock.send(queue)
        except ssl.SSLWantReadError:
            return "want_read"
        except WOULD_BLOCK:
            return "blocked"
        except OSError:
            queue.clear()
            return "broken"
        del queue[:sent]
    return "sent"


def _frame(payload: bytes, opcode: int = ABNF.OPCODE_BINARY) -> bytes:
    return ABNF.create_frame(payload, opcode).format()


class WsStream:
    """One port-forward WebSocket: a spare, or spliced to a local connection (non-blocking)."""

    def __init__(self, ws: Any, pod: str, port: int) -> None:
        self.ws, self.sock, self.pod, self.port = ws, ws.sock, pod, port
        self.sock.setblocking(False)  # websocket-client already set TCP_NODELAY on it
        self.born = time.monotonic()
        self.spliced = 0.0
        self.inbuf = bytearray()
        self.message = bytearray()  # a fragmented message being assembled
        self.announced = [False, False]  # each channel's first frame is the port number
        self.to_client = bytearray()
        self.to_server = bytearray()
        self.error = ""
        self.ended = False  # the server closed the WebSocket, or the socket failed
        self.broken = False  # the socket failed: nothing more can be sent
        self.want_read = False  # TLS: a pending write needs the socket readable first
        self.client: socket.socket | None = None
        self.rec: Any = None  # the session's ConnectionRecord once spliced

    def read(self) -> None:
        """Take what the WebSocket has and dispatch its frames."""
        outcome = receive_available(self.sock, self.inbuf)
        if outcome != "open":
            self.ended = True
            self.broken = self.broken or outcome == "broken"
        for opcode, fin, payload in parse_frames(self.inbuf):
            if opcode == ABNF.OPCODE_CLOSE:
                self.to_server += _frame(payload[:2], ABNF.OPCODE_CLOSE)
                self.ended = True
            elif opcode == ABNF.OPCODE_PING:
                self.to_server += _frame(payload, ABNF.OPCODE_PONG)
            elif opcode in (ABNF.OPCODE_BINARY, ABNF.OPCODE_TEXT, ABNF.OPCODE_CONT):
                self.message += payload
                if fin:
                    self._message(bytes(self.message))
                    self.message.clear()
        self.want_read = False
        self.flush_server()

    def _message(self, msg: bytes) -> None:
        if not msg or msg[0] > 1:
            return  # one port asked: channels 0 (data) and 1 (error) only
        channel, body = msg[0], msg[1:]
        if not self.announced[channel]:
            self.announced[channel] = True
        elif channel == 0:
            self.to_client += body
            if self.rec is not None:
                self.rec.received += len(body)
        else:
            self.error += body.decode("utf-8", "replace")

    def send_data(self, data: bytes) -> None:
        """Queue local bytes for the pod (data channel 0) and try to send them now."""
        self.to_server += _frame(b"\x00" + data)
        self.flush_server()

    def flush_server(self) -> None:
        """Send queued frames as far as the socket takes them now."""
        if self.broken:
            return
        outcome = send_queued(self.sock, self.to_server)
        if outcome == "want_read":
            self.want_read = True
        elif outcome == "broken":
            self.ended = self.broken = True

    def flush_client(self) -> bool:
        """Write pending pod bytes to the local connection; False when it is gone."""
        assert self.client is not None
        return send_queued(self.client, self.to_client) != "broken"

    def close(self) -> None:
        """Say goodbye (best effort, never blocking) and close both sockets."""
        if not self.ended:
            self.to_server += _frame(b"\x03\xe8", ABNF.OPCODE_CLOSE)  # 1000: a polite goodbye
            self.ended = True
            self.flush_server()
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.client is not None:
            close_socket(self.client)


def close_socket(sock: socket.socket) -> None:
    """Shut down and close, ignoring a socket already gone."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()

