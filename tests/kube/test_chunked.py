"""The chunked-body reader: pure decoding at every boundary, then over real sockets and the real client."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator

import msgspec
import pytest
import urllib3

from ktui.kube import api, chunked
from ktui.kube.chunked import ChunkError, Dechunker
from ktui.kube.client import connect
from ktui.sandbox.runner import Sandbox


def _encode(pieces: list[bytes], *, ext: bool = False, lf_only: bool = False, trailers: bytes = b"") -> bytes:
    nl = b"\n" if lf_only else b"\r\n"
    out = b""
    for p in pieces:
        out += b"%x" % len(p) + (b";name=value" if ext else b"") + nl + p + b"\r\n"
    return out + b"0" + nl + trailers + nl


def _dechunk(body: bytes, cuts: list[int]) -> tuple[bytes, Dechunker]:
    d = Dechunker()
    out = b""
    last = 0
    for cut in [*cuts, len(body)]:
        out += d.feed(body[last:cut])
        last = cut
    return out, d


def test_every_split_point_gives_the_payload() -> None:
    pieces = [b'{"a":1}\n{"b"', b':2}\n', b"x" * 300, b"\n"]
    payload = b"".join(pieces)
    for kw in ({}, {"ext": True}, {"lf_only": True}, {"trailers": b"X-Trailer: 1\r\n"}):
        body = _encode(pieces, **kw)  # type: ignore[arg-type]
        for cut in range(len(body) + 1):
            out, d = _dechunk(body, [cut])
            assert out == payload, (kw, cut)
            assert d.done and d.end()


def test_random_reads_of_many_chunks() -> None:
    rng = random.Random(5)
    pieces = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 700))) for _ in range(200)]
    body = _encode(pieces)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(body)), 40))
        out, d = _dechunk(body, cuts)
        assert out == b"".join(pieces) and d.done


def test_bytes_after_the_last_chunk_are_not_payload() -> None:
    out, d = _dechunk(_encode([b"abc"]) + b"HTTP/1.1 200 OK\r\n", [])
    assert out == b"abc" and d.done


def test_end_of_stream_inside_or_between_chunks_is_incomplete() -> None:
    body = _encode([b"hello", b"world"])
    inside = Dechunker()
    assert inside.feed(body[:4]) == b"h" and inside.mid_chunk and not inside.end()
    between = Dechunker()
    assert between.feed(body[:12]) == b"hello" and not between.mid_chunk and not between.end()
    # the last chunk seen but no final CRLF: accepted, as urllib3 does
    lenient = Dechunker()
    assert lenient.feed(body[:-2]) == b"helloworld" and lenient.end()


def test_bad_size_lines_raise() -> None:
    with pytest.raises(ChunkError):
        Dechunker().feed(b"zz\r\nabc\r\n")
    with pytest.raises(ChunkError):
        Dechunker().feed(b"-5\r\n")
    with pytest.raises(ChunkError):
        Dechunker().feed(b"1" * 5000)


class _Reads:
    """A socket file that hands out ``pieces`` one read each and notes how much each read asked for."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)
        self.asked: list[int] = []

    def read1(self, n: int) -> bytes:
        self.asked.append(n)
        piece = self.pieces.pop(0) if self.pieces else b""
        assert len(piece) <= n
        return piece


class _Response:
    class _fp:  # urllib3's name for the http.client response
        @staticmethod
        def close() -> None:
            """Nothing to release."""


def test_reads_ask_little_while_quiet_and_grow_while_busy() -> None:
    quiet = _encode([b"x" * 1000])  # a quiet watch: a small event, cut in two reads
    reads = _Reads([quiet[:40], quiet[40:]])
    assert b"".join(chunked.iter_body(_Response(), reads)) == b"x" * 1000
    assert reads.asked == [chunked.MIN_BLOCK] * 2
    busy = _encode([b"y" * (4 << 20)])  # a list page: each read gets all it asks for
    pieces: list[bytes] = []
    size = chunked.MIN_BLOCK
    while busy:
        pieces.append(busy[:size])
        busy = busy[size:]
        size = min(chunked.BLOCK, 2 * size)
    reads = _Reads(pieces)
    assert b"".join(chunked.iter_body(_Response(), reads)) == b"y" * (4 << 20)
    assert reads.asked[:3] == [chunked.MIN_BLOCK, 2 * chunked.MIN_BLOCK, 4 * chunked.MIN_BLOCK]
    assert max(reads.asked) == chunked.BLOCK


