"""One kind kept current: paged LIST, then WATCH from the list's resourceVersion, forever.

The loop follows client-go's reflector and kopf's ``continuous_watch``: list -> replace; watch with
bookmarks and a server-side timeout; re-watch from the last resourceVersion when the stream ends;
relist on 410 Gone (HTTP or an in-band ERROR event); back off while the server is unreachable;
retry forbidden kinds slowly; stop promptly through a ``threading.Event`` (the blocked read is
woken by shutting the socket down). Watch lines are decoded straight into slim records with a
typed msgspec decoder per kind, and handed to the sink one batch per network read. A pod's spec is
decoded only when its bytes changed (``pod_lines``). Pods are made to share their repeated parts
(``resources.compact``: with their last version, or equal parts of other pods), and a list runs with
the cyclic GC held off, its records frozen at the end (``collector``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

import msgspec

from ktui import decode
from ktui import resources as r
from ktui.kube import api, listing
from ktui.kube.client import Connection, KubeError
from ktui.kube.pod_lines import PodLines, PodWire
from ktui.resources import collector

log = logging.getLogger(__name__)

FIRST_PAGE = 100
"""The first sync's first page: a screenful of rows (~0.6 MB of pods, not 3 MB) is read and decoded
while the app still mounts, so the first frame can show it; the next pages are full-size."""

CONNECTING: Final = "connecting"
LIVE: Final = "live"
RECONNECTING: Final = "reconnecting"
UNREACHABLE: Final = "unreachable"
FORBIDDEN: Final = "forbidden"
ABSENT: Final = "absent"
"""States a reflector reports; ABSENT: the server does not serve this resource (404)."""


class Sink(Protocol):
    """Where a reflector delivers what it learns (the model's store adapter).

    A sink may also offer ``current(kind, uid) -> record | None`` (the record it holds now): watched
    pods then share their unchanged parts with their previous version.
    """

    def replace(self, kind: str, records: list[Any]) -> None:
        """The complete current set of a kind (after a list or relist)."""

    def apply(self, kind: str, events: list[tuple[str, Any]]) -> None:
        """Changes in order: (ADDED | MODIFIED | DELETED, record)."""

    def status(self, kind: str, state: str, message: str = "") -> None:
        """The reflector's state changed."""


class Backoff:
    """Exponential back-off with jitter, reset after a success."""

    def __init__(self, initial: float = 0.2, maximum: float = 15.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next(self) -> float:
        """The delay to wait now; doubles the next one."""
        delay = self._next * random.uniform(0.8, 1.2)
        self._next = min(self.maximum, self._next * 2)
        return delay

    def reset(self) -> None:
        """Start again from the initial delay."""
        self._next = self.initial


class _Expired(Exception):
    """The watch's resourceVersion is gone (410): relist."""


_GENERIC_KINDS = frozenset({"ConfigMap", "Secret"})  # values must be stripped by decode.py
_EVENT_TYPES: dict[str, Any] = {}


def watch_event_type(kind: str) -> Any:
    """The typed ``{type, object}`` struct for a kind's watch lines (object as its slim record)."""
    cached = _EVENT_TYPES.get(kind)
    if cached is None:
        obj_type: Any = dict[str, Any] if kind in _GENERIC_KINDS else r.KIND_TYPES[kind]
        cached = msgspec.defstruct(f"{kind}WatchEvent", [("type", str), ("object", obj_type)], gc=False)
        _EVENT_TYPES[kind] = cached
    return cached


class _ErrorEvent(msgspec.Struct, gc=False):
    object: api._Status = api._Status()


def _error_of(line: api.Line) -> api.ApiStatusError:
    try:
        st = msgspec.json.decode(line, type=_ErrorEvent).object
    except (msgspec.DecodeError, msgspec.ValidationError):
        return api.ApiStatusError(500, "InternalError", f"undecodable watch event: {bytes(line[:200])!r}")
    return api.ApiStatusError(st.code or 500, st.reason, st.message or "watch ERROR event")


def _slow_decode(kind: str, line: api.Line) -> tuple[str, Any]:
    """(type, record) for a line the typed decoder refused; (type, None) to skip it."""
    try:
        doc = msgspec.json.decode(line)
        etype = str(doc.get("type", ""))
        if etype == "ERROR":
            return etype, {}
        if etype not in ("ADDED", "MODIFIED", "DELETED"):
            return "", None
        return etype, api.decode_object_lenient(kind, doc.get("object"))
    except (msgspec.DecodeError, decode.DecodeError, AttributeError) as exc:
        log.warning("skipping an undecodable %s watch event: %s", kind, exc)
        return "", None


class Reflector:
    """Keeps one kind of one scope (a namespace or all) mirrored into a Sink, in its own thread."""

    def __init__(
        self, conn: Connection, kind: str, sink: Sink, *, namespace: str | None = None,
        label_selector: str | None = None, stop: threading.Event | None = None,
        watch_timeout: int = 240, read_timeout: float = 75.0, forbidden_retry: float = 30.0,
        page_size: int = api.PAGE_SIZE, first_page: int = FIRST_PAGE,
    ) -> None:
        self.conn = conn
        self.kind = kind
        self.resource = api.RESOURCES[kind]
        self.sink = sink
        self.namespace = namespace
        self.label_selector = label_selector
        self.ctl = api.Abortable(stop)
        self.watch_timeout = watch_timeout
        self.read_timeout = read_timeout
        self.forbidden_retry = forbidden_retry
        self.page_size = page_size
        self.first_page = min(first_page, page_size)
        """The first sync's first page (a relist pages at ``page_size`` throughout)."""
        self.resource_version: str | None = None
        self.state = CONNECTING
        self._message = ""
        self.relists = 0
        self.events = 0
        self._synced = False
        self._thread: threading.Thread | None = None
        self._after: threading.Event | None = None
        self._after_timeout = 0.0
        self._after_pages = 0
        self._pods = PodLines() if kind == "Pod" else None
        """Pod lines decode their spec only when it changed (``pod_lines``)."""

    def hold(self, after: threading.Event, timeout: float, *, pages: int = 0) -> None:
        """In the first list, after ``pages`` pages, wait until ``after`` is set or ``timeout`` passed.

        The feed lets the first page of the kind on its first screen be judged and shown before
        anything else is decoded: with the GIL shared, every other list (and the next pages)
        would otherwise take turns with it.
        """
        self._after, self._after_timeout, self._after_pages = after, timeout, pages

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> threading.Thread:
        """Run in a daemon thread named after the kind."""
        self._thread = threading.Thread(target=self.run, name=f"ktui-reflector-{self.kind}", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Ask the loop to end and unblock its read (does not wait)."""
        self.ctl.abort()

    def join(self, timeout: float) -> bool:
        """Wait up to timeout seconds for the thread; True if it ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        """Whether stop was requested."""
        return self.ctl.stop.is_set()

    def _set_state(self, state: str, message: str = "") -> None:
        if state != self.state or message != self._message:
            self.state = state
            self._message = message
            self.sink.status(self.kind, state, message)

    # ---- the loop --------------------------------------------------------------------------------

    def run(self) -> None:
        """List, then watch, until stopped; never raises."""
        backoff = Backoff()
        wait = self.ctl.stop.wait
        if self._after is not None and self._after_pages == 0:
            self._after.wait(self._after_timeout)
        while not self.stopped:
            try:
                if self.resource_version is None:
                    self._list()
                    backoff.reset()
                if self._watch():
                    backoff.reset()
                else:  # ended at once with nothing: do not spin against a server that does that
                    wait(backoff.next())
            except _Expired:
                self.resource_version = None
                self.relists += 1
            except api.ApiStatusError as exc:
                if self.stopped:
                    return
                if exc.code == 404 and self.resource_version is None:
                    self._set_state(ABSENT, exc.message)
                    if self.kind != "Pod":
                        return  # a kind this server does not serve (an older version, a CRD)
                    # Every API server serves pods: another HTTP server answers at this address
                    # (a wrong port, a proxy) for now; the user is told, and it is asked again.
                    wait(self.forbidden_retry * random.uniform(0.9, 1.1))
                    continue
                if exc.code == 410:
                    self.resource_version = None
                    self.relists += 1
                    continue
                if exc.code == 403:
                    self._set_state(FORBIDDEN, exc.message)
                    self.resource_version = None
                    wait(self.forbidden_retry * random.uniform(0.9, 1.1))
                    continue
                self._set_state(RECONNECTING if self._synced else CONNECTING, exc.message)
                wait(backoff.next())
            except api.Unreachable as exc:
                if self.stopped:
                    return
                self._set_state(UNREACHABLE, exc.message)
                wait(backoff.next())
            except api.StreamDropped as exc:
                if self.stopped:
                    return
                if exc.idle:  # nothing for read_timeout seconds: a quiet re-watch, not an outage
                    continue
                self._set_state(RECONNECTING, exc.message)
                wait(backoff.next())
            except KubeError as exc:  # undecodable list and the like: report, retry slowly
                if self.stopped:
                    return
                self._set_state(RECONNECTING if self._synced else CONNECTING, exc.message)
                wait(backoff.next())
            except Exception as exc:  # a bug must not kill the thread silently
                log.exception("reflector %s", self.kind)
                self._set_state(RECONNECTING, f"{type(exc).__name__}: {exc}")
                wait(backoff.next())

    def _list(self) -> None:
        # The whole list is long-lived: no collector passes over it while it arrives, then freeze it.
        if self._pods is not None:
            self._pods.clear()  # the list's records replace those the watch made
        with collector.paused():
            self._list_pages()

    def _list_pages(self) -> None:
        items: list[Any] = []
        rv = ""
        first = not self._synced
        after = self._after if first and self._after_pages else None

        def pace(page: int) -> None:
            # The next page is fetched (the server works meanwhile), decoded once let through.
            if after is not None and page == self._after_pages:
                after.wait(self._after_timeout)

        for records, page_rv, more in listing.list_pages(
            self.conn, self.resource, self.namespace, label_selector=self.label_selector,
            limit=self.page_size, ctl=self.ctl, before_decode=pace if after is not None else None,
            first_limit=self.first_page if first else None,
        ):
            items.extend(records)
            rv = page_rv
            if first and records and more:
                # First sync: show each page at once (a screenful before the whole list arrives);
                # the last one comes with the list's end (``replace``), so no snapshot holds every
                # record yet says the kind is still listing (a whole pass and paint for nothing).
                self.sink.apply(self.kind, [("ADDED", rec) for rec in records])
        if self.stopped:
            return
        self.sink.replace(self.kind, items)
        self.resource_version = rv
        self._synced = True
        self._set_state(LIVE)

    def _watch(self) -> bool:
        """One watch request until it ends; False if it ended at once without a line."""
        if not self.conn.wait_settled(self.ctl.stop):
            return True  # stopped while the first lists were still coming in
        started = time.monotonic()
        events = self.events
        rv = self.resource_version
        timeout = self.watch_timeout + random.randint(0, self.watch_timeout // 4)
        query: list[tuple[str, Any]] = [
            ("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", timeout),
            ("resourceVersion", self.resource_version or ""),
        ]
        if self.label_selector:
            query.append(("labelSelector", self.label_selector))
        resp = api.open_stream(self.conn, self.resource.path(self.namespace), query,
                               read_timeout=self.read_timeout, ctl=self.ctl)
        clean = False
        try:
            if self.state != LIVE:
                self._set_state(LIVE)
            self._consume(resp)
            clean = True
        finally:
            self.ctl.attach(None)
            api.finish(resp, reusable=clean)
        return (self.events != events or self.resource_version != rv
                or time.monotonic() - started > 1.0)

    def _consume(self, resp: Any) -> None:
        """The hot path: lines -> typed events -> one sink.apply per read."""
        kind = self.kind
        generic = kind in _GENERIC_KINDS
        pods = self._pods
        decode_line: Callable[[api.Line], Any] = (pods.decode if pods is not None
                       else msgspec.json.Decoder(watch_event_type(kind), strict=False).decode)
        apply = self.sink.apply
        stop = self.ctl.stop
        current = getattr(self.sink, "current", None)
        rv = self.resource_version
        try:
            for lines in api.iter_line_batches(resp, stop):
                batch: list[tuple[str, Any]] = []
                try:
                    for line in lines:
                        if not line:
                            continue
                        try:
                            ev = decode_line(line)
                            etype = ev.type
                            obj = ev.object
                        except (msgspec.ValidationError, msgspec.DecodeError):
                            # An ERROR's Status does not fit the kind's record; anything else odd
                            # goes through the lenient decoder, or is skipped.
                            etype, obj = _slow_decode(kind, line)
                            if obj is None:
                                continue
                        if etype == "ERROR":
                            raise _error_of(line)
                        if generic:
                            meta = obj.get("metadata") or {}
                            if etype == "BOOKMARK":
                                rv = meta.get("resourceVersion") or rv
                                continue
                            obj = decode.decode_typed(kind, obj)
                        elif etype == "BOOKMARK":
                            rv = obj.metadata.resource_version or rv
                            continue
                        if etype in ("ADDED", "MODIFIED", "DELETED"):
                            rv = obj.metadata.resource_version or rv
                            if pods is not None:
                                obj = self._pod(pods, etype, obj, line, current)
                                if obj is None:
                                    continue
                            elif etype != "DELETED":
                                obj = decode.compact_object(kind, obj)
                            batch.append((etype, obj))
                finally:
                    if batch:
                        self.events += len(batch)
                        apply(kind, batch)
        except api.ApiStatusError as exc:
            if exc.code == 410:
                raise _Expired(exc.message) from None
            raise
        finally:
            self.resource_version = rv

    def _pod(self, pods: PodLines, etype: str, wire: Any, line: api.Line, current: Any) -> r.Pod | None:
        """The record of a pod event; a kept pod shares its unchanged parts with its last version."""
        uid = wire.metadata.uid
        last = None
        if etype == "DELETED":
            pods.forget(uid)
        elif current is not None and uid:
            last = current("Pod", uid)
        mark = None
        if isinstance(wire, PodWire):
            try:
                pod, mark = pods.record(wire, last)
            except (msgspec.ValidationError, msgspec.DecodeError):
                _, pod = _slow_decode("Pod", line)  # the spec did not fit the record
                if pod is None:
                    return None
        else:
            pod = wire  # already a Pod (the lenient decoder's)
        if etype == "DELETED":
            return pod  # type: ignore[no-any-return]
        # Pods share their repeated parts with their last version or those seen before (~2 KB a pod, not ~8).
        pod = decode.compact_pod(pod, last)
        if mark is not None:
            pods.held(pod, mark)
        return pod  # type: ignore[no-any-return]
