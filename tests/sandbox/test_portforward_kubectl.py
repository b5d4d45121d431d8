"""The real kubectl 1.32 port-forward (SPDY/3.1 in WebSocket, and raw) against handle_portforward."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from test_portforward_support import drain_output, http_get, poll, portforward_app, start_kubectl

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not on PATH")

BODY = b"<html><title>Welcome to nginx!</title></html>\n"
TRANSPORTS = [pytest.param(True, id="websocket-tunnel"), pytest.param(False, id="raw-spdy")]


@pytest.mark.parametrize("websockets", TRANSPORTS)
async def test_http_get_through_kubectl(tmp_path: Path, websockets: bool) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        kubectl = await start_kubectl(app, ":80", websockets=websockets)
        try:
            assert await http_get(kubectl.local_port) == BODY
        finally:
            code = await kubectl.stop()
        assert code == 0, await drain_output(kubectl)
        assert app.dials == [80]
        expected = "GET websocket SPDY/3.1+portforward.k8s.io" if websockets else "POST SPDY/3.1 "
        assert app.upgrades == [expected]


@pytest.mark.parametrize("websockets", TRANSPORTS)
async def test_sequential_connections_and_large_body(tmp_path: Path, websockets: bool) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB: many DATA frames, and backpressure on the way
    async with portforward_app(tmp_path, {80: BODY, 8080: big}) as app:
        kubectl = await start_kubectl(app, ":80", websockets=websockets)
        try:
            for _ in range(4):
                assert await http_get(kubectl.local_port) == BODY
        finally:
            assert await kubectl.stop() == 0
        kubectl = await start_kubectl(app, ":8080", websockets=websockets)
        try:
            assert await http_get(kubectl.local_port) == big
            assert await http_get(kubectl.local_port) == big
        finally:
            assert await kubectl.stop() == 0
        assert app.dials == [80] * 4 + [8080] * 2
        assert app.backends[80].served == 4


@pytest.mark.parametrize("websockets", TRANSPORTS)
async def test_concurrent_connections_and_upload(tmp_path: Path, websockets: bool) -> None:
    upload = bytes(range(256)) * 8192  # 2 MiB up and back down
    async with portforward_app(tmp_path, {80: BODY}) as app:
        kubectl = await start_kubectl(app, ":80", websockets=websockets)
        try:
            gets = [http_get(kubectl.local_port) for _ in range(6)]
            results = await asyncio.gather(http_get(kubectl.local_port, "/echo", upload=upload), *gets)
            assert results[0] == upload
            assert results[1:] == [BODY] * 6
        finally:
            assert await kubectl.stop() == 0
        assert app.dials == [80] * 7


@pytest.mark.parametrize("websockets", TRANSPORTS)
async def test_dial_error_reaches_kubectl(tmp_path: Path, websockets: bool) -> None:
    async with portforward_app(tmp_path, {}) as app:
        kubectl = await start_kubectl(app, ":81", websockets=websockets)
        try:
            # kubectl accepts the local connection, then closes it when the error stream reports.
            reader_writer = await http_get_raw(kubectl.local_port)
            assert reader_writer == b""
        finally:
            await kubectl.proc.wait()
        output = await drain_output(kubectl)
        # kubectl 1.32 treats an error-stream message as a lost connection and exits 1.
        assert kubectl.proc.returncode == 1, output
        assert "an error occurred forwarding" in output and "-> 81: error forwarding port 81 to pod" in output
        assert "connect: connection refused" in output
        assert "error: lost connection to pod" in output


@pytest.mark.parametrize("websockets", TRANSPORTS)
async def test_server_shutdown_ends_port_forwards(tmp_path: Path, websockets: bool) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        kubectl = await start_kubectl(app, ":80", websockets=websockets)
        try:
            # A local connection whose request never completes keeps a forward open on the server.
            _, writer = await asyncio.open_connection("127.0.0.1", kubectl.local_port)
            writer.write(b"GET / HTTP/1.1\r\n")
            await writer.drain()
            await poll(lambda: app.backends[80].open_connections == 1, what="the forward to open")
            started = time.monotonic()
            await app.stop()  # runs shutdown_portforwards instead of waiting out aiohttp's timeout
            assert time.monotonic() - started < 2
            async with asyncio.timeout(10):
                code = await kubectl.proc.wait()
            writer.close()
        finally:
            await kubectl.stop()
        output = await drain_output(kubectl)
        assert code == 1 and "lost connection to pod" in output, output


async def http_get_raw(port: int) -> bytes:
    """Send a GET and return whatever comes back before the connection closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()
