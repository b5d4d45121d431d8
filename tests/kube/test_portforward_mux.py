"""The SPDY/3.1 port-forward client: framing, the tunnel over a socket pair, and sessions end to end.

End to end runs against the sandbox's real endpoint (it serves both the SPDY tunnel and v4), and
against a small loopback server that refuses the tunnel the ways an older apiserver does, to see
the session fall back to v4.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from websocket import ABNF

from ktui.kube import portforward_mux as spdy_mux
from ktui.kube import spdy_client as spdy
from ktui.kube.client import connect
from ktui.kube.portforward import PortForwardSession
from ktui.kube.portforward_mux import SpdyTunnel
from ktui.kube.portforward_stream import parse_frames
from ktui.probes.http import http_get
from ktui.sandbox.portforward import spdy as sandbox_spdy
from ktui.sandbox.portforward.handler import handle_portforward
from ktui.sandbox.runner import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "probes"))
from probe_helpers import ECHO_PORT, FakeAgent, FakeCluster, http_handler


async def echo_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo every byte; close after the client's EOF (a real socket, so half-close works)."""
    while data := await reader.read(1 << 16):
        writer.write(data)
        await writer.drain()
    writer.close()


@dataclass
class EchoAgent(FakeAgent):
    """The probes' agent, with pod port 7 a real echo socket (the in-process pipe cannot half-close)."""

    echo_port: int = 0

    async def dial(self, namespace: str, pod: str, port: int) -> Any:
        if port == ECHO_PORT:
            self.dials.append((pod, port))
            return await asyncio.open_connection("127.0.0.1", self.echo_port)
        return await super().dial(namespace, pod, port)


@pytest.fixture()
def fake_cluster() -> Iterator[FakeCluster]:
    """An API-only sandbox with pod ``running``; its node agent serves HTTP on 80 and echoes on 7."""
    sb = Sandbox(scenario="empty", simulate=False).start()
    try:
        async def setup() -> tuple[asyncio.AbstractServer, asyncio.AbstractServer, FakeAgent]:
            server = await asyncio.start_server(http_handler, "127.0.0.1", 0)
            echo = await asyncio.start_server(echo_handler, "127.0.0.1", 0)
            agent = EchoAgent(server.sockets[0].getsockname()[1], echo_port=echo.sockets[0].getsockname()[1])
            sb.server.node_agent = agent
            return server, echo, agent

        started: tuple[Any, Any, FakeAgent] = sb.call(setup)  # type: ignore[assignment]
        server, echo, agent = started
        cluster = FakeCluster(sb, connect(str(sb.kubeconfig)), agent)
        cluster.add_pod("running")
        yield cluster
        sb.call(server.close)  # on the sandbox's loop: asyncio servers are not thread-safe
        sb.call(echo.close)
        cluster.conn.close()
    finally:
        sb.stop()

# ------------------------------------------------------------------------------------ framing


def test_header_blocks_interoperate_with_the_sandbox_codec() -> None:
    ours, theirs = spdy.HeaderCodec(), sandbox_spdy.HeaderCodec()
    for i in range(3):  # one zlib history per direction: later blocks depend on earlier ones
        block = ours.encode({"streamtype": "data", "port": "80", "requestid": str(i)})
        assert theirs.decode(block) == {"streamtype": ["data"], "port": ["80"], "requestid": [str(i)]}
        assert ours.decode(theirs.encode({"x-reply": [str(i)]})) == {"x-reply": str(i)}
    # a block decoded out of order breaks the shared history, as it would on the wire
    fresh = spdy.HeaderCodec()
    with pytest.raises(spdy.ProtocolError):
        fresh.decode(theirs.encode({"a": ["b"]})[8:])


def test_frame_bytes_match_the_protocol_examples() -> None:
    assert spdy.ping_frame(1) == bytes.fromhex("800300060000000400000001")
    assert spdy.data_frames(3, fin=True) == bytes.fromhex("0000000301000000")
    assert spdy.rst_frame(3) == bytes.fromhex("80030003000000080000000300000005")


