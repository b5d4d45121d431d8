"""Port-forward over the ``v4.channel.k8s.io`` WebSocket channel protocol (the Python client's).

Port *i* of the ``ports`` query uses data channel ``2i`` and error channel ``2i+1``. Each channel
first carries the port as two little-endian bytes; afterwards every message is the channel byte and
a payload, in binary frames (``v4.base64.channel.k8s.io`` instead sends text frames with an ASCII
channel digit and base64 payload). One backend connection per port is dialed at once; a failed
dial writes its text on the error channel. The protocol has no per-channel close, so the WebSocket
is closed (1000) once every port's backend has ended, as the kubelet does
(k/k ``pkg/kubelet/cri/streaming/portforward/websocket.go``, ``wsstream/conn.go``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from ktui.sandbox.portforward.spdy_session import Dial
from ktui.sandbox.portforward.tunnel import close_websocket

log = logging.getLogger(__name__)

V4_BINARY = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"

_READ_SIZE = 32 * 1024


@dataclass(eq=False)
class _Port:
    index: int
    number: int
    backend: asyncio.StreamWriter | None = None
    pending: list[bytes] = field(default_factory=list)
    ended: bool = False

    @property
    def data_channel(self) -> int:
        return 2 * self.index

    @property
    def error_channel(self) -> int:
        return 2 * self.index + 1


class ChannelForwarder:
    """Forward the ports of one prepared WebSocket until every backend ends or the client leaves."""

    def __init__(self, ws: web.WebSocketResponse, ports: list[int], dial: Dial, *,
                 base64_codec: bool = False) -> None:
        self._ws = ws
        self._ports = [_Port(i, number) for i, number in enumerate(ports)]
        self._dial = dial
        self._base64 = base64_codec
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        """Announce the ports, forward them, then close the WebSocket."""
        tasks: list[asyncio.Task[None]] = []
        going_away = False
        try:
            for port in self._ports:
                announcement = port.number.to_bytes(2, "little")
                await self._send(port.data_channel, announcement)
                await self._send(port.error_channel, announcement)
            tasks = [asyncio.create_task(self._forward(port)) for port in self._ports]
            client = asyncio.create_task(self._read_client())
            tasks.append(client)
            # Done when the client leaves, or when only the client reader is left (every port ended).
            pending: set[asyncio.Task[None]] = set(tasks)
            while client in pending and len(pending) > 1:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            going_away = True  # the server is shutting down
            raise
        finally:
            for port in self._ports:
                if port.backend is not None:
                    port.backend.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await close_websocket(self._ws, going_away=going_away)

    async def _send(self, channel: int, payload: bytes) -> None:
        async with self._lock:
            if self._base64:
                await self._ws.send_str(chr(ord("0") + channel) + base64.b64encode(payload).decode())
            else:
                await self._ws.send_bytes(bytes((channel,)) + payload)

    async def _forward(self, port: _Port) -> None:
        try:
            reader, writer = await self._dial(port.number)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # PortForwardError, or anything else the dial hit: report, not crash
            await self._send(port.error_channel, str(exc).encode())
            port.ended = True
            return
        port.backend = writer
        try:
            for chunk in port.pending:
                writer.write(chunk)
            port.pending.clear()
            while chunk := await reader.read(_READ_SIZE):
                await self._send(port.data_channel, chunk)
        except (ConnectionError, OSError) as exc:
            log.debug("port-forward: backend connection on port %s failed: %s", port.number, exc)
        finally:
            port.ended = True
            writer.close()

    async def _read_client(self) -> None:
        """Route client messages to the ports' backends until the WebSocket closes."""
        while True:
            msg = await self._ws.receive()
            if msg.type == WSMsgType.BINARY and not self._base64:
                frame: bytes = msg.data
                channel = frame[0] if frame else -1
            elif msg.type == WSMsgType.TEXT and self._base64:
                text: str = msg.data
                channel = ord(text[0]) - ord("0") if text else -1
                try:
                    frame = b"\x00" + base64.b64decode(text[1:], validate=True)
                except binascii.Error:
                    continue
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            else:
                continue
            # Like wsstream: frames for unknown channels, or for the write-only error channels, are dropped.
            if channel < 0 or channel % 2 or channel // 2 >= len(self._ports):
                continue
            port = self._ports[channel // 2]
            if port.ended or len(frame) == 1:
                continue
            if port.backend is None:
                port.pending.append(frame[1:])
                continue
            with contextlib.suppress(ConnectionError):
                port.backend.write(frame[1:])
                await port.backend.drain()
