"""load_snapshot(): paged parallel lists of every kind, 403 recorded, 404 skipped, unreachable raised."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ktui.kube import api, listing
from ktui.kube.client import KubeError, connect
from ktui.kube.snapshot import load_snapshot
from ktui.sandbox.kubeconfig import write_kubeconfig
from ktui.sandbox.runner import Sandbox


def test_seed_snapshot_all_namespaces(sb: Sandbox) -> None:
    snap = load_snapshot(connect(str(sb.kubeconfig)), None)
    names = {(p.metadata.namespace, p.metadata.name) for p in snap.pods}
    assert {("default", n) for n in ("running", "backoff", "error", "pending")} <= names
    assert [n.metadata.name for n in snap.nodes] == ["node-1"]
    assert {"default", "kube-system"} <= {n.metadata.name for n in snap.namespaces}
    assert {"Pod", "Node", "Namespace", "Service", "Secret", "ConfigMap", "Event"} <= snap.synced
    server_kinds = {"StatefulSet", "DaemonSet", "Job"}  # not served by the sandbox: skipped quietly
    assert not (server_kinds & snap.synced)
    assert snap.forbidden == {}
    running = next(p for p in snap.pods if p.metadata.name == "running")
    assert running.spec.containers[0].ports[0].name == "web"


def test_namespace_and_label_selector_scope(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    assert all(p.metadata.namespace == "kube-system" for p in load_snapshot(conn, "kube-system").pods)
    only = load_snapshot(conn, "default", label_selector="app=nginx")
    assert [p.metadata.name for p in only.pods] == ["running"]
    assert only.nodes  # cluster-scoped kinds are listed whatever the namespace


def test_paging_collects_every_page(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    whole = load_snapshot(conn, None, kinds=("Pod", "Namespace"))
    paged, _ = listing.list_all(conn, api.RESOURCES["Pod"], None, limit=1)
    assert sorted(p.metadata.uid for p in paged) == sorted(p.metadata.uid for p in whole.pods)
    assert len(paged) >= 4


def test_forbidden_kind_is_recorded_and_the_rest_loads(sb: Sandbox) -> None:
    sb.faults.deny("viewer", "list", "endpointslices.discovery.k8s.io")
    snap = load_snapshot(connect(str(sb.kubeconfig_for("viewer"))), None)
    message = snap.forbidden["list endpointslices"]
    assert 'User "viewer" cannot list resource "endpointslices"' in message
    assert "EndpointSlice" not in snap.synced
    assert {p.metadata.name for p in snap.pods} >= {"running", "error"}


def test_secret_values_never_reach_the_snapshot(sb: Sandbox) -> None:
    sb.apply_yaml("""
apiVersion: v1
kind: Secret
metadata: {name: db-creds, namespace: default}
stringData: {password: hunter2-secret-value}
""")
    snap = load_snapshot(connect(str(sb.kubeconfig)), "default", kinds=("Secret",))
    secret = next(s for s in snap.secrets if s.metadata.name == "db-creds")
    assert secret.keys == ("password",)
    assert "hunter2" not in repr(snap)


def test_unreachable_cluster_raises_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")
    with pytest.raises(KubeError) as exc:
        load_snapshot(connect(str(cfg)), None)
    assert f"cannot reach http://127.0.0.1:{port}" in str(exc.value)
    assert "\n" not in str(exc.value)
