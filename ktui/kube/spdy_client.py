"""SPDY/3.1 framing for the client side of a port-forward, as kubectl 1.32 speaks it.

Written by hand: no maintained Python SPDY/3.1 library exists (SPDY was retired for HTTP/2). The
reference is moby/spdystream (``spdy/types.go``, ``read.go``, ``write.go``), the Go library kubectl
and the kubelet use, and ``k8s-wire-protocol.md`` section 6.4. Flow control is left out, as
spdystream leaves it out (it ignores SETTINGS and WINDOW_UPDATE). ``open_tunnel`` upgrades one
WebSocket with subprotocol ``SPDY/3.1+portforward.k8s.io`` through the official client's
configuration (URL, TLS, auth, proxies), the same path as the v4 upgrade.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, NamedTuple

from ktui.kube.client import Connection
from ktui.kube.portforward_stream import UpgradeRefused
from ktui.kube.spdy_dictionary import SPDY3_DICTIONARY

TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/portforward"

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, NOOP, PING, GOAWAY, HEADERS, WINDOW_UPDATE = range(1, 10)
FLAG_FIN = 0x01
CANCEL = 5
REFUSED_STREAM = 3
MAX_DATA = 32 * 1024  # per outgoing DATA frame, as the kubelet writes them
_MAX_HEADER_BLOCK = 1 << 20


class ProtocolError(Exception):
    """The peer broke SPDY framing: the tunnel must end."""


class TunnelRefused(Exception):
    """The server upgraded without the SPDY tunnel subprotocol: fall back to v4."""


class Frame(NamedTuple):
    """One frame: ``control`` frames carry a type, data frames a stream id (in ``kind``)."""

    control: bool
    kind: int
    flags: int
    payload: bytes


def parse_frames(buf: bytearray) -> list[Frame]:
    """Complete SPDY frames at the head of ``buf``, consumed from it."""
    out: list[Frame] = []
    pos, size = 0, len(buf)
    while size - pos >= 8:
        first, second = struct.unpack_from(">II", buf, pos)
        length = second & 0xFFFFFF
        if size - pos < 8 + length:
            break
        payload = bytes(buf[pos + 8:pos + 8 + length])
        if first & 0x80000000:
            if (first >> 16) & 0x7FFF != 3:
                raise ProtocolError(f"unsupported SPDY version {(first >> 16) & 0x7FFF}")
            out.append(Frame(True, first & 0xFFFF, second >> 24, payload))
        else:
            out.append(Frame(False, first & 0x7FFFFFFF, second >> 24, payload))
        pos += 8 + length
    del buf[:pos]
    return out


def control_frame(kind: int, payload: bytes, flags: int = 0) -> bytes:
    """Encode a control frame (version 3)."""
    return struct.pack(">HHI", 0x8003, kind, (flags << 24) | len(payload)) + payload


def data_frames(stream_id: int, payload: bytes = b"", *, fin: bool = False) -> bytes:
    """Encode ``payload`` as DATA frames of at most ``MAX_DATA`` bytes; FIN on the last one."""
    parts = []
    for start in range(0, max(1, len(payload)), MAX_DATA):
        chunk = payload[start:start + MAX_DATA]
        last = start + MAX_DATA >= len(payload)
        flags = FLAG_FIN if fin and last else 0
        parts.append(struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(chunk)) + chunk)
    return b"".join(parts)


def rst_frame(stream_id: int, status: int = CANCEL) -> bytes:
    """RST_STREAM: abort one stream."""
    return control_frame(RST_STREAM, struct.pack(">II", stream_id & 0x7FFFFFFF, status))


def ping_frame(ping_id: int) -> bytes:
    """PING with a 32-bit id."""
    return control_frame(PING, struct.pack(">I", ping_id))


class HeaderCodec:
    """The connection's two zlib streams (one per direction, primed with the SPDY/3 dictionary)."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, SPDY3_DICTIONARY)
        self._inflate = zlib.decompressobj(zdict=SPDY3_DICTIONARY)

    def encode(self, headers: dict[str, str]) -> bytes:
        """Compress a header block; a sync flush ends it, as Go's ``zlib.Writer.Flush`` does."""
        parts = [struct.pack(">I", len(headers))]
        for name, value in headers.items():
            key, val = name.lower().encode(), value.encode()
            parts += [struct.pack(">I", len(key)), key, struct.pack(">I", len(val)), val]
        return self._deflate.compress(b"".join(parts)) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def decode(self, data: bytes) -> dict[str, str]:
        """Decompress and parse one header block (every block, to keep the shared history)."""
        try:
            block = self._inflate.decompress(data, _MAX_HEADER_BLOCK)
        except zlib.error as exc:
            raise ProtocolError(f"header block does not decompress: {exc}") from None
        headers: dict[str, str] = {}
        try:
            (count,) = struct.unpack_from(">I", block, 0)
            offset = 4
            for _ in range(count):
                (size,) = struct.unpack_from(">I", block, offset)
                name = block[offset + 4:offset + 4 + size].decode().lower()
                offset += 4 + size
                (size,) = struct.unpack_from(">I", block, offset)
                headers[name] = block[offset + 4:offset + 4 + size].decode()
                offset += 4 + size
        except (struct.error, UnicodeDecodeError) as exc:
            raise ProtocolError(f"malformed header block: {exc}") from None
        return headers

    def syn_stream(self, stream_id: int, headers: dict[str, str], *, fin: bool = False) -> bytes:
        """SYN_STREAM (no associated stream, priority 0) carrying ``headers``."""
        body = struct.pack(">IIH", stream_id & 0x7FFFFFFF, 0, 0) + self.encode(headers)
        return control_frame(SYN_STREAM, body, FLAG_FIN if fin else 0)


def open_tunnel(conn: Connection, namespace: str, pod: str) -> Any:
    """One WebSocket speaking ``SPDY/3.1+portforward.k8s.io`` to the pod (websocket-client).

    UpgradeRefused (handshake text as reason) when the upgrade is refused, as the v4 path raises
    it; TunnelRefused when the server upgraded to something else (an older apiserver).
    """
    api = conn.api_client
    from kubernetes.stream import ws_client  # loads with the client (see client)

    try:
        # No ports query: kubectl sends none, each stream names its port in its headers.
        _, url, headers, _, _ = api.param_serialize(
            "GET", _PATH, path_params={"namespace": namespace, "name": pod},
            header_params={"Accept": "*/*"}, auth_settings=["BearerToken"])
        headers["sec-websocket-protocol"] = TUNNEL_PROTOCOL
        ws = ws_client.create_websocket(api.configuration, ws_client.get_websocket_url(url), headers)
    except Exception as exc:  # websocket-client raises plain exceptions
        raise UpgradeRefused(str(exc)) from None
    chosen = (ws.getheaders() or {}).get("sec-websocket-protocol", "")
    if chosen.strip().lower() != TUNNEL_PROTOCOL.lower():
        ws.shutdown()
        raise TunnelRefused(f"server chose subprotocol {chosen!r}")
    return ws
