"""connect(): kubeconfig files, contexts, in-cluster fallback and one-line errors, against a sandbox."""

from __future__ import annotations

import http.server
import socket
import sys
import threading
from pathlib import Path

import pytest
import yaml

from ktui.kube import api
from ktui.kube.client import Connection, KubeError, connect
from ktui.sandbox.kubeconfig import kubeconfig_text
from ktui.sandbox.runner import Sandbox


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connect_reads_context_namespace_and_server(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    assert conn.context == "ktui-sandbox"
    assert conn.namespace == "default"
    assert conn.server == sb.url
    assert conn.contexts() == ["ktui-sandbox"]
    assert conn.check().startswith("v1.")


def test_bad_path_and_unknown_context_are_one_line_errors(sb: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(KubeError) as bad:
        connect(str(tmp_path / "missing.yaml"))
    assert "missing.yaml" in str(bad.value) and "\n" not in str(bad.value)
    with pytest.raises(KubeError) as ctx:
        connect(str(sb.kubeconfig), context="nope")
    assert str(ctx.value) == 'context "nope" not found in kubeconfig (available: ktui-sandbox)'


def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(KubeError, match="no kubeconfig found"):
        connect()


def test_kubeconfig_env_merges_files_and_switches_context(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    other = tmp_path / "other.yaml"
    other.write_text(kubeconfig_text(dead, namespace="team-a", context="dead"))
    monkeypatch.setenv("KUBECONFIG", f"{sb.kubeconfig}:{other}")
    conn = connect()
    assert conn.context == "ktui-sandbox"  # the first file's current-context wins, as in kubectl
    assert sorted(conn.contexts()) == ["dead", "ktui-sandbox"]
    moved = conn.with_context("dead")
    assert (moved.context, moved.namespace, moved.server) == ("dead", "team-a", dead)
    with pytest.raises(api.Unreachable) as down:
        moved.check(timeout=2)
    assert str(down.value).startswith(f"cannot reach {dead}") and "\n" not in str(down.value)


def test_forbidden_read_carries_the_server_message(sb: Sandbox) -> None:
    sb.faults.deny("viewer", "get", "pods")
    conn = connect(str(sb.kubeconfig_for("viewer")))
    with pytest.raises(api.ApiStatusError) as exc:
        api.get_json(conn, "/api/v1/namespaces/default/pods/running")
    assert exc.value.code == 403
    assert 'pods "running" is forbidden: User "viewer" cannot get resource "pods"' in str(exc.value)


def test_tls_failure_is_one_line(sb: Sandbox, tmp_path: Path) -> None:
    https = sb.url.replace("http://", "https://")  # the sandbox speaks plain HTTP: the handshake fails
    cfg = tmp_path / "tls.yaml"
    cfg.write_text(kubeconfig_text(https))
    with pytest.raises(api.Unreachable) as exc:
        connect(str(cfg)).check(timeout=2)
    assert str(exc.value).startswith(f"TLS error talking to {https}: ")
    assert "\n" not in str(exc.value)


class _Unauthorized(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                b'"message":"Unauthorized","reason":"Unauthorized","code":401}')
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_unauthorized_names_the_context(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        cfg = tmp_path / "kc.yaml"
        cfg.write_text(kubeconfig_text(url, token="expired", context="prod"))
        with pytest.raises(api.ApiStatusError) as exc:
            connect(str(cfg)).check()
        assert exc.value.code == 401
        assert str(exc.value) == f"{url}: Unauthorized (check the credentials of context prod)"
    finally:
        server.shutdown()
        server.server_close()


def test_exec_auth_plugin_token_reaches_the_server(sb: Sandbox, tmp_path: Path) -> None:
    plugin = tmp_path / "cred.py"
    plugin.write_text(
        "import json\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
        " 'status': {'token': 'exec-user'}}))\n"
    )
    cfg = tmp_path / "exec.yaml"
    cfg.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": sb.url}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
        "users": [{"name": "x", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
            "args": [str(plugin)], "interactiveMode": "Never"}}}],
    }))
    sb.faults.deny("exec-user", "get", "namespaces")  # only a request carrying the plugin's token is refused
    conn = connect(str(cfg))
    with pytest.raises(api.ApiStatusError, match='User "exec-user" cannot get resource "namespaces"'):
        api.get_json(conn, "/api/v1/namespaces/default")
    assert api.get_json(conn, "/api/v1/nodes/node-1")["metadata"]["name"] == "node-1"


# ---- a deferred connection (a prelisted start: ktui.kube.prelist) ---------------------------------


def _deferred(sb: Sandbox, settle_within: float = 30.0) -> Connection:
    return Connection.deferred("ktui-sandbox", "default", sb.url, str(sb.kubeconfig), "",
                               settle_within=settle_within)


def test_deferred_connection_makes_its_client_on_first_request(sb: Sandbox) -> None:
    conn = _deferred(sb)
    assert not conn.opened
    assert conn.check() != ""  # a request: the kubeconfig is loaded now
    assert conn.opened


def test_watches_wait_for_the_first_lists_then_go(sb: Sandbox) -> None:
    conn = _deferred(sb)
    stop = threading.Event()
    went = threading.Event()
    waiter = threading.Thread(target=lambda: conn.wait_settled(stop) and went.set())
    waiter.start()
    assert not went.wait(0.2)  # nothing settled yet: the watch waits
    conn.settle()
    assert went.wait(5)
    waiter.join(5)


def test_a_stopped_watch_stops_waiting_and_a_late_settle_does_not_hold_it(sb: Sandbox) -> None:
    stop = threading.Event()
    stop.set()
    assert _deferred(sb).wait_settled(stop) is False
    # Lists that never settle (a kind that keeps failing) hold the watches only so long.
    assert _deferred(sb, settle_within=0.1).wait_settled(threading.Event()) is True
