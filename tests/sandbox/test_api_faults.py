"""Fault hooks: drop watches, restart on the same port, latency; and the audit log."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from kubernetes import client, config, watch

from ktui.sandbox.runner import Sandbox


def test_drop_watches_ends_open_streams(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("seed", simulate=False)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig)))
    events: list[str] = []
    done = threading.Event()

    def consume() -> None:
        for event in watch.Watch().stream(core.list_namespaced_pod, "default", timeout_seconds=30):
            events.append(event["type"])
        done.set()

    threading.Thread(target=consume, daemon=True).start()
    sb.wait_for(lambda _: len(events) >= 4 and sb.server._watches, timeout=10)
    assert sb.faults.drop_watches() == 1
    assert done.wait(10), "the watch did not end"
    assert events == ["ADDED"] * 4


def test_restart_keeps_port_and_store(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("seed", simulate=False)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig)))
    rv = core.list_namespaced_pod("default").metadata.resource_version
    port = sb.port
    sb.faults.restart()
    assert sb.port == port
    pods = core.list_namespaced_pod("default")
    assert len(pods.items) == 4 and pods.metadata.resource_version == rv


def test_latency_delays_requests(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("empty", simulate=False)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig)))
    sb.faults.add_latency(0.3)
    start = time.monotonic()
    core.list_namespace()
    assert time.monotonic() - start >= 0.3
    sb.faults.add_latency(0)


def test_audit_records_user_verb_resource_and_code(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("seed", simulate=False)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig_for("alice"))))
    core.list_namespaced_pod("default", label_selector="app=nginx")
    core.read_namespaced_pod_status("running", "default")
    with contextlib.suppress(client.ApiException):
        core.read_namespaced_pod("nosuch", "default")
    entries = [e for e in sb.audit.entries() if e.user == "alice"]
    assert [(e.verb, e.resource, e.subresource, e.namespace, e.name, e.code) for e in entries] == [
        ("list", "pods", "", "default", "", 200),
        ("get", "pods", "status", "default", "running", 200),
        ("get", "pods", "", "default", "nosuch", 404),
    ]
    assert entries[0].path == "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx"
    assert sb.audit.mutations() == []
