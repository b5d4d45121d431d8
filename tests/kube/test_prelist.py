"""The first lists read by a helper process: ktui's start through it, and the parent's side of the pipe.

The start itself (a real fork) runs in its own process (``prelist_driver``): a fork needs a process
without other threads, and this one runs sandboxes in threads. The parent's side is driven here by
frames the test writes itself (a helper that fails, refuses or floods), over a real pipe, with the
fallback requests going to a real sandbox.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui import decode
from ktui.kube import api, listing, prelist
from ktui.kube.client import Connection, connect
from ktui.kube.reflector import FIRST_PAGE
from ktui.sandbox.generate import generate
from ktui.sandbox.runner import Sandbox

PODS = 1300  # a first page of 100, then 3 pages of 500 at most
POD = api.RESOURCES["Pod"]
DRIVER = Path(__file__).with_name("prelist_driver.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    with Sandbox(scenario="empty", simulate=False) as sb:
        sb.call(generate, sb.store, PODS, 4)
        yield sb


def _driver(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(DRIVER), *args], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def _line(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else "no output"
    return dict(json.loads(line))


# ---- ktui's start through a real helper -----------------------------------------------------------


def test_start_lists_through_the_helper_then_watches(big: Sandbox) -> None:
    proc = _driver("start", str(big.kubeconfig), str(PODS))
    try:
        synced = _line(proc)
        assert synced == {"ev": "synced", "pods": PODS, "prelisted": True, "kubernetes": False}, synced
        # Made after the lists were read, before any watch could start: the watch, from the lists'
        # resourceVersion, must bring it.
        big.apply_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: late, namespace: default}\n"
                       "spec: {containers: [{name: c, image: busybox}]}")
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert _line(proc) == {"ev": "watched", "ok": True, "kubernetes": True}
    finally:
        proc.kill()
        proc.wait(10)


def test_helper_removes_its_credential_files_and_leaves_the_parents(tmp_path: Path) -> None:
    # Inline certificate data: the kubernetes package writes it to temporary files at load time and
    # removes them at exit; the helper ends with os._exit, so it must run that clean-up itself.
    pem = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").decode()
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:9', "
        f"certificate-authority-data: {pem}}}}}]\n"
        f"users: [{{name: u, user: {{client-certificate-data: {pem}, client-key-data: {pem}}}}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    parents = tmp_path / "parents"
    parents.mkdir()
    proc = _driver("cleanup", str(config), str(parents), env={"TMPDIR": str(scratch)})
    try:
        # ... and runs none of the parent's exit handlers (one removed `ktui demo`'s kubeconfig).
        assert _line(proc) == {"ev": "ended", "ended": True, "left": [], "parents_kept": True}
    finally:
        proc.kill()
        proc.wait(10)


# ---- the parent's side, with frames written here ----------------------------------------------------


class FakeHelper:
    """The write end of a Prelist's pipe, speaking the helper's frames."""

    def __init__(self, conn: Connection, kinds: tuple[str, ...] = ("Pod", "Service")) -> None:
        rfd, self.wfd = os.pipe()
        self.out = prelist._Writer(self.wfd)
        self.kinds = kinds
        self.pre = prelist.Prelist(None, rfd, None)
        info = {"context": conn.context, "namespace": conn.namespace, "server": conn.server,
                "kubeconfig": conn.kubeconfig, "user": conn.user, "listed": None, "kinds": list(kinds),
                "query": [api.PAGE_SIZE, FIRST_PAGE]}
        self.out.send(prelist._CONN, 0, json.dumps(info).encode())
        self.conn, listed = self.pre.connection(10)
        assert listed is None and self.conn.prelisted is self.pre

    def send(self, ftype: int, kind: str, payload: bytes = b"") -> None:
        self.out.send(ftype, self.kinds.index(kind), payload)

    def close(self) -> None:
        if self.wfd >= 0:
            os.close(self.wfd)
            self.wfd = -1
        assert self.pre.join(10)


def _first_page(conn: Connection) -> bytes:
    return api.get_bytes(conn, POD.path(None), listing.list_query(api.PAGE_SIZE, FIRST_PAGE, None, None))


def _names(conn: Connection, **kw: Any) -> list[str]:
    pages = listing.list_pages(conn, POD, None, limit=api.PAGE_SIZE, **kw)
    return [p.metadata.name for records, _, _ in pages for p in records]


def test_list_goes_on_from_the_server_where_the_helper_ended(big: Sandbox) -> None:
    direct = connect(str(big.kubeconfig))
    expected = _names(direct)
    raw = _first_page(direct)
    first = decode.decode_list("Pod", raw)[0][0].metadata.name
    helper = FakeHelper(direct)
    # A mark only the helper's copy of the first page carries: the list's first page came from it.
    marked = raw.replace(f'"name":"{first}"'.encode(), b'"name":"from-helper"', 1)
    helper.send(prelist._PAGE, "Pod", marked)
    helper.close()  # the helper is gone after one page
    got = _names(helper.conn, first_limit=FIRST_PAGE)
    assert got[0] == "from-helper"
    assert got[1:] == expected[1:] and len(got) == len(expected) >= PODS


def test_an_unreachable_server_the_helper_met_is_raised_by_the_list(big: Sandbox) -> None:
    # Not asked again at once: the reflector reports it and retries with its back-off (from the
    # server), instead of a second connect timeout before the user hears of it.
    helper = FakeHelper(connect(str(big.kubeconfig)))
    try:
        helper.send(prelist._FAIL, "Pod", json.dumps(
            {"error": "Unreachable", "message": "cannot reach https://10.0.0.1: timed out"}).encode())
        with pytest.raises(api.Unreachable, match="timed out"):
            _names(helper.conn, first_limit=FIRST_PAGE)
    finally:
        helper.close()


def test_server_error_the_helper_got_is_raised_by_the_list(big: Sandbox) -> None:
    helper = FakeHelper(connect(str(big.kubeconfig)))
    try:
        helper.send(prelist._STATUS, "Pod", json.dumps(
            {"code": 403, "reason": "Forbidden", "message": 'pods is forbidden: User "x"'}).encode())
        with pytest.raises(api.ApiStatusError) as err:
            _names(helper.conn, first_limit=FIRST_PAGE)
    finally:
        helper.close()
    assert err.value.code == 403 and err.value.message == 'pods is forbidden: User "x"'


def test_another_query_is_not_served_and_drops_the_helper(big: Sandbox) -> None:
    helper = FakeHelper(connect(str(big.kubeconfig)))
    try:
        helper.send(prelist._PAGE, "Service", b'{"metadata":{},"items":[]}')
        # The helper listed every namespace; a list of one namespace is not its list.
        assert helper.pre.claim("Pod", path_query=("default", None, api.PAGE_SIZE, FIRST_PAGE)) is None
        assert helper.pre.closed
        assert helper.pre.claim("Service", path_query=(None, None, api.PAGE_SIZE, FIRST_PAGE)) is None
    finally:
        helper.close()


def test_reader_holds_the_helper_back_at_the_budget(big: Sandbox) -> None:
    helper = FakeHelper(connect(str(big.kubeconfig)))
    page = b"x" * (1 << 20)
    count = 3 * prelist.BUDGET // len(page)
    writer = threading.Thread(target=lambda: [helper.send(prelist._PAGE, "Pod", page) for _ in range(count)])
    try:
        stream = helper.pre.claim("Pod", path_query=(None, None, api.PAGE_SIZE, FIRST_PAGE))
        assert stream is not None
        writer.start()
        with helper.pre.cond:
            assert helper.pre.cond.wait_for(lambda: helper.pre.held >= prelist.BUDGET, 10)
        # The reader waits for room, the pipe fills, the writer blocks: what waits is bounded.
        assert writer.is_alive()
        assert helper.pre.held <= prelist.BUDGET + len(page)
        taken = [stream.next_page(None) for _ in range(count)]
        writer.join(10)
        assert not writer.is_alive() and all(p == page for p in taken)
        assert helper.pre.held == 0
    finally:
        helper.close()
