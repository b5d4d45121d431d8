"""The Python client's port-forward (v4.channel.k8s.io WebSocket) against handle_portforward."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from pathlib import Path
from typing import Any

import pytest
import websocket  # websocket-client, the Python client's own WebSocket library
from kubernetes import client
from kubernetes.stream import portforward
from test_portforward_support import POD_UID, PortForwardApp, poll, portforward_app

BODY = b"<html><title>Welcome to nginx!</title></html>\n"
PATH = "/api/v1/namespaces/default/pods/web/portforward"


def _api(app: PortForwardApp) -> client.CoreV1Api:
    config = client.Configuration()
    config.host = app.url
    return client.CoreV1Api(client.ApiClient(config))


def _get_through(pf: Any, port: int, upload: bytes | None = None) -> bytes:
    conn = http.client.HTTPConnection("pod", port, timeout=10)
    conn.sock = pf.socket(port)
    if upload is None:
        conn.request("GET", "/")
    else:
        conn.request("POST", "/echo", body=upload)
    resp = conn.getresponse()
    assert resp.status == 200
    return resp.read()


async def test_http_through_one_port(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        def run() -> bytes:
            pf = portforward(_api(app).connect_get_namespaced_pod_portforward, "web", "default", ports="80")
            try:
                body = _get_through(pf, 80)
                assert pf.error(80) is None
                return body
            finally:
                pf.close()
        assert await asyncio.to_thread(run) == BODY
        assert app.dials == [80]
        assert app.backends[80].served == 1


async def test_nothing_listening_reports_error_channel(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {}) as app:
        def run() -> tuple[str | None, bytes]:
            pf = portforward(_api(app).connect_get_namespaced_pod_portforward, "web", "default", ports="81")
            try:
                sock = pf.socket(81)
                sock.settimeout(10)
                data = sock.recv(100)  # b'' once the error arrived and the server closed the WebSocket
                return pf.error(81), data
            finally:
                pf.close()
        error, data = await asyncio.to_thread(run)
        assert data == b""
        assert error is not None
        assert error.startswith(f"error forwarding port 81 to pod 0c1d2e3f4a5b, uid {POD_UID}: ")
        assert "connect: connection refused" in error


async def test_two_ports_at_once(tmp_path: Path) -> None:
    other = b"second backend\n" * 5000  # 75 kB: several frames each way
    async with portforward_app(tmp_path, {80: BODY, 8080: other}) as app:
        def run() -> tuple[bytes, bytes]:
            pf = portforward(_api(app).connect_get_namespaced_pod_portforward, "web", "default",
                             ports="80,8080")
            try:
                return _get_through(pf, 8080), _get_through(pf, 80)
            finally:
                pf.close()
        assert await asyncio.to_thread(run) == (other, BODY)
        assert sorted(app.dials) == [80, 8080]


async def test_upload_and_download_a_large_body(tmp_path: Path) -> None:
    upload = bytes(range(256)) * 8192  # 2 MiB: many frames each way
    async with portforward_app(tmp_path, {80: BODY}) as app:
        def run() -> bytes:
            pf = portforward(_api(app).connect_get_namespaced_pod_portforward, "web", "default", ports="80")
            try:
                return _get_through(pf, 80, upload)
            finally:
                pf.close()
        assert await asyncio.to_thread(run) == upload


async def test_one_port_fails_other_works(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        def run() -> tuple[bytes, str | None]:
            api = _api(app)
            pf = portforward(api.connect_get_namespaced_pod_portforward, "web", "default", ports="81,80")
            try:
                body = _get_through(pf, 80)
                sock = pf.socket(81)
                sock.settimeout(10)
                assert sock.recv(10) == b""
                return body, pf.error(81)
            finally:
                pf.close()
        body, error = await asyncio.to_thread(run)
        assert body == BODY
        assert error is not None and "port 81" in error


@pytest.mark.parametrize(("query", "message"), [
    ("", 'query parameter "port" is required'),
    ("?ports=0", 'port "0" must be > 0'),
    ("?ports=80,70000", 'unable to parse "80,70000" as a port: strconv.ParseUint: parsing "70000": '
                        "value out of range"),
    ("?ports=http", 'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax'),
])
async def test_bad_ports_are_400_status(tmp_path: Path, query: str, message: str) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        def run() -> tuple[int, dict[str, Any]]:
            # The Python client validates ports itself, so go around it with a raw WebSocket upgrade.
            url = app.url.replace("http", "ws") + PATH + query
            with pytest.raises(websocket.WebSocketBadStatusException) as info:
                websocket.create_connection(url, subprotocols=["v4.channel.k8s.io"], timeout=5)
            return info.value.status_code, json.loads(info.value.resp_body or b"")
        code, status = await asyncio.to_thread(run)
        assert code == 400
        assert status["kind"] == "Status" and status["reason"] == "BadRequest" and status["code"] == 400
        assert status["message"] == message
        assert app.dials == []


async def test_repeated_ports_parameters(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY, 81: b"x"}) as app:
        def run() -> list[tuple[int, bytes]]:
            url = app.url.replace("http", "ws") + PATH + "?ports=80&ports=81"
            ws = websocket.create_connection(url, subprotocols=["v5.channel.k8s.io", "v4.channel.k8s.io"],
                                             timeout=5)
            try:
                assert ws.getsubprotocol() == "v4.channel.k8s.io"
                return [ws.recv_data() for _ in range(4)]
            finally:
                ws.close()
        frames = await asyncio.to_thread(run)
        # The 3-byte announcements, binary opcode (2), port little-endian: 80 = 0x0050, 81 = 0x0051.
        assert frames == [(2, b"\x00\x50\x00"), (2, b"\x01\x50\x00"),
                          (2, b"\x02\x51\x00"), (2, b"\x03\x51\x00")]


async def test_server_shutdown_closes_the_websocket(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        pf = await asyncio.to_thread(portforward, _api(app).connect_get_namespaced_pod_portforward,
                                     "web", "default", ports="80")
        try:
            await poll(lambda: app.backends[80].open_connections == 1, what="the backend to be dialed")
            started = time.monotonic()
            await app.stop()  # shutdown_portforwards closes the WebSocket instead of aiohttp waiting 60 s
            assert time.monotonic() - started < 2
            sock = pf.socket(80)
            sock.settimeout(5)
            assert await asyncio.to_thread(sock.recv, 10) == b""
        finally:
            pf.close()
