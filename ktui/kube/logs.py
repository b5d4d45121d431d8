"""Container logs: one fetch, or a follow stream delivered as batches of lines.

Both read the raw body (no models). Errors carry the server's own words from its Status body, e.g.
``container "web" in pod "backoff" is waiting to start: trying and failing to pull image``, which
is exactly what the UI should say when there are no logs. ``follow_logs`` honours ``stop`` within
a quarter second even while the server is silent: a small watcher shuts the socket down, because a
read timeout cannot be used for that (a timed-out socket file cannot be read again).
"""

from __future__ import annotations

import codecs
import math
import threading
from collections.abc import Iterator
from typing import Any

from ktui.kube import api
from ktui.kube.client import Connection

FOLLOW_IDLE = 300.0
"""Seconds of silence after which a follow stream is reopened (a dead connection cannot hang)."""


HEADER_WAIT = 0.4
"""Seconds to wait for a follow response's headers before asking again (so stop is prompt)."""


def _log_query(container: str | None, *, previous: bool = False, tail_lines: int | None = None,
               timestamps: bool = False, follow: bool = False, since_seconds: int | None = None,
               limit_bytes: int | None = None) -> list[tuple[str, Any]]:
    query: list[tuple[str, Any]] = []
    if container:
        query.append(("container", container))
    if follow:
        query.append(("follow", "true"))
    if previous:
        query.append(("previous", "true"))
    if since_seconds is not None:
        query.append(("sinceSeconds", max(1, since_seconds)))
    elif tail_lines is not None:
        query.append(("tailLines", max(0, tail_lines)))
    if timestamps:
        query.append(("timestamps", "true"))
    if limit_bytes is not None:
        query.append(("limitBytes", limit_bytes))
    return query


def _path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/log"


def fetch_logs(conn: Connection, namespace: str, pod: str, container: str | None, *,
               previous: bool = False, tail_lines: int | None = None, timestamps: bool = False,
               limit_bytes: int | None = None) -> str:
    """The container's log (or its previous run's); KubeError with the server's message."""
    raw = api.get_bytes(conn, _path(namespace, pod),
                        _log_query(container, previous=previous, tail_lines=tail_lines,
                                   timestamps=timestamps, limit_bytes=limit_bytes),
                        accept="*/*", read_timeout=60.0)
    return raw.decode("utf-8", "replace")


class _Splitter:
    """Bytes in, complete text lines out; UTF-8 sequences cut between reads are kept whole."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def feed(self, chunk: bytes) -> list[str]:
        text = self._decoder.decode(chunk)
        if "\n" not in text:
            self._pending += text
            return []
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        return lines

    def flush(self) -> list[str]:
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return [rest] if rest else []


def _watch_stop(stop: threading.Event, ctl: api.Abortable, done: threading.Event) -> None:
    while not done.is_set():
        if stop.wait(0.25):
            ctl.abort()
            return


def follow_logs(conn: Connection, namespace: str, pod: str, container: str | None, *,
                tail_lines: int | None, timestamps: bool, stop: threading.Event,
                idle_timeout: float = FOLLOW_IDLE) -> Iterator[list[str]]:
    """Batches of new lines (one per network read) until stop is set or the stream ends."""
    ctl = api.Abortable()
    done = threading.Event()
    watcher = threading.Thread(target=_watch_stop, args=(stop, ctl, done), daemon=True,
                               name="ktui-logs-stop")
    watcher.start()
    query = _log_query(container, follow=True, tail_lines=tail_lines, timestamps=timestamps)
    try:
        while not (stop.is_set() or ctl.stop.is_set()):
            try:
                # A short wait for the headers: until they come there is no socket to abort, and
                # some servers send them only with the first log line.
                resp = api.open_stream(conn, _path(namespace, pod), query, accept="*/*",
                                       read_timeout=HEADER_WAIT, ctl=ctl)
            except api.StreamDropped:
                continue
            api.set_read_timeout(resp, idle_timeout)
            splitter = _Splitter()
            clean = False
            try:
                for chunk in api.iter_chunks(resp, ctl.stop):
                    lines = splitter.feed(chunk)
                    if lines:
                        yield lines
                clean = True
            except api.StreamDropped as exc:
                if not exc.idle:
                    raise
            finally:
                ctl.attach(None)
                api.finish(resp, reusable=clean)
            rest = splitter.flush()
            if rest and not stop.is_set():
                yield rest
            if clean:
                return  # the server ended the stream: the container stopped
            # Silent for idle_timeout seconds: reopen from exactly then, so nothing repeats.
            query = _log_query(container, follow=True, timestamps=timestamps,
                               since_seconds=math.floor(idle_timeout))
    finally:
        done.set()
