"""A small HTTP/1.1 server loop for container programs, written by hand so every header is the program's own.

aiohttp's server adds its own ``Server`` and ``Date`` handling; a simulated nginx must answer with
exactly nginx's headers, so programs get raw requests and write the response bytes they choose.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate

_REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Request:
    """One parsed request."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes
    peer: str

    @property
    def path(self) -> str:
        """The path without the query string."""
        return self.target.split("?", 1)[0]


@dataclass
class Response:
    """What a handler answers: status, headers in order, body."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None


Handler = Callable[[Request], Awaitable[Response]]


def http_date() -> str:
    """``Wed, 27 Nov 2024 02:40:00 GMT``."""
    return formatdate(usegmt=True)


async def serve_http(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler, peer: str
) -> None:
    """Answer requests on one connection until the client closes it or asks to."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                break
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0") or 0)
            body = await reader.readexactly(length) if length else b""
            request = Request(parts[0], parts[1], parts[2], headers, body, peer)
            response = await handler(request)
            close = headers.get("connection", "").lower() == "close" or parts[2] == "HTTP/1.0"
            reason = response.reason or _REASONS.get(response.status, "Unknown")
            out = [f"HTTP/1.1 {response.status} {reason}"]
            out += [f"{k}: {v}" for k, v in response.headers]
            if not any(k.lower() == "content-length" for k, _ in response.headers):
                out.append(f"Content-Length: {len(response.body)}")
            out.append("Connection: close" if close else "Connection: keep-alive")
            payload = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
            writer.write(payload + (b"" if request.method == "HEAD" else response.body))
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def http_get(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """A minimal client GET (the kubelet's prober): status code and body."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "User-Agent: kube-probe/1.32",
        "Accept: */*",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    data = await reader.read()
    writer.close()
    status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ")
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError("malformed HTTP response")
    return int(parts[1]), data.split(b"\r\n\r\n", 1)[-1]
