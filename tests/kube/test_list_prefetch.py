"""Paged LIST with one page read ahead: same pages as a sequential listing, errors, close, abort."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ktui import decode
from ktui.kube import api, listing, pages
from ktui.kube.client import Connection, connect
from ktui.sandbox.generate import generate
from ktui.sandbox.runner import Sandbox
from tests.kube.kube_helpers import eventually

PODS = 2400
LIMIT = 150  # 16 pages
POD = api.RESOURCES["Pod"]


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    with Sandbox(scenario="empty", simulate=False) as sb:
        sb.call(generate, sb.store, PODS, 6)
        yield sb


@pytest.fixture()
def sb(big: Sandbox) -> Iterator[Sandbox]:
    big.faults.clear()
    yield big
    big.faults.clear()


def _ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ktui-list-")]


def _sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed between listdir and readlink
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def _sequential(conn: Connection, limit: int) -> list[tuple[list[Any], str, bool]]:
    """The listing one request after the other, as list_pages did before it read ahead."""
    out: list[tuple[list[Any], str, bool]] = []
    token: str | None = None
    while True:
        query: list[tuple[str, Any]] = [("limit", limit)] + ([("continue", token)] if token else [])
        records, rv, token = decode.decode_list("Pod", api.get_bytes(conn, POD.path(None), query))
        out.append((records, rv, bool(token)))
        if not token:
            return out


def _bump_and_compact(sb: Sandbox) -> None:
    """A write, then history forgotten: every continue token issued before it is now expired."""
    def bump() -> None:
        # One call on the loop: no page may be served between the write and the compaction.
        sb.store.create("configmaps", {"metadata": {"name": f"bump-{time.monotonic_ns()}"}},
                        namespace="default")
        sb.store.compact()

    sb.call(bump)


def _pod_lists(sb: Sandbox) -> list[Any]:
    """The audit entries of pod LIST requests, oldest first."""
    return [e for e in sb.audit.entries() if e.verb == "list" and e.resource == "pods"]


# ---- against a sandbox ---------------------------------------------------------------------------


def test_pages_are_those_of_a_sequential_listing(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    expected = _sequential(conn, LIMIT)
    seen: list[int] = []
    got = list(listing.list_pages(conn, POD, None, limit=LIMIT, before_decode=seen.append))
    assert len(got) == len(expected) == PODS // LIMIT
    assert got == expected  # same records, same resourceVersion, page by page, in order, the last last
    assert seen == list(range(len(got)))
    assert not _ahead_threads()  # the fetch thread ended with the last page
    items, rv = listing.list_all(conn, POD, None, limit=LIMIT)
    assert items == [rec for records, _, _ in expected for rec in records] and rv == expected[-1][1]


def test_a_small_first_page_then_full_pages_give_the_same_records(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    expected = [rec for records, _, _ in _sequential(conn, LIMIT) for rec in records]
    got = list(listing.list_pages(conn, POD, None, limit=LIMIT, first_limit=40))
    assert [len(records) for records, _, _ in got] == [40] + [LIMIT] * 15 + [PODS - 40 - 15 * LIMIT]
    assert [rec for records, _, _ in got for rec in records] == expected


def test_the_next_page_is_requested_before_this_one_is_decoded(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    sb.audit.clear()
    requested: list[int] = []

    def hold(page: int) -> None:
        # While page 1 waits to be decoded, page 2's request is already out (and served).
        if page == 0:
            eventually(lambda: len(_pod_lists(sb)) >= 2, 5)
        requested.append(len(_pod_lists(sb)))

    got = list(listing.list_pages(conn, POD, None, limit=LIMIT, before_decode=hold))
    assert requested[0] == 2
    # Later pages: read, but the request after each waits for the hook (the reflector holds the
    # list there until its first screen is shown), as it did without read-ahead.
    assert requested[1:] == [page + 1 for page in range(1, len(requested))]
    assert len(got) == PODS // LIMIT


def test_an_expired_continue_token_reaches_the_caller_and_list_all_starts_again(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    yielded = 0
    with pytest.raises(api.ApiStatusError) as err:
        for _records, _rv, _more in listing.list_pages(conn, POD, None, limit=LIMIT):
            yielded += 1
            if yielded == 1:
                _bump_and_compact(sb)
    assert err.value.code == 410 and "continue" in err.value.message
    assert 1 <= yielded <= 2  # the page already read ahead may still be handed over
    eventually(lambda: not _ahead_threads(), 2)

    # list_all: the history is forgotten while its pages are being fetched (each request slowed
    # down so that the compaction lands mid-list); it starts again and returns the whole list.
    sb.audit.clear()
    sb.faults.add_latency(0.03)
    result: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.update(out=listing.list_all(conn, POD, None, limit=LIMIT)))
    worker.start()
    eventually(lambda: any(e.code == 200 for e in _pod_lists(sb)), 5)
    _bump_and_compact(sb)
    worker.join(20)
    assert not worker.is_alive()
    items, _rv = result["out"]
    server = sb.call(lambda: sb.store.list("pods", None))[0]
    assert sorted(p.metadata.uid for p in items) == sorted(p["metadata"]["uid"] for p in server)
    codes = [(e.code, "continue=" in e.path) for e in _pod_lists(sb)]
    assert (410, True) in codes
    assert codes[codes.index((410, True)) + 1] == (200, False)  # a fresh list, not a retried page


def test_a_server_error_mid_list_is_raised_after_the_pages_before_it(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    yielded = 0
    with pytest.raises(api.ApiStatusError) as err:
        for _page in listing.list_pages(conn, POD, None, limit=LIMIT):
            yielded += 1
            sb.faults.fail_share(1.0)
    assert err.value.code == 500 and 1 <= yielded <= 2
    eventually(lambda: not _ahead_threads(), 2)


def test_closing_early_ends_the_fetch_thread_and_leaks_no_socket(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    list(listing.list_pages(conn, POD, None, limit=LIMIT))  # the pool holds its connection from here
    baseline = _sockets()
    it = listing.list_pages(conn, POD, None, limit=LIMIT)
    next(it)
    assert _ahead_threads()  # page 2 is on its way
    it.close()
    assert not _ahead_threads()  # close waited for it
    eventually(lambda: _sockets() <= baseline, 3)

    # Closed while the next page's request waits for the server: that request cannot be cut
    # before its headers arrive, but the thread ends as soon as they do, and reads nothing more.
    sb.faults.add_latency(0.3)
    it = listing.list_pages(conn, POD, None, limit=LIMIT)
    next(it)
    sb.audit.clear()
    it.close()
    assert not _ahead_threads()  # ended once the response came, without reading on
    assert len(_pod_lists(sb)) <= 1  # the request in flight at most, no further page asked
    eventually(lambda: _sockets() <= baseline, 3)


def test_abort_stops_the_listing_and_its_fetch_thread(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    ctl = api.Abortable()
    sb.faults.add_latency(0.05)
    got = 0
    t0 = time.monotonic()
    with pytest.raises((api.StreamDropped, api.Unreachable)):
        for _page in listing.list_pages(conn, POD, None, limit=LIMIT, ctl=ctl):
            got += 1
            if got == 2:
                threading.Timer(0.01, ctl.abort).start()
    assert got < PODS // LIMIT and time.monotonic() - t0 < 5
    assert ctl.stop.is_set()
    eventually(lambda: not _ahead_threads(), 2)
    assert not ctl._linked  # the listing's own abort handle was unlinked

    # Already stopped: the first request is not even made, as before.
    with pytest.raises(api.Unreachable, match="stopped"):
        next(listing.list_pages(conn, POD, None, limit=LIMIT, ctl=ctl))


# ---- pure: the token read and the read-ahead thread ----------------------------------------------


def test_continue_token_reads_the_head_and_falls_back_to_the_whole_body() -> None:
    items = b'[{"metadata":{"name":"a","annotations":{"x":"\\"items\\":"}}}]'
    assert decode.continue_token(b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5",'
                                b'"continue":"tok","remainingItemCount":3},"items":' + items + b"}") == "tok"
    assert decode.continue_token(b'{"metadata":{"resourceVersion":"5"},"items":[]}') is None
    assert decode.continue_token(b'{"metadata":{"continue":""},"items":[]}') is None
    # items before metadata: read whole
    assert decode.continue_token(b'{"items":' + items + b',"metadata":{"continue":"t2"}}') == "t2"
    assert decode.continue_token(b'{"metadata":null,"items":[]}') is None
    assert decode.continue_token(b'{"metadata":{"continue":null},"items":[]}') is None
    assert decode.continue_token(b"not json") is None
    assert decode.continue_token(b'{"kind":"Status","code":410}') is None


class _Pages:
    """Raw pages keyed by the token that asks for them; records every fetch."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n = n
        self.fail_at = fail_at
        self.fetched: list[str] = []
        self.gate = threading.Event()
        self.gate.set()

    def body(self, i: int) -> bytes:
        meta = f'"continue":"t{i + 1}"' if i + 1 < self.n else '"resourceVersion":"9"'
        return ('{"metadata":{' + meta + '},"items":[' + str(i) + "]}").encode()

    def fetch(self, token: str) -> bytes:
        i = int(token[1:])
        self.fetched.append(token)
        if not self.gate.wait(5):
            raise TimeoutError("gate")
        if i == self.fail_at:
            raise api.ApiStatusError(410, "Expired", "too old")
        return self.body(i)


