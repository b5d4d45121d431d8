"""Forwards that stay honest: a Service forward re-targets when its pod goes, a pod forward dies with
the cause, and nothing (thread or listener) is left once they are closed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from probe_helpers import ktui_threads, listening_ports

from ktui.kube.client import connect
from ktui.kube.snapshot import load_snapshot
from ktui.probes.forwards import Forward, ForwardManager
from ktui.probes.http import http_get
from ktui.sandbox.runner import Sandbox

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{name: http, port: 8080, targetPort: http}]}
"""


def wait_until(pred: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def ready_endpoints(store: Any) -> int:
    slices = store.list(
        "endpointslices.discovery.k8s.io", "default", label_selector="kubernetes.io/service-name=web"
    )[0]
    return sum(
        1 for s in slices for e in s.get("endpoints") or () if (e.get("conditions") or {}).get("ready")
    )


def test_service_forward_retargets_and_pod_forward_dies_then_all_close() -> None:
    before = {t.ident for t in ktui_threads()}
    with Sandbox(scenario="seed", speed=20.0) as sb:
        sb.apply_yaml(WEB)
        sb.wait_for(lambda st: ready_endpoints(st) == 2, timeout=30)
        conn = connect(str(sb.kubeconfig))
        snap = load_snapshot(conn, "default", kinds=("Service",))
        changes: list[tuple[int, str | None]] = []

        def on_change(fwd: Forward) -> None:
            changes.append((fwd.id, fwd.dead))

        manager = ForwardManager(conn, on_change=on_change, interval=0.1)
        svc_fwd = manager.forward_service(snap, "default", "web", 8080)
        # port 8080 -> targetPort "http" -> the endpoint pod's container port 80
        assert svc_fwd.session.port == 80
        assert http_get(svc_fwd.session, count=1).status_code == 200
        first = svc_fwd.session.pod

        sb.call(sb.store.delete, "pods", "default", first)
        wait_until(lambda: any("re-targeted" in h for h in svc_fwd.history))
        assert svc_fwd.session.pod != first and svc_fwd.dead is None
        assert (
            f"pod {first} is terminating" in svc_fwd.history[0]
            or f"pod {first} was deleted" in svc_fwd.history[0]
        )
        assert http_get(svc_fwd.session, count=1).status_code == 200

        survivor = svc_fwd.session.pod
        pod_fwd = manager.forward_pod("default", survivor, 80)
        local = pod_fwd.session.local_port
        assert local in listening_ports()
        assert http_get(pod_fwd.session, count=1).status_code == 200
        sb.call(sb.store.delete, "pods", "default", survivor)
        wait_until(lambda: pod_fwd.dead == "pod replaced")
        assert pod_fwd.session.dead_detail in (
            f"pod {survivor} is terminating",
            f"pod {survivor} was deleted",
        )
        assert (pod_fwd.id, "pod replaced") in changes
        # a dead forward says so instead of hanging: the connection ends with the cause recorded
        outcome = http_get(pod_fwd.session, count=1)
        assert outcome.error == "forward is dead: pod replaced"

        manager.close_all()
        conn.close()
        assert local not in listening_ports()
        assert manager.forwards == []
    wait_until(lambda: {t.ident for t in ktui_threads()} <= before, timeout=5)
