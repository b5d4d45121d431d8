"""Reflector against a sandbox: live changes, 410 -> relist, dropped watches, forbidden, stop."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
from kube_helpers import eventually

from ktui import decode
from ktui.kube import reflector as rf
from ktui.kube.client import connect
from ktui.model.store import ClusterStore
from ktui.sandbox.kubeconfig import kubeconfig_text
from ktui.sandbox.runner import Sandbox


class Recorder:
    """A Sink that keeps a store and every state change."""

    def __init__(self) -> None:
        self.store = ClusterStore()
        self.states: list[tuple[str, str]] = []
        self.replaces = 0
        self.lock = threading.Lock()

    def replace(self, kind: str, records: list[Any]) -> None:
        self.store.replace(kind, records)
        self.replaces += 1

    def apply(self, kind: str, events: list[tuple[str, Any]]) -> None:
        self.store.apply_many(kind, events)

    def status(self, kind: str, state: str, message: str = "") -> None:
        with self.lock:
            self.states.append((state, message))

    def pods(self) -> dict[str, Any]:
        return {p.metadata.name: p for p in self.store.snapshot().pods}


def _server_pods(sb: Sandbox) -> dict[str, str]:
    items, _ = sb.call(lambda: sb.store.list("pods", "default"))
    return {o["metadata"]["uid"]: o["metadata"]["resourceVersion"] for o in items}


def _label(sb: Sandbox, name: str, value: str) -> None:
    def fn(obj: dict[str, Any]) -> None:
        obj["metadata"].setdefault("labels", {})["probe"] = value

    sb.call(lambda: sb.store.mutate("pods", "default", name, fn))


def _start(sb: Sandbox, rec: Recorder, **kw: Any) -> rf.Reflector:
    refl = rf.Reflector(connect(str(kw.pop("kubeconfig", sb.kubeconfig))), "Pod", rec,
                        namespace="default", **kw)
    refl.start()
    eventually(lambda: refl.state == rf.LIVE, 5)
    return refl


def test_lists_then_sees_a_change_within_a_deadline(sb: Sandbox) -> None:
    rec = Recorder()
    refl = _start(sb, rec)
    try:
        assert {"running", "backoff", "error", "pending"} <= set(rec.pods())
        assert "Pod" in rec.store.snapshot().synced
        t0 = time.monotonic()
        _label(sb, "running", "one")
        eventually(lambda: (rec.pods()["running"].metadata.labels or {}).get("probe") == "one", 2)
        assert time.monotonic() - t0 < 1.0
    finally:
        refl.stop()
        assert refl.join(2)


def test_expired_watch_relists_and_matches_the_server(sb: Sandbox) -> None:
    rec = Recorder()
    refl = _start(sb, rec)
    try:
        sb.faults.expire_next_watch()
        sb.faults.drop_watches()  # the re-watch gets the in-band 410 ERROR
        _label(sb, "pending", "after-drop")
        eventually(lambda: refl.relists >= 1, 5)
        eventually(lambda: {p.metadata.uid: p.metadata.resource_version
                            for p in rec.store.snapshot().pods} == _server_pods(sb), 5)
        assert rec.replaces >= 2  # the initial list and the relist
        _label(sb, "pending", "live-again")  # and the watch after the relist works
        eventually(lambda: (rec.pods()["pending"].metadata.labels or {}).get("probe") == "live-again", 3)
    finally:
        refl.stop()
        assert refl.join(2)


def test_cut_connection_reports_reconnecting_then_live(sb: Sandbox) -> None:
    rec = Recorder()
    refl = _start(sb, rec)
    try:
        before = len(rec.states)

        def cut() -> bool:
            # LIVE comes after the list, the watch request a moment later: cut until ours was cut
            # (the session's sandbox may hold other tests' watches, so the count proves nothing).
            sb.faults.drop_watches(abort=True)
            return "reconnecting" in [s for s, _ in rec.states[before:]]

        eventually(cut, 5, interval=0.05)
        eventually(lambda: rec.states[-1][0] == "live", 5)
        _label(sb, "backoff", "after-cut")  # resumed from the last resourceVersion: nothing lost
        eventually(lambda: (rec.pods()["backoff"].metadata.labels or {}).get("probe") == "after-cut", 3)
        assert refl.relists == 0
    finally:
        refl.stop()
        assert refl.join(2)


def test_forbidden_then_allowed(sb: Sandbox) -> None:
    sb.faults.deny("viewer", "list", "pods")
    rec = Recorder()
    refl = rf.Reflector(connect(str(sb.kubeconfig_for("viewer"))), "Pod", rec, namespace="default",
                        forbidden_retry=0.2)
    refl.start()
    try:
        eventually(lambda: refl.state == rf.FORBIDDEN, 5)
        assert 'cannot list resource "pods"' in rec.states[-1][1]
        sb.faults.allow("viewer", "list", "pods")
        eventually(lambda: refl.state == rf.LIVE, 5)
        assert "running" in rec.pods()
    finally:
        refl.stop()
        assert refl.join(2)


def test_not_served_kind_ends_quietly(sb: Sandbox) -> None:
    rec = Recorder()
    refl = rf.Reflector(connect(str(sb.kubeconfig)), "StatefulSet", rec)
    refl.start()
    assert refl.join(5)
    assert refl.state == rf.ABSENT


class _NotAnApiServer(http.server.BaseHTTPRequestHandler):
    """Another HTTP server at the kubeconfig's address: 404 for everything, as a wrong port gives."""

    asked: list[str] = []

    def do_GET(self) -> None:
        _NotAnApiServer.asked.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_pods_not_served_is_said_and_asked_again(tmp_path: Path) -> None:
    # Every API server serves pods: their 404 is not "a kind this server lacks" (which ends quietly).
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAnApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = tmp_path / "kc.yaml"
    cfg.write_text(kubeconfig_text(f"http://127.0.0.1:{server.server_address[1]}"))
    rec = Recorder()
    refl = rf.Reflector(connect(str(cfg)), "Pod", rec, forbidden_retry=0.05)
    try:
        refl.start()
        eventually(lambda: sum(p.startswith("/api/v1/pods") for p in _NotAnApiServer.asked) >= 2, 5)
        assert refl.state == rf.ABSENT and not refl.join(0)
    finally:
        refl.stop()
        assert refl.join(2)
        server.shutdown()
        server.server_close()


