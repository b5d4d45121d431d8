"""The kubelet's side of a SPDY/3.1 port-forward connection, over any byte transport.

kubectl opens one pair of streams per accepted local connection: ``streamtype: error`` and
``streamtype: data``, both with the same ``requestid`` and ``port``. The session replies to every
SYN_STREAM, dials the pod's port once a pair is complete, copies bytes both ways, and on backend EOF
FINs the data *and* the error stream (kubectl waits for both). A failed dial writes its text on the
error stream. Mirrors k/k ``pkg/kubelet/cri/streaming/portforward/httpstream.go``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from ktui.sandbox.portforward import spdy

log = logging.getLogger(__name__)

Dial = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
Write = Callable[[bytes], Awaitable[None]]

STREAM_CREATION_TIMEOUT = 30.0
"""Seconds a half-opened pair may wait for its partner (the kubelet's default)."""


@dataclass(eq=False)
class _Stream:
    id: int
    kind: str
    pair: _Pair
    remote_fin: bool = False
    local_fin: bool = False
    reset: bool = False


@dataclass(eq=False)
class _Pair:
    """One forwarded connection: its error and data streams and the backend socket."""

    key: str
    port: str = ""
    error: _Stream | None = None
    data: _Stream | None = None
    backend: asyncio.StreamWriter | None = None
    pending: list[bytes] = field(default_factory=list)  # client bytes that arrived before the dial finished
    ended: bool = False  # the backend connection is over (or never came): client bytes are dropped
    client_eof: bool = False
    task: asyncio.Task[None] | None = None
    timer: asyncio.TimerHandle | None = None


class SpdySession:
    """Serve one SPDY/3.1 connection: read frames from ``reader``, write frames with ``write``."""

    def __init__(self, reader: asyncio.StreamReader, write: Write, dial: Dial, *,
                 stream_timeout: float = STREAM_CREATION_TIMEOUT) -> None:
        self._reader = reader
        self._stream_timeout = stream_timeout
        self._write = write
        self._dial = dial
        self._codec = spdy.HeaderCodec()
        self._lock = asyncio.Lock()
        self._streams: dict[int, _Stream] = {}
        self._pairs: dict[str, _Pair] = {}
        self._last_stream_id = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._goaway = False
        self._broken = False

    async def run(self) -> None:
        """Serve until the peer closes the connection; then stop every forward."""
        try:
            while not self._broken:
                frame = await spdy.read_frame(self._reader)
                if frame is None:
                    break
                if isinstance(frame, spdy.DataFrame):
                    await self._on_data(frame)
                else:
                    await self._on_control(frame)
        except spdy.ProtocolError as exc:
            log.warning("port-forward: SPDY protocol error: %s", exc)
            await self._send(spdy.goaway_frame(self._last_stream_id, spdy.GOAWAY_PROTOCOL_ERROR))
        except asyncio.CancelledError:
            # The server is shutting down: tell the client no more streams are coming.
            await asyncio.shield(self._send(spdy.goaway_frame(self._last_stream_id)))
            raise
        finally:
            await self._close_all()

    async def _send(self, frame: bytes) -> None:
        """Write one whole frame; a lost connection just ends the session."""
        if self._broken:
            return
        async with self._lock:
            try:
                await self._write(frame)
            except (ConnectionError, RuntimeError) as exc:  # aiohttp raises both once the peer is gone
                log.debug("port-forward: write failed: %s", exc)
                self._broken = True

    # ---- control frames -------------------------------------------------------------------------

    async def _on_control(self, frame: spdy.ControlFrame) -> None:
        if frame.type == spdy.SYN_STREAM:
            await self._on_syn_stream(self._codec.decode_syn_stream(frame))
        elif frame.type == spdy.RST_STREAM:
            stream_id, _status = spdy.parse_ids(frame.payload, 2)
            stream = self._streams.get(stream_id & 0x7FFFFFFF)
            if stream is not None:
                stream.reset = True
                self._abort(stream.pair)
        elif frame.type == spdy.PING:
            (ping_id,) = spdy.parse_ids(frame.payload, 1)
            if ping_id % 2 == 1:  # client-initiated: echo it; even ids would answer pings we never send
                await self._send(spdy.ping_frame(ping_id))
        elif frame.type == spdy.GOAWAY:
            self._goaway = True
        elif frame.type == spdy.HEADERS:
            # Never sent by kubectl, but the header block must still pass through the inflater so
            # later blocks decompress against the same history.
            self._codec.decode(frame.payload[4:])
        # SETTINGS, NOOP, WINDOW_UPDATE: spdystream does no flow control, neither do we.

    async def _on_syn_stream(self, syn: spdy.SynStream) -> None:
        sid = syn.stream_id
        if sid % 2 == 0 or sid <= self._last_stream_id:
            await self._send(spdy.rst_stream_frame(sid, spdy.PROTOCOL_ERROR))
            return
        self._last_stream_id = sid
        if self._goaway:
            await self._send(spdy.rst_stream_frame(sid, spdy.REFUSED_STREAM))
            return
        kind = syn.header("streamtype")
        request_id = syn.header("requestid")
        # Clients before requestid paired streams by id: the data stream follows its error stream.
        key = request_id or f"legacy:{sid if kind == 'error' else sid - 2}"
        pair = self._pairs.get(key) or _Pair(key)
        if kind not in ("error", "data") or getattr(pair, kind) is not None:
            await self._send(spdy.rst_stream_frame(sid, spdy.PROTOCOL_ERROR))
            return
        stream = _Stream(sid, kind, pair, remote_fin=bool(syn.flags & spdy.FLAG_FIN))
        self._streams[sid] = stream
        self._pairs[key] = pair
        setattr(pair, kind, stream)
        if kind == "data":
            pair.port = syn.header("port")
        # Headers are compressed here, on the frame-reading task, so the deflate history stays in
        # the order the frames go out (_send keeps FIFO order under its lock).
        await self._send(spdy.syn_reply_frame(sid, self._codec.encode({})))
        if pair.error is not None and pair.data is not None:
            if pair.timer is not None:
                pair.timer.cancel()
            pair.task = self._spawn(self._forward(pair))
        elif pair.timer is None:
            loop = asyncio.get_running_loop()
            pair.timer = loop.call_later(self._stream_timeout, self._expire, pair)

    # ---- data frames ------------------------------------------------------------------------------

    async def _on_data(self, frame: spdy.DataFrame) -> None:
        stream = self._streams.get(frame.stream_id)
        if stream is None or stream.reset or stream.remote_fin:
            return
        pair = stream.pair
        if frame.fin:
            stream.remote_fin = True
        if stream.kind != "data":
            self._forget_if_done(stream)
            return  # the client never writes the error stream, beyond closing it
        if frame.payload and not pair.ended:
            if pair.backend is None:
                pair.pending.append(frame.payload)
            else:
                with contextlib.suppress(ConnectionError):
                    pair.backend.write(frame.payload)
                    await pair.backend.drain()
        if frame.fin:
            pair.client_eof = True
            if pair.backend is not None and not pair.ended and pair.backend.can_write_eof():
                with contextlib.suppress(OSError):
                    pair.backend.write_eof()
            self._forget_if_done(stream)

    # ---- one forwarded connection -----------------------------------------------------------------

    async def _forward(self, pair: _Pair) -> None:
        assert pair.data is not None and pair.error is not None
        port = _parse_port(pair.port)
        if isinstance(port, str):
            await self._fail(pair, port)
            return
        try:
            reader, writer = await self._dial(port)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # PortForwardError, or anything else the dial hit: report, not crash
            await self._fail(pair, str(exc))
            return
        pair.backend = writer
        try:
            for chunk in pair.pending:
                writer.write(chunk)
            pair.pending.clear()
            if pair.client_eof and writer.can_write_eof():
                writer.write_eof()
            while not pair.data.reset and not self._broken:
                chunk = await reader.read(spdy.MAX_DATA_PAYLOAD)
                if not chunk:
                    break
                await self._send(spdy.data_frame(pair.data.id, chunk))
        except (ConnectionError, OSError) as exc:
            log.debug("port-forward: backend connection on port %s failed: %s", port, exc)
        finally:
            pair.ended = True
            writer.close()
        await self._finish(pair)

    async def _fail(self, pair: _Pair, text: str) -> None:
        assert pair.error is not None
        pair.ended = True
        pair.pending.clear()
        if not pair.error.reset:
            await self._send(spdy.data_frame(pair.error.id, text.encode()))
        await self._finish(pair)

    async def _finish(self, pair: _Pair) -> None:
        """FIN the data stream, then the error stream: kubectl waits for both before it moves on."""
        for stream in (pair.data, pair.error):
            if stream is not None and not stream.reset and not stream.local_fin:
                stream.local_fin = True
                await self._send(spdy.data_frame(stream.id, fin=True))
                self._forget_if_done(stream)

    def _expire(self, pair: _Pair) -> None:
        pair.timer = None
        if pair.task is None and not self._broken:
            pair.task = self._spawn(self._fail(pair, f"(request={pair.key}) timed out waiting for streams"))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _abort(self, pair: _Pair) -> None:
        """A stream of the pair was reset: drop the backend connection."""
        if pair.backend is not None:
            pair.backend.close()
        if pair.task is not None and pair.backend is None:
            pair.task.cancel()  # still dialing
        for stream in (pair.data, pair.error):
            if stream is not None:
                self._forget_if_done(stream)

    def _forget_if_done(self, stream: _Stream) -> None:
        if stream.reset or (stream.remote_fin and stream.local_fin):
            self._streams.pop(stream.id, None)
        pair = stream.pair
        if all(s is None or s.id not in self._streams for s in (pair.data, pair.error)):
            self._pairs.pop(pair.key, None)

    async def _close_all(self) -> None:
        """The connection is gone: stop every forward and close every backend socket."""
        self._broken = True
        for pair in self._pairs.values():
            if pair.timer is not None:
                pair.timer.cancel()
            if pair.backend is not None:
                pair.backend.close()
        self._pairs.clear()
        self._streams.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _parse_port(text: str) -> int | str:
    """The port number, or the kubelet's error text for a bad ``port`` header."""
    if not text.isdigit():
        return f'unable to parse "{text}" as a port: strconv.ParseUint: parsing "{text}": invalid syntax'
    port = int(text)
    if port > 65535:
        return f'unable to parse "{text}" as a port: strconv.ParseUint: parsing "{text}": value out of range'
    if port < 1:
        return f'port "{text}" must be > 0'
    return port
