"""The ``pods/{name}/portforward`` endpoint: picks the protocol from the request and serves it.

- GET + ``Upgrade: websocket`` with subprotocol ``v4.channel.k8s.io`` (also ``v4.base64…`` or none):
  the channel protocol of the Python client; ports come from the ``ports`` query.
- GET + WebSocket subprotocol ``SPDY/3.1+portforward.k8s.io``: SPDY tunnelled in binary messages,
  kubectl 1.32's first try.
- POST (or GET) + ``Upgrade: SPDY/3.1``: SPDY on the raw connection, kubectl's fallback. aiohttp
  only upgrades to WebSocket, so this path takes over the connection: it installs its own payload
  parser before answering 101, and writes frames through the (unchunked) 101 response.
- Anything else: 400 Status ``Upgrade request required``, the message kubectl prints.

A port-forward lasts as long as its client, so an application serving this endpoint should append
``shutdown_portforwards`` to ``app.on_shutdown``; otherwise aiohttp waits out its shutdown timeout.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

from aiohttp import hdrs, web

from ktui.sandbox.errors import ApiError, bad_request
from ktui.sandbox.portforward.spdy_session import Dial, SpdySession
from ktui.sandbox.portforward.tunnel import SUBPROTOCOL as SPDY_TUNNEL
from ktui.sandbox.portforward.tunnel import serve_spdy_tunnel
from ktui.sandbox.portforward.websocket_channels import V4_BASE64, V4_BINARY, ChannelForwarder

STREAM_PROTOCOL = "portforward.k8s.io"
_WEBSOCKET_PROTOCOLS = ("", V4_BINARY, V4_BASE64, SPDY_TUNNEL)  # the kubelet's set, plus the tunnel
_CLOSE_TIMEOUT = 5.0

# The running port-forward handlers of each application, for shutdown_portforwards.
_ACTIVE: weakref.WeakKeyDictionary[web.Application, set[asyncio.Task[Any]]] = weakref.WeakKeyDictionary()


async def handle_portforward(request: web.Request, dial: Dial) -> web.StreamResponse:
    """Serve one port-forward request with ``dial(port)`` reaching the pod's ports."""
    upgrade = request.headers.get(hdrs.UPGRADE, "").strip().lower()
    task = asyncio.current_task()
    active = _ACTIVE.setdefault(request.app, set())
    if task is not None:
        active.add(task)
    try:
        if upgrade == "websocket" and request.method == "GET":
            return await _serve_websocket(request, dial)
        if upgrade == "spdy/3.1":
            return await _serve_raw_spdy(request, dial)
        raise bad_request("Upgrade request required")
    except ApiError as err:
        return status_response(err)
    finally:
        active.discard(task)  # type: ignore[arg-type]


async def shutdown_portforwards(app: web.Application) -> None:
    """End every port-forward of ``app`` (an ``on_shutdown`` hook): backends closed, clients told."""
    tasks = list(_ACTIVE.get(app, ()))
    for task in tasks:
        task.cancel()
    if tasks:
        # Bounded: a WebSocket close waits at most _CLOSE_TIMEOUT for the client's answer. aiohttp
        # awaits these tasks itself, so their outcome is not ours to collect.
        await asyncio.wait(tasks, timeout=_CLOSE_TIMEOUT + 1)


def status_response(err: ApiError) -> web.Response:
    """A ``Status`` body with Content-Length, as the apiserver sends it."""
    return web.Response(status=err.code, body=json.dumps(err.status()).encode(),
                        content_type="application/json", headers={"Cache-Control": "no-cache, private"})


def parse_ports(values: list[str]) -> list[int]:
    """Ports from ``ports`` query values (comma-separated and/or repeated), in the kubelet's words."""
    if not values:
        raise bad_request('query parameter "port" is required')
    ports: list[int] = []
    for value in values:
        if not value:
            raise bad_request('query parameter "port" cannot be empty')
        for text in value.split(","):
            if not text.isascii() or not text.isdigit():
                raise bad_request(f'unable to parse "{value}" as a port: '
                                  f'strconv.ParseUint: parsing "{text}": invalid syntax')
            if int(text) > 65535:
                raise bad_request(f'unable to parse "{value}" as a port: '
                                  f'strconv.ParseUint: parsing "{text}": value out of range')
            if int(text) < 1:
                raise bad_request(f'port "{value}" must be > 0')
            ports.append(int(text))
    return ports


def _offered(request: web.Request) -> list[str]:
    header = request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL)
    if header is None:
        return [""]
    return [p.strip() for p in header.split(",") if p.strip()]


async def _serve_websocket(request: web.Request, dial: Dial) -> web.StreamResponse:
    offered = _offered(request)
    chosen = next((p for p in offered if p in _WEBSOCKET_PROTOCOLS), None)
    if chosen is None:
        supported = [p for p in _WEBSOCKET_PROTOCOLS if p]
        raise bad_request(f"unable to upgrade: unable to negotiate protocol: client supports {offered}, "
                          f"server supports {supported}")
    ports: list[int] = []
    if chosen != SPDY_TUNNEL:
        ports = parse_ports(request.query.getall("ports", []))
    ws = web.WebSocketResponse(protocols=[p for p in _WEBSOCKET_PROTOCOLS if p], timeout=_CLOSE_TIMEOUT,
                               autoping=True)
    if not ws.can_prepare(request).ok:
        raise bad_request("Upgrade request required")
    await ws.prepare(request)
    if chosen == SPDY_TUNNEL:
        await serve_spdy_tunnel(ws, dial)
    else:
        await ChannelForwarder(ws, ports, dial, base64_codec=chosen == V4_BASE64).run()
    return ws


class _RawParser:
    """Takes the place of aiohttp's payload parser after the SPDY upgrade: bytes go to a reader."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self._reader.feed_eof()


async def _serve_raw_spdy(request: web.Request, dial: Dial) -> web.StreamResponse:
    # httpstream.Handshake: the client must name the stream protocol, and it must be ours.
    headers = request.headers.getall("X-Stream-Protocol-Version", [])
    offered = [v.strip() for h in headers for v in h.split(",")]
    if not offered:
        raise bad_request("unable to upgrade: X-Stream-Protocol-Version is required")
    if STREAM_PROTOCOL not in offered:
        raise ApiError(403, "Forbidden", f"unable to upgrade: unable to negotiate protocol: client supports "
                       f"{offered}, server supports [{STREAM_PROTOCOL}]")
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("Connection lost")
    reader = asyncio.StreamReader(limit=256 * 1024)
    reader.set_transport(transport)  # pauses the socket when the session falls behind
    # Install the parser before the 101 goes out: the client starts sending SPDY frames on receipt.
    parser: Any = _RawParser(reader)
    request.protocol.set_parser(parser)
    request.protocol.keep_alive(False)
    resp = web.StreamResponse(status=101, reason="Switching Protocols",
                              headers={hdrs.CONNECTION: "Upgrade", hdrs.UPGRADE: "SPDY/3.1",
                                       "X-Stream-Protocol-Version": STREAM_PROTOCOL})
    resp.force_close()
    await resp.prepare(request)
    await SpdySession(reader, resp.write, dial).run()
    return resp
