"""HTTP/1.1 chunked transfer coding undone over large reads (RFC 9112 section 7.1).

urllib3's ``read_chunked`` costs a ``readline`` for each size line, a read per chunk and a generator
hop per chunk; on a busy watch (one chunk per server flush, ~6 KB per pod) that was several
microseconds per event. ``Dechunker`` instead takes whatever one socket read returned (up to
``BLOCK`` bytes, any number of chunks, boundaries anywhere) and hands back its payload in one piece.
It is as lenient as urllib3 on what it accepts (chunk extensions, a bare LF after the size, a
missing final CRLF at end of stream) and raises ``ChunkError`` where urllib3 raises a protocol error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Final

BLOCK: Final = 1 << 18
"""The most bytes asked of one socket read: a storm's backlog arrives in few reads."""
MIN_BLOCK: Final = 1 << 14
"""The fewest: what a quiet watch asks for while it waits (one pod event is ~7 KB)."""
MAX_LINE: Final = 4096
"""A size or trailer line longer than this is not HTTP (urllib3 uses the same bound)."""


class ChunkError(ValueError):
    """The body is not valid chunked coding (bad size line, overlong line, cut short)."""


class Dechunker:
    """Incremental decoder: ``feed(block)`` -> the payload it completes; ``done`` after the last chunk."""

    __slots__ = ("_left", "_line", "_skip", "_trailers", "done")

    def __init__(self) -> None:
        self._left = 0  # payload bytes still due in the current chunk
        self._skip = 0  # bytes of the CRLF that ends the current chunk still to skip
        self._line = b""  # a size or trailer line cut by a read boundary
        self._trailers = False  # the last (0-size) chunk was seen: trailer lines until an empty one
        self.done = False

    @property
    def mid_chunk(self) -> bool:
        """Whether the stream is inside a chunk (an end of stream here truncates a payload)."""
        return self._left > 0

    def feed(self, data: bytes) -> bytes:
        """The payload carried by ``data``, the next bytes of the body; bytes after the end are ignored."""
        if self._line:
            data = self._line + data  # only after a size line was cut: a rare copy
            self._line = b""
        view = memoryview(data)
        out: list[memoryview] = []
        pos, n = 0, len(data)
        while pos < n and not self.done:
            if self._left:
                end = pos + self._left
                if end >= n:
                    out.append(view[pos:])
                    self._left = end - n
                    if not self._left:
                        self._skip = 2
                    break
                out.append(view[pos:end])
                pos, self._left, self._skip = end, 0, 2
                continue
            if self._skip:
                # The CRLF after a payload is skipped unread, as urllib3 does.
                take = min(self._skip, n - pos)
                pos += take
                self._skip -= take
                continue
            nl = data.find(b"\n", pos)
            if nl < 0:
                if n - pos > MAX_LINE:
                    raise ChunkError("chunk size line too long")
                self._line = data[pos:]
                break
            if nl - pos > MAX_LINE:
                raise ChunkError("chunk size line too long")
            line = data[pos:nl]
            pos = nl + 1
            if self._trailers:
                if not line.strip():
                    self.done = True
                continue
            self._left = _size(line)
            if not self._left:
                self._trailers = True
        if len(out) == 1:
            return out[0].tobytes()
        return b"".join(out)

    def end(self) -> bool:
        """At end of stream: True if the body was complete (the last chunk seen, trailers or not)."""
        return self.done or (self._trailers and not self._line.strip())


def _size(line: bytes) -> int:
    try:
        size = int(line.split(b";", 1)[0], 16)  # int() ignores the CR and surrounding blanks
    except ValueError:
        raise ChunkError(f"invalid chunk size line {line[:40]!r}") from None
    if size < 0:
        raise ChunkError(f"invalid chunk size line {line[:40]!r}")
    return size


def raw_body(resp: Any) -> Any:
    """The socket file under a urllib3 response's chunked, unencoded, unread body; None otherwise."""
    if not resp.chunked or resp.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return None
    inner = getattr(resp, "_fp", None)  # http.client.HTTPResponse: headers parsed, body untouched
    raw = getattr(inner, "fp", None)
    if raw is None or getattr(inner, "chunk_left", None) is not None or not hasattr(raw, "read1"):
        return None
    return raw


def iter_body(resp: Any, raw: Any, stop: threading.Event | None = None) -> Iterator[bytes]:
    """What urllib3's ``read_chunked`` yields, one socket read (up to ``BLOCK`` bytes) at a time.

    Socket errors and timeouts pass through; ``ChunkError`` for bad framing or a body cut short.
    Ends quietly when ``stop`` is set (also when ``abort`` shut the socket down under the read).
    """
    dechunk = Dechunker()
    read1 = raw.read1
    size = MIN_BLOCK
    while True:
        block = read1(size)
        # The next read asks for twice what this one got. A read allocates all it asks for before it
        # waits: a quiet watch waits on 16 KB, not 256 KB (the 17 watches of an idle feed held 4.4 MB
        # that way), while a busy stream, a list or a storm, reaches BLOCK within a few reads.
        size = min(BLOCK, max(MIN_BLOCK, 2 * len(block)))
        if not block:
            if stop is not None and stop.is_set():
                return
            if not dechunk.end():
                raise ChunkError("the response ended " + ("inside a chunk" if dechunk.mid_chunk
                                                          else "before its last chunk"))
            break
        data = dechunk.feed(block)
        if data:
            yield data
        if dechunk.done:
            break
        if stop is not None and stop.is_set():
            return
    # Read to its end, as read_chunked does: closing the http.client response lets the pool reuse
    # the connection.
    resp._fp.close()
