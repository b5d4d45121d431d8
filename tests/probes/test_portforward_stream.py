"""The v4 channel wire side on its own: frame parsing and a WsStream over a socket pair."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from websocket import ABNF

from ktui.kube.portforward_stream import WsStream, parse_frames


def server_frame(payload: bytes, opcode: int = ABNF.OPCODE_BINARY, fin: bool = True) -> bytes:
    """A frame as a server sends it (unmasked)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


class FakeWs:
    """What WsStream takes from websocket-client: the connected socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


@pytest.fixture()
def pair() -> Any:
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_parse_frames_all_lengths_masked_and_partial() -> None:
    big = b"x" * 70_000
    masked = ABNF.create_frame(b"\x00hello", ABNF.OPCODE_BINARY).format()  # a client's (masked) frame
    data = server_frame(b"a") + server_frame(b"b" * 300) + server_frame(big) + masked
    buf = bytearray(data + server_frame(b"tail")[:3])  # the last frame is incomplete
    frames = parse_frames(buf)
    assert [(op, fin, len(p)) for op, fin, p in frames] == [(2, True, 1), (2, True, 300), (2, True, 70_000),
                                                           (2, True, 6)]
    assert frames[3][2] == b"\x00hello"
    assert bytes(buf) == server_frame(b"tail")[:3]  # kept for the next read
    assert parse_frames(bytearray(b"\x82")) == []


def test_stream_routes_channels_answers_ping_and_joins_fragments(pair: Any) -> None:
    ours, theirs = pair
    stream = WsStream(FakeWs(ours), "web", 80)
    theirs.sendall(server_frame(b"\x00\x50\x00") + server_frame(b"\x01\x50\x00")  # port announcements
                   + server_frame(b"\x00HTTP/1.1 ", fin=False)
                   + server_frame(b"200 OK", ABNF.OPCODE_CONT)
                   + server_frame(b"are you there", ABNF.OPCODE_PING))
    stream.read()
    assert bytes(stream.to_client) == b"HTTP/1.1 200 OK"
    assert stream.announced == [True, True] and not stream.ended
    theirs.settimeout(2)
    pong = parse_frames(bytearray(theirs.recv(4096)))
    assert pong == [(ABNF.OPCODE_PONG, True, b"are you there")]

    stream.send_data(b"GET / HTTP/1.1\r\n\r\n")
    sent = parse_frames(bytearray(theirs.recv(4096)))
    assert sent == [(ABNF.OPCODE_BINARY, True, b"\x00GET / HTTP/1.1\r\n\r\n")]

    theirs.sendall(server_frame(b"\x01dial tcp4 127.0.0.1:80: connect: connection refused")
                   + server_frame(b"\x03\xe8", ABNF.OPCODE_CLOSE))
    stream.read()
    assert stream.error.endswith("connection refused") and stream.ended
    assert parse_frames(bytearray(theirs.recv(4096))) == [(ABNF.OPCODE_CLOSE, True, b"\x03\xe8")]


def test_stream_sees_the_server_vanish(pair: Any) -> None:
    ours, theirs = pair
    stream = WsStream(FakeWs(ours), "web", 80)
    theirs.close()
    stream.read()
    assert stream.ended
    stream.close()
    assert ours.fileno() == -1
