"""Protocol choice and the edges of handle_portforward, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import struct
from pathlib import Path

import aiohttp
from test_portforward_support import portforward_app

from ktui.sandbox.portforward import spdy

PATH = "/api/v1/namespaces/default/pods/web/portforward"
BODY = b"hello from the pod\n"
REQUEST = b"GET / HTTP/1.1\r\nHost: pod\r\n\r\n"
V4_BASE64 = "v4.base64.channel.k8s.io"
TUNNEL = "SPDY/3.1+portforward.k8s.io"


async def test_plain_requests_get_upgrade_required(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app, aiohttp.ClientSession() as http:
        for method in ("GET", "POST"):
            async with http.request(method, app.url + PATH + "?ports=80") as resp:
                assert resp.status == 400
                assert resp.headers["Content-Type"] == "application/json"
                status = await resp.json()
                assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": "Upgrade request required", "reason": "BadRequest", "code": 400}
        headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
        async with http.post(app.url + PATH, headers=headers) as resp:
            assert resp.status == 400
            message = (await resp.json())["message"]
            assert message == "unable to upgrade: X-Stream-Protocol-Version is required"
        headers["X-Stream-Protocol-Version"] = "v4.channel.k8s.io"
        async with http.post(app.url + PATH, headers=headers) as resp:
            assert resp.status == 403
            assert "unable to negotiate protocol" in (await resp.json())["message"]
        async with http.get(app.url + PATH + "?ports=80", headers={
                "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
                "Sec-WebSocket-Protocol": "v5.channel.k8s.io"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["message"].startswith(
                "unable to upgrade: unable to negotiate protocol: client supports ['v5.channel.k8s.io']")
        assert app.dials == []


async def test_base64_channels(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app, aiohttp.ClientSession() as http:
        async with http.ws_connect(app.url + PATH + "?ports=80", protocols=[V4_BASE64]) as ws:
            assert ws.protocol == V4_BASE64
            assert [await ws.receive_str(), await ws.receive_str()] == ["0UAA=", "1UAA="]
            await ws.send_str("0" + base64.b64encode(REQUEST).decode())
            received = b""
            async for msg in ws:  # the server closes once the backend has answered and hung up
                assert msg.type == aiohttp.WSMsgType.TEXT and msg.data[0] == "0"
                received += base64.b64decode(msg.data[1:])
            assert ws.close_code == 1000
        assert received.endswith(b"\r\n\r\n" + BODY)


async def test_v4_without_subprotocol_and_client_close(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app, aiohttp.ClientSession() as http:
        async with http.ws_connect(app.url + PATH + "?ports=80") as ws:
            assert ws.protocol is None
            assert await ws.receive_bytes() == b"\x00\x50\x00"
            assert await ws.receive_bytes() == b"\x01\x50\x00"
            # leaving without a word: the server must drop the backend connection it dialed
        assert app.dials == [80]


async def test_tunnel_rejects_text_messages(tmp_path: Path) -> None:
    async with (portforward_app(tmp_path, {80: BODY}) as app, aiohttp.ClientSession() as http,
                http.ws_connect(app.url + PATH, protocols=[TUNNEL]) as ws):
            assert ws.protocol == TUNNEL
            await ws.send_bytes(spdy.ping_frame(1)[:5])  # message boundaries mean nothing in the tunnel
            await ws.send_bytes(spdy.ping_frame(1)[5:])
            assert await ws.receive_bytes() == spdy.ping_frame(1)
            await ws.send_str("hello")
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1003


async def test_raw_spdy_upgrade_takes_over_the_connection(tmp_path: Path) -> None:
    async with portforward_app(tmp_path, {80: BODY}) as app:
        reader, writer = await asyncio.open_connection("127.0.0.1", int(app.url.rsplit(":", 1)[1]))
        try:
            writer.write(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                         "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n"
                         "Content-Length: 0\r\n\r\n".encode())
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
            assert b"Upgrade: SPDY/3.1\r\n" in head
            assert b"X-Stream-Protocol-Version: portforward.k8s.io\r\n" in head
            assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
            codec = spdy.HeaderCodec()
            for sid, kind in ((1, "error"), (3, "data")):
                block = codec.encode({"streamtype": [kind], "port": ["80"], "requestid": ["0"]})
                writer.write(spdy.control_frame(spdy.SYN_STREAM, struct.pack(">IIBB", sid, 0, 0, 0) + block))
            writer.write(spdy.data_frame(3, REQUEST) + spdy.ping_frame(7))
            frames: list[spdy.Frame] = []
            async with asyncio.timeout(5):
                while not (frames and frames[-1] == spdy.DataFrame(1, spdy.FLAG_FIN, b"")):
                    frame = await spdy.read_frame(reader)
                    assert frame is not None
                    frames.append(frame)
            assert spdy.ControlFrame(spdy.PING, 0, struct.pack(">I", 7)) in frames
            data = b"".join(f.payload for f in frames if isinstance(f, spdy.DataFrame) and f.stream_id == 3)
            assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(BODY)
            assert spdy.DataFrame(3, spdy.FLAG_FIN, b"") in frames
        finally:
            writer.close()
