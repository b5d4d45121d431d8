"""Paged LISTs: pages read one ahead (``pages.Prefetcher``), decoded slim, from the server or from
the helper that read a prelisted start's first lists (``prelist``)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from ktui import decode
from ktui.kube import allocator, pages
from ktui.kube.api import PAGE_SIZE, Abortable, ApiStatusError, Resource, Unreachable, get_bytes
from ktui.kube.client import Connection
from ktui.kube.pages import decode_list_lenient


def list_pages(
    conn: Connection, resource: Resource, namespace: str | None = None, *,
    label_selector: str | None = None, limit: int = PAGE_SIZE, ctl: Abortable | None = None,
    before_decode: Callable[[int], None] | None = None, first_limit: int | None = None,
) -> Generator[tuple[list[Any], str, bool], None, None]:
    """Paged LIST (limit + continue): yields (records, resourceVersion, more pages follow) per page,
    decoded slim.

    Page n+1 is requested and read in a thread while page n is decoded (``pages.Prefetcher``).
    ``before_decode(n)`` is called with the number of pages already yielded, once the next page's
    body is read and before it is decoded (a caller may wait there). ``ctl.abort()`` cuts the read
    in progress, whichever thread does it; closing the generator ends the fetch thread.
    ``first_limit`` sizes the first page alone (a screenful, read and decoded sooner).
    """
    allocator.map_big_buffers()  # pages freed after decoding go back to the system (see there)
    path = resource.path(namespace)
    # The first lists of a prelisted start were read by a helper process: its pages, in order, as
    # long as it has them (``None``: ask the server from there on, with the page's continue token).
    stream = _claim_prelisted(conn, resource.kind, namespace, label_selector, limit, first_limit)

    def query(token: str | None) -> list[tuple[str, Any]]:
        return list_query(limit, first_limit, label_selector, token)

    def read(token: str | None, reader: Abortable | None) -> bytes:
        if stream is not None and (raw := stream.next_page(reader.stop if reader else None)) is not None:
            return raw
        return get_bytes(conn, path, query(token), ctl=reader)

    def ahead(token: str) -> pages.Prefetcher:
        mine = Abortable()
        if ctl is not None:
            ctl.link(mine)

        def fetch(tok: str) -> bytes:
            if ctl is not None and ctl.stop.is_set():
                raise Unreachable("stopped")  # as open_stream says it to a stopped ctl
            return read(tok, mine)

        def interrupt() -> None:
            mine.abort()
            if ctl is not None:
                ctl.unlink(mine)

        return pages.Prefetcher(fetch, token, interrupt, name=f"ktui-list-{resource.plural}")

    fetcher: pages.Prefetcher | None = None
    try:
        raw = read(None, ctl)
        if first := decode.continue_token(raw):
            fetcher = ahead(first)
        if before_decode is not None:
            before_decode(0)
        done = 0
        while True:
            try:
                records, rv, token = decode.decode_list(resource.kind, raw)
            except decode.DecodeError:
                records, rv, token = decode_list_lenient(resource, raw)
            done += 1
            yield records, rv, bool(token)
            if not token:
                return
            if fetcher is None or fetcher.token != token:
                # The quick token read disagreed with the full decode: fetch what the decode says
                # (from the server: the helper's next page followed the quick read).
                if fetcher is not None:
                    fetcher.close()
                if stream is not None:
                    stream.close()
                    stream = None
                fetcher = ahead(token)
            fetcher.wait()  # the page is read: the hook runs where it ran without read-ahead
            if before_decode is not None:
                before_decode(done)
            # Taken only now: a caller holding the list in its hook holds the next request too.
            raw, _ = fetcher.take()
    finally:
        if fetcher is not None:
            fetcher.close()
        if stream is not None:
            stream.close()


def list_query(limit: int, first_limit: int | None, label_selector: str | None,
               token: str | None) -> list[tuple[str, Any]]:
    """A paged LIST's query: ``first_limit`` sizes the first page alone, ``limit`` the others."""
    q: list[tuple[str, Any]] = [("limit", limit if token or not first_limit else first_limit)]
    if label_selector:
        q.append(("labelSelector", label_selector))
    if token:
        q.append(("continue", token))
    return q


def _claim_prelisted(conn: Connection, kind: str, namespace: str | None, label_selector: str | None,
                     limit: int, first_limit: int | None) -> Any:
    """The helper's page stream for this very list, once (a relist, or another query, asks the server)."""
    prelisted = conn.prelisted
    if prelisted is None:
        return None
    return prelisted.claim(kind, path_query=(namespace, label_selector, limit, first_limit))


def list_all(
    conn: Connection, resource: Resource, namespace: str | None = None, *,
    label_selector: str | None = None, limit: int = PAGE_SIZE, ctl: Abortable | None = None,
) -> tuple[list[Any], str]:
    """Every object of a kind and the list's resourceVersion; restarts if a continue token expires."""
    for attempt in range(3):
        items: list[Any] = []
        rv = ""
        try:
            for records, page_rv, _more in list_pages(conn, resource, namespace,
                                               label_selector=label_selector, limit=limit, ctl=ctl):
                items.extend(records)
                rv = page_rv
            return items, rv
        except ApiStatusError as exc:
            # 410 on a continue token: the snapshot the pages came from is gone; start again.
            if exc.code != 410 or attempt == 2:
                raise
    raise AssertionError("unreachable")
