"""Port-forward through the whole sandbox (API server, kubelet, nginx program) with the seed scenario."""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.stream import portforward

from ktui.sandbox.runner import Sandbox

pytest.importorskip("ktui.sandbox.simulation", reason="the simulation (kubelets) has not landed yet")


def _running(store: Any) -> bool:
    pod = store.get("pods", "default", "running")
    return bool(pod) and pod.get("status", {}).get("phase") == "Running"


@pytest.fixture(scope="module")
def seed() -> Any:
    with Sandbox(scenario="seed", speed=20.0) as sb:
        sb.wait_for(_running, timeout=30)
        yield sb


def _forwarding_port(proc: subprocess.Popen[str], timeout: float = 15.0) -> int:
    """Read kubectl's output until its ``Forwarding from 127.0.0.1:PORT`` line (bounded)."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        if sel.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> 80", line)
            if found:
                return int(found.group(1))
    raise AssertionError(f"no Forwarding line from kubectl: {''.join(seen)}")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not on PATH")
def test_kubectl_port_forward_running_serves_nginx(seed: Any, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(seed.kubeconfig)}
    proc = subprocess.Popen(["kubectl", "port-forward", "--cache-dir", str(tmp_path / "cache"),
                             "--address", "127.0.0.1", "pod/running", ":80"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = _forwarding_port(proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            assert resp.status == 200
            assert b"Welcome to nginx!" in resp.read()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0


def test_python_client_port_nothing_listens_on_gets_error(seed: Any) -> None:
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(seed.kubeconfig)))
    pf = portforward(api.connect_get_namespaced_pod_portforward, "running", "default", ports="81")
    try:
        sock = pf.socket(81)
        sock.settimeout(10)
        assert sock.recv(10) == b""
        error = pf.error(81)
    finally:
        pf.close()
    assert error is not None
    assert error.startswith("error forwarding port 81 to pod "), error
    assert "connection refused" in error
