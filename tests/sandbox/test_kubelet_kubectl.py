"""The seed's pod walkthrough with the real kubectl against the sandbox (kubelet part)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.sandbox.runner import Sandbox

POD_STATUS_YAML = """\
apiVersion: v1
kind: Pod
metadata: {name: running, labels: {app: nginx}}
spec:
  containers:
    - {name: web, image: nginx, ports: [{name: web, containerPort: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Pod
metadata: {name: backoff}
spec:
  containers: [{name: web, image: "nginx:not-exist"}]
---
apiVersion: v1
kind: Pod
metadata: {name: error}
spec:
  containers: [{name: web, image: nginx, command: ["sleep", "a"]}]
"""


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(scenario="empty", speed=25.0, manifests=POD_STATUS_YAML) as sandbox:
        yield sandbox


def kubectl(sb: Sandbox, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(sb.kubeconfig), "KUBECACHEDIR": str(tmp / "cache")}
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=30)


def poll(fn, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.1)


def row(out: str, name: str) -> list[str]:
    for line in out.splitlines():
        if line.split()[:1] == [name]:
            return line.split()
    return []


def test_get_pods_shows_the_seed_states(sb: Sandbox, tmp_path: Path) -> None:
    seen: set[str] = set()
    restarts: list[int] = []

    def states() -> bool:
        out = kubectl(sb, tmp_path, "get", "pods").stdout
        seen.add(row(out, "backoff")[2] if row(out, "backoff") else "")
        err = row(out, "error")
        if err and err[2] == "CrashLoopBackOff":
            restarts.append(int(err[3]))
        run = row(out, "running")
        return bool(
            run and run[1:3] == ["1/1", "Running"] and "ImagePullBackOff" in seen and len(set(restarts)) >= 2
        )

    poll(states, timeout=20)
    out = kubectl(sb, tmp_path, "get", "pods").stdout
    assert row(out, "backoff")[1] == "0/1" and row(out, "error")[1] == "0/1"
    assert restarts == sorted(restarts)  # restarts climb


def test_describe_backoff_shows_the_seed_events(sb: Sandbox, tmp_path: Path) -> None:
    def described() -> str:
        out = kubectl(sb, tmp_path, "describe", "pod", "backoff").stdout
        return out if "Back-off pulling image" in out and "(x" in out else ""

    out = poll(described, timeout=20)
    assert 'Pulling image "nginx:not-exist"' in out
    assert (
        'Failed to pull image "nginx:not-exist": rpc error: code = NotFound desc = failed to pull and unpack '
        'image "docker.io/library/nginx:not-exist"'
    ) in out
    assert "Error: ErrImagePull" in out and "Error: ImagePullBackOff" in out
    assert "kubelet" in out


def test_logs_and_previous_print_the_seed_lines(sb: Sandbox, tmp_path: Path) -> None:
    expected = "sleep: invalid time interval 'a'\nTry 'sleep --help' for more information.\n"
    poll(lambda: kubectl(sb, tmp_path, "logs", "error").stdout == expected)
    prev = kubectl(sb, tmp_path, "logs", "error", "--previous")
    assert prev.returncode == 0 and prev.stdout == expected
    waiting = kubectl(sb, tmp_path, "logs", "backoff")
    assert waiting.returncode == 1
    assert (
        'Error from server (BadRequest): container "web" in pod "backoff" is waiting to start:'
        in waiting.stderr
    )
    nope = kubectl(sb, tmp_path, "logs", "running", "--previous")
    assert 'previous terminated container "web" in pod "running" not found' in nope.stderr
