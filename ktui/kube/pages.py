"""One page read ahead of a paged LIST: page n+1 is fetched in a thread while page n is decoded.

A paged LIST is a chain (page n's continue token asks for page n+1), so fetching and decoding one
after the other leaves the server idle while the client decodes and the client idle while the
server serves. ``Prefetcher`` runs the fetches in its own thread, one page ahead and no further
(while page n is decoded, only page n+1 is being read or waits: one extra raw page in memory);
``decode.continue_token`` finds the token of a raw page without decoding its items, so the next
request can go out before the page is decoded. Also here: the lenient decode of a page the typed decoder
refused (``api`` re-exports it). 10k pods by 500 against a sandbox process: 347 -> 273 ms on a
quiet 2-core box, CPU unchanged; inside the TUI the process is CPU-bound and the server's time
was already spent on other threads' work, so the gain there is within noise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from ktui import decode
from ktui.kube.client import KubeError

if TYPE_CHECKING:
    from ktui.kube.api import Resource

CLOSE_WAIT = 1.0
"""Seconds ``close`` waits for the fetch thread (a read is cut at once; a request still waiting for
its response headers cannot be, and ends by itself when they arrive)."""


def drop_nulls(value: Any) -> Any:
    """The JSON value without null members, so record defaults apply (``"endpoints": null``)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value if v is not None]
    return value


def decode_object_lenient(kind: str, obj: Any) -> Any:
    """One object -> its record, tolerating nulls where the record expects a list or map."""
    try:
        return decode.decode_typed(kind, obj)
    except decode.DecodeError:
        return decode.decode_typed(kind, drop_nulls(obj))


def decode_list_lenient(resource: Resource, raw: bytes) -> tuple[list[Any], str, str | None]:
    """The slow path for a page the typed decoder refused: per item, nulls dropped."""
    try:
        doc = msgspec.json.decode(raw)
        meta = doc.get("metadata") or {}
        items = [decode_object_lenient(resource.kind, item) for item in doc.get("items") or ()]
    except (msgspec.DecodeError, decode.DecodeError, AttributeError) as exc:
        raise KubeError(f"list {resource.plural}: {exc}") from None
    return items, str(meta.get("resourceVersion", "")), meta.get("continue") or None


class Prefetcher:
    """Fetches the pages from ``token`` on in a daemon thread, at most one page ahead of ``take``.

    ``fetch(token)`` returns one raw page; the thread asks for the next page as soon as the
    previous one is taken, so one page is being read (or waits) while the caller decodes another.
    An error of ``fetch`` is raised by the ``take`` that would have returned its page, and ends
    the thread. ``interrupt`` unblocks a fetch in progress (``close`` calls it).
    """

    def __init__(self, fetch: Callable[[str], bytes], token: str,
                 interrupt: Callable[[], None] | None = None, *, name: str = "ktui-list-ahead") -> None:
        self.token: str | None = token
        """The continue token the page the next ``take`` returns was asked with (None: no more)."""
        self._fetch = fetch
        self._interrupt = interrupt
        self._cond = threading.Condition()
        self._slot: tuple[bytes, str | None] | BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(token,), name=name, daemon=True)
        self._thread.start()

    def _run(self, token: str | None) -> None:
        while token is not None:
            item: tuple[bytes, str | None] | BaseException
            try:
                raw = self._fetch(token)
                token = decode.continue_token(raw)
                item = (raw, token)
            except BaseException as exc:  # handed to the consumer's thread, raised there
                item, token = exc, None
            with self._cond:
                if self._closed:
                    return
                self._slot = item
                self._cond.notify_all()
                # One page ahead and no further: the next request waits until this page is taken.
                while self._slot is not None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return

    def _next_locked(self) -> tuple[bytes, str | None] | BaseException:
        while self._slot is None:
            if not self._thread.is_alive():  # cannot happen while the token chain goes on
                raise RuntimeError("the page fetch thread ended without a page")
            self._cond.wait(0.5)
        return self._slot

    def wait(self) -> None:
        """Block until the next page is read, without taking it (the request after it waits);
        raises what fetching it raised."""
        with self._cond:
            item = self._next_locked()
            if isinstance(item, BaseException):
                self._slot = None
                self._cond.notify_all()
        if isinstance(item, BaseException):
            self.token = None
            raise item

    def take(self) -> tuple[bytes, str | None]:
        """The next raw page and its continue token, letting the request after it go; raises what
        fetching it raised."""
        with self._cond:
            item = self._next_locked()
            self._slot = None
            self._cond.notify_all()
        if isinstance(item, BaseException):
            self.token = None
            raise item
        self.token = item[1]
        return item

    def close(self, timeout: float = CLOSE_WAIT) -> bool:
        """Stop fetching, cut a read in progress, drop a page not taken; True if the thread ended."""
        with self._cond:
            self._closed = True
            self._slot = None
            self._cond.notify_all()
        if self._interrupt is not None:
            self._interrupt()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """Whether the fetch thread still runs."""
        return self._thread.is_alive()
