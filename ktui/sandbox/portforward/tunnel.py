"""A byte stream carried in binary WebSocket messages: kubectl 1.32's SPDY-over-WebSocket tunnel.

kubectl (client-go ``tools/portforward/tunneling_connection.go``) writes the SPDY byte stream as
binary messages whose boundaries mean nothing, often one tiny message per SPDY field, and rejects
text messages. This adapter turns the messages back into one ``asyncio.StreamReader``, with
backpressure: reading from the WebSocket pauses while the SPDY side has not consumed its buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from ktui.sandbox.portforward.spdy_session import Dial, SpdySession

SUBPROTOCOL = "SPDY/3.1+portforward.k8s.io"

_BUFFER_LIMIT = 256 * 1024
_GOING_AWAY_WAIT = 0.2


class _Gate(asyncio.ReadTransport):
    """Stands in for a transport so the StreamReader can ask us to stop reading the WebSocket."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.open.set()

    def pause_reading(self) -> None:
        self.open.clear()

    def resume_reading(self) -> None:
        self.open.set()

    def is_reading(self) -> bool:
        return self.open.is_set()

    def close(self) -> None:
        self.open.set()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class WebSocketByteStream:
    """Reads a byte stream out of binary messages (``reader``) and writes bytes as messages."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws
        self.reader = asyncio.StreamReader(limit=_BUFFER_LIMIT)
        self._gate = _Gate()
        self.reader.set_transport(self._gate)

    async def pump(self) -> None:
        """Feed incoming binary messages into ``reader`` until the WebSocket closes."""
        try:
            while True:
                await self._gate.open.wait()
                msg = await self._ws.receive()
                if msg.type == WSMsgType.BINARY:
                    self.reader.feed_data(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    # client-go rejects text in this tunnel ("invalid message type received"); so do we.
                    await self._ws.close(code=WSCloseCode.UNSUPPORTED_DATA,
                                         message=b"invalid message type received")
                    break
                else:  # CLOSE, CLOSING, CLOSED, ERROR
                    break
        finally:
            self.reader.feed_eof()

    async def write(self, data: bytes) -> None:
        """Send bytes as one binary message."""
        await self._ws.send_bytes(data)


async def close_websocket(ws: web.WebSocketResponse, *, going_away: bool) -> None:
    """Close with 1000, or with 1001 when the server shuts down.

    On shutdown aiohttp already ignores incoming bytes, so the client's answering close frame can
    never arrive: send ours and drop the connection instead of waiting for it.
    """
    if ws.closed:
        return
    if not going_away:
        await ws.close(code=WSCloseCode.OK)
        return
    with contextlib.suppress(TimeoutError, ConnectionError):
        await asyncio.wait_for(ws.close(code=WSCloseCode.GOING_AWAY), _GOING_AWAY_WAIT)


async def serve_spdy_tunnel(ws: web.WebSocketResponse, dial: Dial) -> None:
    """Run a SPDY/3.1 port-forward session inside a prepared WebSocket, then close it (1000)."""
    stream = WebSocketByteStream(ws)
    pump = asyncio.create_task(stream.pump())
    going_away = False
    try:
        await SpdySession(stream.reader, stream.write, dial).run()
    except asyncio.CancelledError:
        going_away = True
        raise
    finally:
        # close() also wakes a pump blocked in receive(); one paused by backpressure is cancelled.
        await close_websocket(ws, going_away=going_away)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
