"""SPDY/3.1 framing, header compression and the port-forward session, driven frame by frame."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from test_portforward_support import DialError, poll

from ktui.sandbox.portforward import spdy
from ktui.sandbox.portforward.spdy_dictionary import SPDY3_DICTIONARY
from ktui.sandbox.portforward.spdy_session import SpdySession

REFUSED = b"error forwarding port 81 to pod abc, uid u: connect: connection refused"

# ---- pure framing ---------------------------------------------------------------------------------


def test_frame_bytes_match_the_wire_examples() -> None:
    assert spdy.ping_frame(1) == bytes.fromhex("80030006 00000004 00000001")
    assert spdy.data_frame(3, fin=True) == bytes.fromhex("00000003 01000000")
    assert spdy.rst_stream_frame(3, spdy.CANCEL) == bytes.fromhex("80030003 00000008 00000003 00000005")
    assert spdy.goaway_frame(7) == bytes.fromhex("80030007 00000008 00000007 00000000")
    assert spdy.data_frame(5, b"hi") == bytes.fromhex("00000005 00000002 6869")


def test_dictionary_is_the_spdy3_one() -> None:
    assert len(SPDY3_DICTIONARY) == 1423
    assert zlib.adler32(SPDY3_DICTIONARY) == 0xE3C6A7C2
    assert SPDY3_DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert SPDY3_DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


def test_header_blocks_share_one_zlib_stream_per_direction() -> None:
    sender, receiver = spdy.HeaderCodec(), spdy.HeaderCodec()
    first = sender.encode({"streamType": ["error"], "port": ["80"], "requestID": ["0"]})
    # zlib header with FDICT set and the dictionary's Adler-32 as DICTID, as Go's reader checks.
    assert first[1] & 0x20 and struct.unpack(">I", first[2:6])[0] == 0xE3C6A7C2
    assert receiver.decode(first) == {"streamtype": ["error"], "port": ["80"], "requestid": ["0"]}
    headers = {"streamtype": ["data"], "port": ["80"], "requestid": ["0"], "x": ["a", "b"]}
    second = sender.encode(headers)
    assert len(second) < len(first)  # compressed against the history of the first block
    assert receiver.decode(second) == headers
    with pytest.raises(spdy.ProtocolError):
        spdy.HeaderCodec().decode(second)  # a block only decodes with the stream's history


async def test_read_frame_ends_cleanly_or_complains() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(spdy.ping_frame(9) + spdy.data_frame(1, b"abc", fin=True))
    reader.feed_eof()
    assert await spdy.read_frame(reader) == spdy.ControlFrame(spdy.PING, 0, b"\x00\x00\x00\x09")
    frame = await spdy.read_frame(reader)
    assert isinstance(frame, spdy.DataFrame) and frame.fin and frame.payload == b"abc"
    assert await spdy.read_frame(reader) is None
    for broken in (spdy.ping_frame(1)[:5], spdy.ping_frame(1)[:10], b"\x80\x02\x00\x06\x00\x00\x00\x00"):
        reader = asyncio.StreamReader()
        reader.feed_data(broken)
        reader.feed_eof()
        with pytest.raises(spdy.ProtocolError):
            await spdy.read_frame(reader)


# ---- the session, with a hand-driven client -----------------------------------------------------


@dataclass
class Echo:
    """An echo server on 127.0.0.1 counting its open connections."""

    port: int = 0
    open: int = 0
    server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        try:
            while data := await reader.read(65536):
                if data == b"bye\n":
                    break
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            self.open -= 1


@dataclass
class Client:
    """The kubectl side: writes frames into the session, reads what it sends back."""

    codec: spdy.HeaderCodec = field(default_factory=spdy.HeaderCodec)
    to_server: asyncio.StreamReader = field(default_factory=asyncio.StreamReader)
    from_server: asyncio.StreamReader = field(default_factory=asyncio.StreamReader)
    dials: list[int] = field(default_factory=list)

    async def write(self, data: bytes) -> None:
        self.from_server.feed_data(data)

    def syn(self, sid: int, **headers: str) -> None:
        block = self.codec.encode({k: [v] for k, v in headers.items()})
        payload = struct.pack(">IIBB", sid, 0, 0, 0) + block
        self.to_server.feed_data(spdy.control_frame(spdy.SYN_STREAM, payload))

    def pair(self, error_id: int, data_id: int, port: int, request: str) -> None:
        self.syn(error_id, streamtype="error", port=str(port), requestid=request)
        self.syn(data_id, streamtype="data", port=str(port), requestid=request)

    def send(self, frame: bytes) -> None:
        self.to_server.feed_data(frame)

    async def frame(self) -> spdy.Frame | None:
        async with asyncio.timeout(5):
            return await spdy.read_frame(self.from_server)

    async def expect_reply(self, sid: int) -> None:
        frame = await self.frame()
        assert isinstance(frame, spdy.ControlFrame) and frame.type == spdy.SYN_REPLY, frame
        assert struct.unpack(">I", frame.payload[:4])[0] == sid
        assert self.codec.decode(frame.payload[4:]) == {}

    async def expect_data(self, sid: int, payload: bytes = b"", *, fin: bool = False) -> None:
        assert await self.frame() == spdy.DataFrame(sid, spdy.FLAG_FIN if fin else 0, payload)


def rst(stream_id: int, status: int) -> spdy.ControlFrame:
    """The RST_STREAM frame the session should send."""
    return spdy.ControlFrame(spdy.RST_STREAM, 0, struct.pack(">II", stream_id, status))


@contextlib.asynccontextmanager
async def session(*, stream_timeout: float = 30.0) -> AsyncIterator[tuple[Client, Echo, asyncio.Task[None]]]:
    echo = Echo()
    echo.server = await asyncio.start_server(echo.serve, "127.0.0.1", 0)
    echo.port = echo.server.sockets[0].getsockname()[1]
    client = Client()

    async def dial(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        client.dials.append(port)
        if port != 80:
            raise DialError(REFUSED.decode().replace("81", str(port)))
        return await asyncio.open_connection("127.0.0.1", echo.port)

    served = SpdySession(client.to_server, client.write, dial, stream_timeout=stream_timeout)
    task = asyncio.create_task(served.run())
    try:
        yield client, echo, task
        client.to_server.feed_eof()
        async with asyncio.timeout(5):
            await task
        await poll(lambda: echo.open == 0, what="backend connections to close")
    finally:
        task.cancel()
        echo.server.close()
        await echo.server.wait_closed()


async def test_pair_forwards_both_ways_then_fins_both_streams() -> None:
    async with session() as (client, _echo, _):
        client.pair(1, 3, 80, "0")
        await client.expect_reply(1)
        await client.expect_reply(3)
        client.send(spdy.data_frame(1, fin=True))  # kubectl closes its side of the error stream at once
        client.send(spdy.data_frame(3, b"hello\n"))
        await client.expect_data(3, b"hello\n")
        client.send(spdy.data_frame(3, b"bye\n"))  # the echo server closes: backend EOF
        await client.expect_data(3, fin=True)
        await client.expect_data(1, fin=True)
        client.send(spdy.rst_stream_frame(3, spdy.CANCEL))
        assert client.dials == [80]


async def test_ping_is_echoed_and_goaway_refuses_new_streams() -> None:
    async with session() as (client, _, _):
        client.send(spdy.ping_frame(1))
        assert await client.frame() == spdy.ControlFrame(spdy.PING, 0, struct.pack(">I", 1))
        client.send(spdy.ping_frame(2))  # even: an answer to a ping we never sent, so ignored
        client.send(spdy.control_frame(spdy.SETTINGS, b"\x00\x00\x00\x00"))
        client.send(spdy.control_frame(spdy.WINDOW_UPDATE, struct.pack(">II", 1, 100)))
        client.send(spdy.ping_frame(3))
        assert await client.frame() == spdy.ControlFrame(spdy.PING, 0, struct.pack(">I", 3))
        client.send(spdy.goaway_frame(0))
        client.syn(1, streamtype="error", port="80", requestid="0")
        assert await client.frame() == rst(1, spdy.REFUSED_STREAM)


async def test_reset_mid_transfer_closes_the_backend() -> None:
    async with session() as (client, echo, _):
        client.pair(1, 3, 80, "0")
        await client.expect_reply(1)
        await client.expect_reply(3)
        client.send(spdy.data_frame(3, b"ping\n"))
        await client.expect_data(3, b"ping\n")
        assert echo.open == 1
        client.send(spdy.rst_stream_frame(3, spdy.CANCEL))
        await poll(lambda: echo.open == 0, what="the backend connection to close")
        await client.expect_data(1, fin=True)  # the error stream still gets its FIN; the reset one nothing


async def test_errors_go_on_the_error_stream() -> None:
    async with session(stream_timeout=0.2) as (client, _, _):
        client.pair(1, 3, 81, "0")  # nothing listens on 81
        await client.expect_reply(1)
        await client.expect_reply(3)
        await client.expect_data(1, REFUSED)
        await client.expect_data(3, fin=True)
        await client.expect_data(1, fin=True)
        client.pair(5, 7, 0, "1")
        await client.expect_reply(5)
        await client.expect_reply(7)
        await client.expect_data(5, b'port "0" must be > 0')
        await client.expect_data(7, fin=True)
        await client.expect_data(5, fin=True)
        client.syn(9, streamtype="error", port="80", requestid="2")  # its data stream never comes
        await client.expect_reply(9)
        await client.expect_data(9, b"(request=2) timed out waiting for streams")
        await client.expect_data(9, fin=True)
        assert client.dials == [81]


async def test_streams_without_requestid_pair_by_id() -> None:
    async with session() as (client, _, _):
        client.syn(1, streamtype="error", port="80")
        client.syn(3, streamtype="data", port="80")
        await client.expect_reply(1)
        await client.expect_reply(3)
        client.send(spdy.data_frame(3, b"old client\n"))
        await client.expect_data(3, b"old client\n")


async def test_bad_stream_ids_are_reset_and_bad_frames_end_the_session() -> None:
    async with session() as (client, echo, task):
        client.syn(2, streamtype="error", port="80", requestid="0")  # even ids belong to the server
        assert await client.frame() == rst(2, spdy.PROTOCOL_ERROR)
        client.pair(1, 3, 80, "0")
        await client.expect_reply(1)
        await client.expect_reply(3)
        client.send(spdy.data_frame(3, b"x"))
        await client.expect_data(3, b"x")
        client.send(b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01")  # a SPDY/2 PING
        assert await client.frame() == spdy.ControlFrame(spdy.GOAWAY, 0, struct.pack(">II", 3, 1))
        async with asyncio.timeout(5):
            await task  # the session ends, closing its backend connection
        await poll(lambda: echo.open == 0, what="the backend to close")
