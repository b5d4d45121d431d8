"""Watch streams: one chunked HTTP response per watch, one JSON WatchEvent per line.

Each store ``Change`` caches its encoded line per view (plain JSON / Table / events.k8s.io), so a
change fanned out to many watchers is encoded once per view and every watcher writes the same bytes.
A watcher's pending changes go to its ``Inbox`` (a list and an Event, cheaper per change than an
``asyncio.Queue``); its writer drains the whole list each time it wakes and writes it in large chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from ktui.sandbox import registry, tables
from ktui.sandbox.errors import ApiError, bad_request
from ktui.sandbox.registry import ResourceType
from ktui.sandbox.selectors import FieldRequirement, LabelRequirement, fields_match, labels_match
from ktui.sandbox.store import Change, Store, encode

_CHUNK = 1 << 20  # bytes per write at most when a watcher has a backlog: big writes, bounded buffers
_SLICE = 0.02  # seconds a writer with a backlog renders before letting the other tasks run
_IDLE_CHECK = 1.0  # seconds between checks that an idle watcher's client is still there
HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-cache, private"}


class WatchFilter:
    """Which objects a watch sees: namespace, label and field selectors."""

    def __init__(self, namespace: str | None, labels: list[LabelRequirement], fields: list[FieldRequirement]):
        self.namespace, self.labels, self.fields = namespace, labels, fields
        self.trivial = not namespace and not labels and not fields

    def matches(self, obj: dict[str, Any] | None) -> bool:
        """Whether ``obj`` is in the watched set."""
        if obj is None:
            return False
        if self.trivial:
            return True
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return labels_match(self.labels, obj["metadata"].get("labels")) and fields_match(self.fields, obj)


class Inbox:
    """A watcher's pending changes (and the server's end markers: None = end, ``"abort"`` = cut)."""

    __slots__ = ("items", "ready")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.ready = asyncio.Event()

    def put_nowait(self, item: Any) -> None:
        """Add one item and wake the writer (the ``asyncio.Queue`` method the server's drop uses)."""
        self.items.append(item)
        self.ready.set()

    def take(self) -> list[Any]:
        """Everything pending, oldest first; the inbox is left empty."""
        items, self.items = self.items, []
        return items


def _metadata(obj: dict[str, Any], cache: dict[str, bytes] | None) -> Any:
    """``obj``'s metadata, pre-encoded once per change when a change is given: every view embeds it."""
    if cache is None:
        return obj["metadata"]
    data = cache.get("metadata")
    if data is None:
        data = cache["metadata"] = encode(obj["metadata"])
    return msgspec.Raw(data)


class Renderer:
    """Encodes watch event lines for one resource type and view."""

    def __init__(self, t: ResourceType, store: Store, table: bool) -> None:
        self.t, self.store, self.table = t, store, table
        self.view = ("table:" if table else "json:") + t.key
        self._keys = {typ: f"{self.view}:{typ}" for typ in ("ADDED", "MODIFIED", "DELETED")}
        self._columns = encode(tables.column_definitions(t.key))
        self._specs = store.specs

    def _object(self, obj: dict[str, Any], rv: int | str, cache: dict[str, bytes] | None) -> bytes:
        if self.t.storage:
            obj, cache = registry.event_to_v1(obj), None  # a converted copy: nothing to share
        meta = _metadata(obj, cache)
        if not self.table:
            return self._specs.encode(obj, meta)
        row = tables.row(self.t.key, obj, datetime.now(UTC))
        row["object"]["metadata"] = meta  # the same bytes the JSON view spliced in
        return b"".join(
            (
                b'{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"',
                str(rv).encode(),
                b'"},"columnDefinitions":',
                self._columns,
                b',"rows":',
                encode([row]),
                b"}",
            )
        )

    def line(self, type_: str, obj: dict[str, Any], change: Change | None = None) -> bytes:
        """One ``{"type":...,"object":...}\\n`` line (cached on the change when given)."""
        key = self._keys.get(type_) or f"{self.view}:{type_}"
        cache = change.cache if change is not None else None
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                return hit
        head = b'{"type":"' + type_.encode() + b'","object":'
        body = self._object(obj, obj["metadata"].get("resourceVersion", ""), cache)
        data = b"".join((head, body, b"}\n"))
        if cache is not None:
            cache[key] = data
        return data

    def bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        """A BOOKMARK event at ``rv``."""
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return (
            encode(
                {
                    "type": "BOOKMARK",
                    "object": {"kind": self.t.kind, "apiVersion": self.t.api_version, "metadata": meta},
                }
            )
            + b"\n"
        )


def error_line(err: ApiError) -> bytes:
    """An in-band ERROR event carrying a Status."""
    return encode({"type": "ERROR", "object": err.status()}) + b"\n"


def translate(change: Change, flt: WatchFilter) -> str | None:
    """The event type this watcher sees (selectors turn MODIFIED into ADDED/DELETED), or None."""
    if flt.trivial:
        return change.type
    now = flt.matches(change.obj)
    if change.type == "ADDED":
        return "ADDED" if now else None
    if change.type == "DELETED":
        return "DELETED" if now or flt.matches(change.old) else None
    before = flt.matches(change.old)
    if now and before:
        return "MODIFIED"
    if now:
        return "ADDED"
    return "DELETED" if before else None


async def _write_lines(resp: web.StreamResponse, lines: list[bytes]) -> None:
    """Write ``lines`` in chunks of about ``_CHUNK`` bytes, yielding between chunks (a long initial list)."""
    chunk: list[bytes] = []
    size = 0
    for data in lines:
        chunk.append(data)
        size += len(data)
        if size >= _CHUNK:
            await resp.write(b"".join(chunk))
            chunk, size = [], 0
            await asyncio.sleep(0)
    if chunk:
        await resp.write(b"".join(chunk))


async def serve(
    request: web.Request,
    *,
    t: ResourceType,
    store: Store,
    flt: WatchFilter,
    table: bool,
    register: Callable[[Any], Callable[[], None]],
    expire: bool,
    bookmark_interval: float,
    on_start: Callable[[], None],
) -> web.StreamResponse:
    """Serve one watch request until timeoutSeconds, a drop, or the client leaving."""
    q = request.query
    rv_text = q.get("resourceVersion", "")
    timeout: float | None = None
    try:
        if q.get("timeoutSeconds"):
            timeout = float(int(q["timeoutSeconds"]))
        start_rv = int(rv_text) if rv_text not in ("", "0") else None
    except ValueError:
        raise bad_request(f"invalid resource version or timeout: {rv_text!r}") from None
    bookmarks = q.get("allowWatchBookmarks", "").lower() in ("true", "1")
    initial_end = q.get("sendInitialEvents", "").lower() == "true" and bookmarks
    render = Renderer(t, store, table)
    inbox = Inbox()
    storage = t.storage_key
    ready = inbox.ready
    put = inbox.put_nowait

    def on_change(change: Change) -> None:
        if change.resource == storage:
            put(change)

    # subscribe and read the backlog in one synchronous step: no change can slip in between
    unsubscribe = store.watch_changes(on_change)
    unregister = register(inbox)
    head: list[bytes] = []
    closing = False
    try:
        if expire:
            head.append(
                error_line(
                    ApiError(
                        410, "Expired", f"too old resource version: {rv_text or 0} ({store.resource_version})"
                    )
                )
            )
            closing = True
        elif start_rv is None or initial_end:
            items, _ = store.list(t.key)
            head.extend(render.line("ADDED", o) for o in items if flt.matches(o))
            if initial_end:
                head.append(render.bookmark(store.resource_version, initial_end=True))
        else:
            try:
                for change in store.changes_since(start_rv):
                    if change.resource != storage:
                        continue  # the history holds every resource's changes
                    typ = translate(change, flt)
                    if typ:
                        head.append(render.line(typ, change.obj, change))
            except ApiError as err:
                head.append(error_line(err))
                closing = True
        last_rv = store.resource_version
        resp = web.StreamResponse(status=200, headers=HEADERS)
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        on_start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout is not None else None
        next_bookmark = loop.time() + bookmark_interval
        with contextlib.suppress(ConnectionError):
            await _write_lines(resp, head)
            del head
            while not closing:
                now = loop.time()
                if deadline is not None and now >= deadline:
                    break  # checked on every pass: a busy watch still ends at timeoutSeconds
                if not inbox.items:
                    wait = min(_IDLE_CHECK, next_bookmark - now)
                    if deadline is not None:
                        wait = min(wait, deadline - now)
                    if wait <= 0:
                        if bookmarks:
                            await resp.write(render.bookmark(last_rv))
                        next_bookmark = now + bookmark_interval
                        continue
                    ready.clear()
                    try:
                        async with asyncio.timeout(wait):
                            await ready.wait()
                    except TimeoutError:
                        if request.transport is None or request.transport.is_closing():
                            break
                        continue
                out: list[bytes] = []
                size = 0
                slice_end = loop.time() + _SLICE
                for item in inbox.take():
                    if not isinstance(item, Change):  # the server ends or cuts this watch
                        closing = True
                        if item == "abort" and request.transport is not None:
                            await _write_lines(resp, out)
                            request.transport.close()
                            return resp
                        break
                    last_rv = item.rv
                    typ = translate(item, flt)
                    if typ:
                        data = render.line(typ, item.obj, item)
                        out.append(data)
                        size += len(data)
                        if size >= _CHUNK:
                            await resp.write(b"".join(out))
                            out, size = [], 0
                            if loop.time() >= slice_end:
                                # a long backlog must not hold the loop: the others run, then more
                                await asyncio.sleep(0)
                                slice_end = loop.time() + _SLICE
                await _write_lines(resp, out)
            await resp.write_eof()
        return resp
    finally:
        unsubscribe()
        unregister()