def test_data_is_split_into_frames_and_parsed_incrementally() -> None:
    payload = bytes(range(256)) * 300  # 76,800 bytes: three frames of at most 32 KiB
    wire = spdy.data_frames(5, payload, fin=True) + spdy.ping_frame(7)
    buf = bytearray(wire[:40_000])
    first = spdy.parse_frames(buf)
    assert [(f.control, f.kind, len(f.payload)) for f in first] == [(False, 5, spdy.MAX_DATA)]
    buf += wire[40_000:]
    rest = spdy.parse_frames(buf)
    assert not buf
    assert [f.flags for f in rest] == [0, spdy.FLAG_FIN, 0]
    assert b"".join(f.payload for f in [*first, *rest[:2]]) == payload
    assert rest[2] == spdy.Frame(True, spdy.PING, 0, struct.pack(">I", 7))


# ------------------------------------------------------------------------------------ the tunnel


def server_message(payload: bytes, opcode: int = ABNF.OPCODE_BINARY) -> bytes:
    """A WebSocket frame as a server sends it (unmasked, payload < 126 bytes or 16-bit length)."""
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([n]) if n < 126 else bytes([126]) + struct.pack("!H", n))
    return head + payload


class FakeWs:
    """What SpdyTunnel takes from websocket-client: the connected socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


def client_spdy(theirs: socket.socket) -> bytearray:
    """The SPDY byte stream the tunnel sent so far (messages unmasked and joined)."""
    theirs.settimeout(2)
    data = bytearray(theirs.recv(1 << 16))
    return bytearray(b"".join(p for op, _, p in parse_frames(data) if op == ABNF.OPCODE_BINARY))


@pytest.fixture()
def tunnel() -> Iterator[tuple[SpdyTunnel, socket.socket]]:
    ours, theirs = socket.socketpair()
    yield SpdyTunnel(FakeWs(ours), "web"), theirs
    ours.close()
    theirs.close()


def test_a_pair_is_announced_like_kubectl_and_routed_both_ways(tunnel: Any) -> None:
    tun, theirs = tunnel
    stream = tun.open_pair(8080)
    server = sandbox_spdy.HeaderCodec()
    frames = spdy.parse_frames(client_spdy(theirs))
    syn_error, fin_error, syn_data = frames

    def headers(frame: spdy.Frame) -> dict[str, list[str]]:
        syn = sandbox_spdy.ControlFrame(frame.kind, frame.flags, frame.payload)
        return server.decode_syn_stream(syn).headers

    assert headers(syn_error) == {"streamtype": ["error"], "port": ["8080"], "requestid": ["0"]}
    assert (fin_error.control, fin_error.kind, fin_error.flags) == (False, 1, spdy.FLAG_FIN)
    assert headers(syn_data) == {"streamtype": ["data"], "port": ["8080"], "requestid": ["0"]}
    # replies, data, an error text and both FINs, split across WebSocket messages at odd places
    wire = (sandbox_spdy.syn_reply_frame(3, server.encode({})) + sandbox_spdy.data_frame(3, b"hello")
            + sandbox_spdy.data_frame(1, b"boom") + sandbox_spdy.data_frame(3, fin=True))
    theirs.sendall(server_message(wire[:5]) + server_message(wire[5:19]) + server_message(wire[19:]))
    touched = set()
    while not stream.data_fin:
        touched |= tun.read()
    assert touched == {stream} and stream.replied
    assert bytes(stream.to_client) == b"hello" and stream.error == "boom"
    assert not stream.ended  # client-go waits for the error stream's end too
    theirs.sendall(server_message(sandbox_spdy.data_frame(1, fin=True)))
    while not stream.error_fin:
        tun.read()
    assert stream.ended
    # a proof ping went out after the first reply; the server's own pings are echoed
    sent = spdy.parse_frames(client_spdy(theirs))
    assert sent == [spdy.Frame(True, spdy.PING, 0, struct.pack(">I", 1))]
    theirs.sendall(server_message(spdy.ping_frame(1) + spdy.ping_frame(2)))
    while not tun.proven:
        tun.read()
    assert spdy.parse_frames(client_spdy(theirs)) == [spdy.Frame(True, spdy.PING, 0, struct.pack(">I", 2))]


def test_periodic_pings_go_out_when_due_and_their_echoes_are_not_echoed(tunnel: Any) -> None:
    tun, theirs = tunnel
    tun.ping_if_due(tun.born + 1.0)  # not due yet
    tun.ping_if_due(tun.born + spdy_mux.PING_PERIOD)
    sent = spdy.parse_frames(client_spdy(theirs))
    assert sent == [spdy.Frame(True, spdy.PING, 0, struct.pack(">I", 3))]
    assert tun.next_ping == tun.born + 2 * spdy_mux.PING_PERIOD
    theirs.sendall(server_message(spdy.ping_frame(3)))  # the server's echo of ours
    tun.read()
    theirs.setblocking(False)
    with pytest.raises(BlockingIOError):
        theirs.recv(100)  # nothing answers an echo: no ping-pong loop
    assert not tun.ended


def test_websocket_pings_reset_and_close(tunnel: Any) -> None:
    tun, theirs = tunnel
    stream = tun.open_pair(80)
    client_spdy(theirs)
    theirs.sendall(server_message(b"hi", ABNF.OPCODE_PING) + server_message(spdy.rst_frame(3)))
    touched = tun.read()
    assert touched == {stream} and stream.reset and stream.ended
    data = bytearray(theirs.recv(4096))
    assert parse_frames(data) == [(ABNF.OPCODE_PONG, True, b"hi")]
    stream.close()  # already reset by the server: no RST back, and it leaves the routing table
    assert not tun.streams
    theirs.sendall(server_message(b"\x03\xe8", ABNF.OPCODE_CLOSE))
    tun.read()
    assert tun.ended and not tun.usable


# ------------------------------------------------------------------------------------ sessions


def wait_until(pred: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


def test_one_tunnel_carries_every_connection(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 80) as session:
        assert session.wait_ready(5.0)
        outcome = http_get(session, count=5)
        assert session._mode == "spdy" and len(session._tunnels) == 1
    assert [a.status for a in outcome.attempts] == [200] * 5
    assert "Welcome to nginx!" in outcome.first_bytes


def test_concurrent_connections_share_the_tunnel_without_crosstalk(fake_cluster: FakeCluster) -> None:
    results: dict[int, bytes] = {}

    def echo(i: int, session: PortForwardSession) -> None:
        payload = bytes([i]) * (200_000 + i)  # several DATA frames each, interleaved on one tunnel
        with socket.create_connection(("127.0.0.1", session.local_port), timeout=10) as sock:
            sender = threading.Thread(target=sock.sendall, args=(payload,))
            sender.start()
            got = bytearray()
            while len(got) < len(payload) and (chunk := sock.recv(1 << 16)):
                got += chunk
            sender.join(10)
        results[i] = bytes(got)

    with PortForwardSession(fake_cluster.conn, "default", "running", ECHO_PORT) as session:
        threads = [threading.Thread(target=echo, args=(i, session)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert len(session._tunnels) == 1 and session.dead is None
    assert {i: (len(v), set(v)) for i, v in results.items()} == {i: (200_000 + i, {i}) for i in range(6)}


def test_local_half_close_still_gets_the_whole_answer(fake_cluster: FakeCluster) -> None:
    request = b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"
    with PortForwardSession(fake_cluster.conn, "default", "running", 80) as session:
        with socket.create_connection(("127.0.0.1", session.local_port), timeout=5) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)  # v4 would end the connection here and lose the answer
            got = bytearray()
            while chunk := sock.recv(1 << 16):
                got += chunk
            peer = sock.getsockname()[1]
        rec = session.record_for(peer)
    assert got.startswith(b"HTTP/1.1 200 OK") and b"Welcome to nginx!" in got
    assert rec is not None and rec.sent == len(request) and rec.received == len(got) and rec.error is None


def test_half_close_after_a_large_upload_gets_every_byte_back(fake_cluster: FakeCluster) -> None:
    payload = bytes(range(256)) * 12_000  # 3 MB: past the relay's high-water mark both ways
    with PortForwardSession(fake_cluster.conn, "default", "running", ECHO_PORT) as session, \
            socket.create_connection(("127.0.0.1", session.local_port), timeout=10) as sock:
        def upload() -> None:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=upload)
        sender.start()
        got = bytearray()
        while chunk := sock.recv(1 << 16):  # to EOF: the pod's close after our FIN ends it
            got += chunk
        sender.join(10)
    assert bytes(got) == payload


def test_a_lost_tunnel_is_reopened(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 80) as session:
        assert http_get(session, count=1).status_code == 200
        first = session._tunnel
        assert first is not None
        first.sock.shutdown(socket.SHUT_RDWR)  # the connection to the apiserver drops
        # (a connection spliced before the loop sees the loss fails, as on a lost v4 WebSocket)
        assert wait_until(lambda: first not in session._tunnels)
        outcome = http_get(session, count=2)  # sooner than the spares' back-off: asked for at once
        assert session.dead is None and session._tunnel is not None and session._tunnel is not first
    assert [a.status for a in outcome.attempts] == [200, 200]


# ------------------------------------------------------------------------------------ fallback


class OldApiserver:
    """A loopback API server whose portforward refuses the SPDY tunnel; v4 is served for real."""

    def __init__(self, refusal: str) -> None:
        self.refusal = refusal
        self.offers: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(5)

    async def _start(self) -> int:
        self.backend = await asyncio.start_server(http_handler, "127.0.0.1", 0)
        app = web.Application()
        app.router.add_get("/api/v1/namespaces/{ns}/pods/{pod}/portforward", self._portforward)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _dial(self, port: int) -> Any:
        return await asyncio.open_connection("127.0.0.1", self.backend.sockets[0].getsockname()[1])

    async def _portforward(self, request: web.Request) -> web.StreamResponse:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        self.offers.append(offered)
        if spdy.TUNNEL_PROTOCOL in offered:
            if self.refusal == "400":  # a kubelet that knows only the channel protocols
                status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 400,
                          "message": "unable to upgrade: unable to negotiate protocol"}
                return web.Response(status=400, body=json.dumps(status), content_type="application/json")
            ws = web.WebSocketResponse()  # 101 without the subprotocol
            await ws.prepare(request)
            await ws.receive()
            return ws
        return await handle_portforward(request, self._dial)

    def kubeconfig(self, path: Path) -> str:
        path.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: old\n"
            f"clusters: [{{name: old, cluster: {{server: 'http://127.0.0.1:{self.port}'}}}}]\n"
            "users: [{name: old, user: {}}]\n"
            "contexts: [{name: old, context: {cluster: old, user: old, namespace: default}}]\n")
        return str(path)

    def stop(self) -> None:
        async def stop() -> None:
            self.backend.close()
            await self.runner.cleanup()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.mark.parametrize("refusal", ["400", "101-without-subprotocol"])
def test_a_server_refusing_the_tunnel_gets_v4(refusal: str, tmp_path: Path) -> None:
    server = OldApiserver(refusal)
    conn = connect(server.kubeconfig(tmp_path / "kubeconfig"))
    try:
        with PortForwardSession(conn, "default", "web", 80) as session:
            assert session.wait_ready(5.0)
            outcome = http_get(session, count=3)
            assert session._mode == "v4" and session.dead is None
        assert [a.status for a in outcome.attempts] == [200, 200, 200]
        assert "Welcome to nginx!" in outcome.first_bytes
        # the tunnel was asked for once, first; every later upgrade was v4
        assert server.offers[0] == spdy.TUNNEL_PROTOCOL
        assert server.offers[1:] and all(o == "v4.channel.k8s.io" for o in server.offers[1:])
        # no spares: the first connection itself waits through the refusal and the v4 upgrade
        server.offers.clear()
        with PortForwardSession(conn, "default", "web", 80, spares=0) as session:
            assert http_get(session, count=1).status_code == 200
        assert server.offers == [spdy.TUNNEL_PROTOCOL, "v4.channel.k8s.io"]
    finally:
        conn.close()
        server.stop()