class _RawServer:
    """One-shot HTTP responders on 127.0.0.1: each connection gets the next script of (bytes, pause)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.scripts: list[list[tuple[bytes, float]]] = []
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while self.scripts:
                if not conn.recv(65536):
                    return
                for data, pause in self.scripts.pop(0):
                    if data == b"<close>":
                        return
                    conn.sendall(data)
                    if pause:
                        time.sleep(pause)  # a separate TCP segment: the reader sees a cut read

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def raw() -> Iterator[_RawServer]:
    server = _RawServer()
    yield server
    server.close()


_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


def _get(pool: urllib3.PoolManager, port: int, timeout: float = 5.0) -> urllib3.HTTPResponse:
    resp = pool.request("GET", f"http://127.0.0.1:{port}/", preload_content=False,
                        timeout=urllib3.Timeout(connect=2, read=timeout))
    assert isinstance(resp, urllib3.HTTPResponse)
    return resp


def _lines(pool: urllib3.PoolManager, port: int, timeout: float = 5.0) -> list[bytes]:
    resp = _get(pool, port, timeout)
    assert chunked.raw_body(resp) is not None  # the block reader, not urllib3's read_chunked
    out: list[bytes] = []
    ok = False
    try:
        for batch in api.iter_line_batches(resp):
            out.extend(batch)
        ok = True
    finally:
        api.finish(resp, reusable=ok)
    return out


def test_lines_cut_anywhere_across_reads_and_the_connection_is_reused(raw: _RawServer) -> None:
    body = _encode([b'{"n":1}\n{"n"', b':2}\n{"n":3', b"}\n", b'{"n":4}'])
    cuts = [0, 3, 30, 31, 47, len(body) - 3]
    script = [(_HEAD, 0.0)] + [(body[a:b], 0.01) for a, b in zip(cuts, [*cuts[1:], len(body)], strict=True)]
    raw.scripts = [script, [(_HEAD + _encode([b"again\n"]), 0.0)]]
    pool = urllib3.PoolManager()
    assert _lines(pool, raw.port) == [b'{"n":1}', b'{"n":2}', b'{"n":3}', b'{"n":4}']
    assert _lines(pool, raw.port) == [b"again"]
    assert raw.connections == 1  # read to its end: the pool kept the connection


def test_a_cut_stream_is_dropped_not_ended(raw: _RawServer) -> None:
    raw.scripts = [[(_HEAD + b"20\r\n" + b'{"n":1}\n', 0.01), (b"<close>", 0.0)]]
    with pytest.raises(api.StreamDropped) as info:
        _lines(urllib3.PoolManager(), raw.port)
    assert not info.value.idle and "inside a chunk" in str(info.value)


def test_garbage_framing_is_dropped(raw: _RawServer) -> None:
    raw.scripts = [[(_HEAD + b"7\r\n{\"n\":1}\r\nnot-hex\r\n", 0.0), (b"<close>", 0.0)]]
    with pytest.raises(api.StreamDropped, match="invalid chunk size"):
        _lines(urllib3.PoolManager(), raw.port)


def test_a_silent_stream_times_out_as_idle(raw: _RawServer) -> None:
    raw.scripts = [[(_HEAD + b"8\r\n{\"n\":1}\n\r\n", 1.0)]]
    with pytest.raises(api.StreamDropped) as info:
        _lines(urllib3.PoolManager(), raw.port, timeout=0.2)
    assert info.value.idle


def test_a_gzip_body_goes_through_urllib3(raw: _RawServer) -> None:
    import gzip
    data = gzip.compress(b'{"n":1}\n{"n":2}\n')
    head = _HEAD.replace(b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n")
    raw.scripts = [[(head + _encode([data[:10], data[10:]]), 0.0)]]
    resp = _get(urllib3.PoolManager(), raw.port)
    assert chunked.raw_body(resp) is None
    assert [line for batch in api.iter_line_batches(resp) for line in batch] == [b'{"n":1}', b'{"n":2}']


def test_the_kubernetes_client_watch_takes_the_block_reader() -> None:
    with Sandbox(scenario="seed", speed=20.0) as sb:
        items, _ = sb.call(lambda: sb.store.list("pods", "default"))
        conn = connect(str(sb.kubeconfig))
        resp = api.open_stream(conn, "/api/v1/namespaces/default/pods",
                               [("watch", "true"), ("timeoutSeconds", 1)], read_timeout=5)
        try:
            assert chunked.raw_body(resp) is not None
            events = [msgspec.json.decode(line) for batch in api.iter_line_batches(resp) for line in batch]
        finally:
            api.finish(resp, reusable=True)
        added = {e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"}
        assert added >= {o["metadata"]["name"] for o in items} and items
