"""The seed's steps 2 and 3 against the sandbox: ``ktui probe`` as a subprocess, and through Python.

One seed sandbox serves the read-only CLI tests; tests that change the cluster (scale the
controller, delete a pod) start their own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui import resources as r
from ktui.kube.client import connect
from ktui.kube.snapshot import load_snapshot
from ktui.model.paths import BACKEND, CONTROLLER, ENDPOINTS
from ktui.probes import run_probe
from ktui.sandbox.runner import Sandbox


def _ready(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def seed_ready(store: Any) -> bool:
    """Pod `running` and an ingress-nginx controller pod are Ready."""
    pods = store.list("pods")[0]
    return any(p["metadata"]["name"] == "running" and _ready(p) for p in pods) and any(
        p["metadata"]["namespace"] == "ingress-nginx" and _ready(p) for p in pods
    )


@pytest.fixture(scope="module")
def seed() -> Iterator[Sandbox]:
    """A seed sandbox with its pods and controller up."""
    sb = Sandbox(scenario="seed", speed=20.0).start()
    try:
        sb.wait_for(seed_ready, timeout=30)
        yield sb
    finally:
        sb.stop()


def probe_cli(kubeconfig: Path | str, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    """Run ``ktui probe ... --json``; (exit code, parsed JSON or None, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "ktui", "probe", *args, "--json", "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, doc, proc.stderr


def test_pod_probe_running_answers_with_the_nginx_page(seed: Sandbox) -> None:
    code, doc, _ = probe_cli(seed.kubeconfig, "pod/running")
    assert code == 0 and doc is not None
    assert doc["ok"] is True and doc["statusCode"] == 200 and doc["port"] == 80
    assert "Welcome to nginx!" in doc["detail"]
    assert doc["latencyMs"] > 0 and doc["target"] == {
        "kind": "Pod",
        "namespace": "default",
        "name": "running",
        "uid": doc["target"]["uid"],
    }


def test_service_probe_says_which_endpoint_answered(seed: Sandbox) -> None:
    code, doc, _ = probe_cli(seed.kubeconfig, "service/nginx-service")
    assert code == 0 and doc is not None and doc["statusCode"] == 200
    pod = seed.call(seed.store.get, "pods", "default", "running")
    pod_ip = pod["status"]["podIP"] if pod else None
    # targetPort "web" is the pod's named port 80
    assert doc["tested"] == f"service nginx-service:80 -> endpoint {pod_ip}:80 (pod running)"
    assert "targetPort web -> web (80)" in doc["detail"]


def test_service_with_selector_typo_names_the_near_miss(seed: Sandbox) -> None:
    code, doc, _ = probe_cli(seed.kubeconfig, "svc/nginx-typo")
    assert code == 1 and doc is not None and doc["ok"] is False
    assert doc["hop"] == ENDPOINTS
    assert "selector app=ngnix matches no pod in default" in doc["summary"]
    assert "pod running has app=nginx (selector wants app=ngnix)" in doc["summary"]


def test_service_with_wrong_target_port_is_refused_on_that_port(seed: Sandbox) -> None:
    code, doc, _ = probe_cli(seed.kubeconfig, "service/nginx-wrong-port:80")
    assert code == 1 and doc is not None
    assert "connection refused on targetPort 8080 of pod running" in doc["summary"]
    assert "connect: connection refused" in doc["detail"] and doc["port"] == 8080


def test_ingress_probe_through_the_controller(seed: Sandbox) -> None:
    code, doc, _ = probe_cli(seed.kubeconfig, "ingress/nginx")
    assert code == 0 and doc is not None and doc["statusCode"] == 200
    assert doc["tested"].startswith("ingress nginx nginx.example.test/ -> controller pod ingress-nginx/")
    assert "Welcome to nginx!" in doc["detail"]


def test_ingress_with_missing_backend_service(seed: Sandbox) -> None:
    code, doc, _ = probe_cli(seed.kubeconfig, "ing/running-ingress")
    assert code == 1 and doc is not None and doc["statusCode"] == 503 and doc["hop"] == BACKEND
    assert 'backend service "running-service" does not exist' in doc["summary"]


def test_usage_and_connection_errors_exit_2_on_one_line(seed: Sandbox, tmp_path: Path) -> None:
    for args in (
        ["deployment/x"],
        ["pod/running:nope"],
        ["pod"],
        ["pod/running:70000"],
        ["service/nginx-service:9999"],
    ):
        code, doc, err = probe_cli(seed.kubeconfig, *args)
        assert code == 2 and doc is None, args
        assert err.startswith("ktui: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    dead = tmp_path / "dead.kubeconfig"
    dead.write_text(Path(seed.kubeconfig).read_text().replace(seed.url, "http://127.0.0.1:9"))
    code, _, err = probe_cli(dead, "pod/running")
    assert code == 2 and "127.0.0.1:9" in err and err.count("\n") == 1


def test_probes_never_mutate_the_cluster(seed: Sandbox) -> None:
    seed.audit.clear()
    for target in ("pod/running", "service/nginx-service", "ingress/nginx"):
        assert probe_cli(seed.kubeconfig, target)[0] == 0
    assert seed.audit.entries(), "the probes went through the API server"
    assert seed.audit.mutations() == []


def test_controller_scaled_to_zero_is_the_finding() -> None:
    with Sandbox(scenario="seed", speed=20.0) as sb:
        sb.wait_for(seed_ready, timeout=30)

        def scale_to_zero() -> None:
            sb.store.mutate(
                "deployments.apps",
                "ingress-nginx",
                "ingress-nginx-controller",
                lambda d: d["spec"].__setitem__("replicas", 0),
            )

        sb.call(scale_to_zero)
        sb.wait_for(lambda st: not st.list("pods", "ingress-nginx")[0], timeout=30)
        conn = connect(str(sb.kubeconfig))
        snap = load_snapshot(conn, "default")
        result = run_probe(conn, snap, r.Ref(kind="Ingress", namespace="default", name="nginx"))
        assert result.ok is False and result.hop == CONTROLLER
        assert "Deployment ingress-nginx/ingress-nginx-controller is scaled to 0 replicas" in result.summary
        conn.close()