def test_stop_joins_promptly_while_the_watch_is_idle(sb: Sandbox) -> None:
    before = threading.active_count()
    rec = Recorder()
    refl = _start(sb, rec, kubeconfig=sb.kubeconfig)
    time.sleep(0.2)  # let it block in the watch read
    t0 = time.monotonic()
    refl.stop()
    assert refl.join(2)
    assert time.monotonic() - t0 < 0.5
    assert threading.active_count() == before


class KeepingRecorder(Recorder):
    """A Recorder that, like the feed's sink, shows the reflector the record it holds."""

    def current(self, kind: str, uid: str) -> Any | None:
        return self.store.get(kind, uid)


def test_watched_pods_reuse_an_unchanged_spec_and_equal_the_server(sb: Sandbox) -> None:
    rec = KeepingRecorder()
    refl = _start(sb, rec)
    try:
        for value in ("a", "b", "c"):
            _label(sb, "running", value)

            def seen(v: str = value) -> bool:
                return (rec.pods()["running"].metadata.labels or {}).get("probe") == v

            eventually(seen, 3)
        assert refl._pods is not None and refl._pods.reused >= 1  # the spec was not decoded again
        obj = sb.call(lambda: sb.store.get("pods", "default", "running"))
        assert obj is not None
        line = b'{"type":"MODIFIED","object":' + sb.store.encoded(obj) + b"}"
        full = msgspec.json.Decoder(rf.watch_event_type("Pod"), strict=False).decode(line).object
        assert rec.pods()["running"] == decode.compact_pod(full)  # compacted as a list would
    finally:
        refl.stop()
        assert refl.join(2)
