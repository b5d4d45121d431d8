"""SPDY/3.1 framing and header compression, as kubectl's port-forward speaks it.

Written by hand because no maintained Python SPDY/3.1 library exists: SPDY was retired for HTTP/2
in 2016, and the old Python packages (python-spdy, the spdylay bindings) are unmaintained and stop
at SPDY/3 client use. The reference is moby/spdystream (``spdy/types.go``, ``read.go``, ``write.go``),
the Go library kubectl and the kubelet use; this module covers what its framer does, minus flow
control (spdystream ignores SETTINGS and WINDOW_UPDATE too). The session that pairs streams into
port-forward connections lives in ``spdy_session.py``.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from typing import NamedTuple

from ktui.sandbox.portforward.spdy_dictionary import SPDY3_DICTIONARY

VERSION = 3

# Control frame types (SPDY/3 section 2.6).
SYN_STREAM = 1
SYN_REPLY = 2
RST_STREAM = 3
SETTINGS = 4
NOOP = 5
PING = 6
GOAWAY = 7
HEADERS = 8
WINDOW_UPDATE = 9

FLAG_FIN = 0x01

# RST_STREAM status codes.
PROTOCOL_ERROR = 1
INVALID_STREAM = 2
REFUSED_STREAM = 3
CANCEL = 5
INTERNAL_ERROR = 6
STREAM_IN_USE = 8
STREAM_ALREADY_CLOSED = 9

GOAWAY_OK = 0
GOAWAY_PROTOCOL_ERROR = 1

MAX_DATA_PAYLOAD = 32 * 1024
"""Outgoing DATA frames carry at most this much (spdystream reads any 24-bit length)."""

_MAX_HEADER_BLOCK = 1 << 20  # decompressed bytes accepted per header block


class ProtocolError(Exception):
    """The peer broke SPDY framing; the session must end."""


class ControlFrame(NamedTuple):
    """A control frame: type, flags and the raw payload."""

    type: int
    flags: int
    payload: bytes


class DataFrame(NamedTuple):
    """A data frame for one stream."""

    stream_id: int
    flags: int
    payload: bytes

    @property
    def fin(self) -> bool:
        """The sender closed its side of the stream."""
        return bool(self.flags & FLAG_FIN)


Frame = ControlFrame | DataFrame


async def read_frame(reader: asyncio.StreamReader) -> Frame | None:
    """The next frame, or None at a clean end of input (EOF between frames)."""
    try:
        head = await reader.readexactly(8)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ProtocolError("connection ended inside a frame header") from None
        return None
    first, second = struct.unpack(">II", head)
    flags, length = second >> 24, second & 0xFFFFFF
    try:
        payload = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError:
        raise ProtocolError("connection ended inside a frame") from None
    if first & 0x80000000:
        version = (first >> 16) & 0x7FFF
        if version != VERSION:
            raise ProtocolError(f"unsupported SPDY version {version}")
        return ControlFrame(first & 0xFFFF, flags, payload)
    return DataFrame(first & 0x7FFFFFFF, flags, payload)


def control_frame(kind: int, payload: bytes, flags: int = 0) -> bytes:
    """Encode a control frame."""
    return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload


def data_frame(stream_id: int, payload: bytes = b"", *, fin: bool = False) -> bytes:
    """Encode a data frame (``payload`` must fit one frame: see ``MAX_DATA_PAYLOAD``)."""
    flags = FLAG_FIN if fin else 0
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(payload)) + payload


def syn_reply_frame(stream_id: int, header_block: bytes, *, fin: bool = False) -> bytes:
    """SYN_REPLY for an accepted stream; ``header_block`` comes from ``HeaderCodec.encode``."""
    return control_frame(SYN_REPLY, struct.pack(">I", stream_id & 0x7FFFFFFF) + header_block,
                         FLAG_FIN if fin else 0)


def rst_stream_frame(stream_id: int, status: int) -> bytes:
    """RST_STREAM: abort one stream."""
    return control_frame(RST_STREAM, struct.pack(">II", stream_id & 0x7FFFFFFF, status))


def ping_frame(ping_id: int) -> bytes:
    """PING with a 32-bit id."""
    return control_frame(PING, struct.pack(">I", ping_id))


def goaway_frame(last_good_stream_id: int, status: int = GOAWAY_OK) -> bytes:
    """GOAWAY: no new streams after ``last_good_stream_id``."""
    return control_frame(GOAWAY, struct.pack(">II", last_good_stream_id & 0x7FFFFFFF, status))


class SynStream(NamedTuple):
    """A decoded SYN_STREAM."""

    stream_id: int
    associated_id: int
    priority: int
    flags: int
    headers: dict[str, list[str]]

    def header(self, name: str) -> str:
        """The first value of a header, or ''."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def parse_ids(payload: bytes, count: int) -> tuple[int, ...]:
    """The leading 31-bit ids / 32-bit words of a control frame payload."""
    if len(payload) < 4 * count:
        raise ProtocolError(f"control frame too short ({len(payload)} bytes)")
    return struct.unpack_from(">" + "I" * count, payload)


class HeaderCodec:
    """The two zlib streams of a SPDY/3 connection: one per direction, for the connection's life.

    Every header block is compressed with the SPDY dictionary and ends with a sync flush (what Go's
    ``zlib.Writer.Flush`` emits), so each block decompresses on its own yet shares the history.
    """

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, SPDY3_DICTIONARY)
        self._inflate = zlib.decompressobj(zdict=SPDY3_DICTIONARY)

    def encode(self, headers: dict[str, list[str]]) -> bytes:
        """Compress a header block (names lowercased, multiple values NUL-joined)."""
        parts = [struct.pack(">I", len(headers))]
        for name, values in headers.items():
            key = name.lower().encode()
            value = b"\x00".join(v.encode() for v in values)
            parts += [struct.pack(">I", len(key)), key, struct.pack(">I", len(value)), value]
        block = b"".join(parts)
        return self._deflate.compress(block) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def decode(self, data: bytes) -> dict[str, list[str]]:
        """Decompress and parse one header block."""
        try:
            block = self._inflate.decompress(data, _MAX_HEADER_BLOCK)
        except zlib.error as exc:
            raise ProtocolError(f"header block does not decompress: {exc}") from None
        if self._inflate.unconsumed_tail:
            raise ProtocolError("header block too large")
        return _parse_header_block(block)

    def decode_syn_stream(self, frame: ControlFrame) -> SynStream:
        """Decode a SYN_STREAM payload (stream id, associated id, priority, slot, header block)."""
        stream_id, associated = parse_ids(frame.payload, 2)
        if len(frame.payload) < 10:
            raise ProtocolError("SYN_STREAM too short")
        priority = frame.payload[8] >> 5
        headers = self.decode(frame.payload[10:])
        return SynStream(stream_id & 0x7FFFFFFF, associated & 0x7FFFFFFF, priority, frame.flags, headers)


def _parse_header_block(block: bytes) -> dict[str, list[str]]:
    try:
        (count,) = struct.unpack_from(">I", block, 0)
        offset = 4
        headers: dict[str, list[str]] = {}
        for _ in range(count):
            (size,) = struct.unpack_from(">I", block, offset)
            name = block[offset + 4:offset + 4 + size].decode().lower()
            offset += 4 + size
            (size,) = struct.unpack_from(">I", block, offset)
            value = block[offset + 4:offset + 4 + size]
            offset += 4 + size
            if offset > len(block):
                raise ProtocolError("header block truncated")
            headers.setdefault(name, []).extend(v.decode() for v in value.split(b"\x00"))
    except (struct.error, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed header block: {exc}") from None
    return headers