def test_prefetcher_hands_pages_over_in_order_one_ahead_at_most() -> None:
    src = _Pages(6)
    ahead = pages.Prefetcher(src.fetch, "t1")
    taken = []
    for i in range(1, 6):
        eventually(lambda: len(src.fetched) >= i, 2)  # noqa: B023 (called at once)
        time.sleep(0.01)  # room for a second fetch, which must not happen
        assert len(src.fetched) == i
        assert ahead.token == f"t{i}"
        raw, token = ahead.take()
        taken.append(raw)
        assert token == (f"t{i + 1}" if i < 5 else None)
    assert taken == [src.body(i) for i in range(1, 6)] and ahead.token is None
    assert ahead.close() and not ahead.alive


def test_prefetcher_wait_leaves_the_page_and_the_next_request_alone() -> None:
    src = _Pages(4)
    ahead = pages.Prefetcher(src.fetch, "t1")
    ahead.wait()
    ahead.wait()
    time.sleep(0.02)  # room for a second fetch, which must not happen
    assert src.fetched == ["t1"]
    assert ahead.take()[0] == src.body(1)
    eventually(lambda: src.fetched == ["t1", "t2"], 2)
    assert ahead.close()


def test_prefetcher_raises_the_error_at_the_take_of_its_page_then_stops() -> None:
    src = _Pages(6, fail_at=3)
    ahead = pages.Prefetcher(src.fetch, "t1")
    assert ahead.take()[0] == src.body(1)
    assert ahead.take()[0] == src.body(2)
    with pytest.raises(api.ApiStatusError):
        ahead.wait()  # raised by the wait already, as a read failing before the hook
    eventually(lambda: not ahead.alive, 2)
    assert src.fetched == ["t1", "t2", "t3"]


def test_prefetcher_close_interrupts_a_blocked_fetch() -> None:
    src = _Pages(6)
    src.gate.clear()  # the fetch blocks like a read waiting for bytes
    ahead = pages.Prefetcher(src.fetch, "t1", interrupt=src.gate.set)
    eventually(lambda: src.fetched, 2)
    t0 = time.monotonic()
    assert ahead.close()
    assert time.monotonic() - t0 < 1 and src.fetched == ["t1"]
