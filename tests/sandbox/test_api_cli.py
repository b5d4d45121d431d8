"""``ktui sandbox`` as a user runs it: a subprocess, a kubeconfig, kubectl, then Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ktui", "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for_export(proc: subprocess.Popen[str], timeout: float = 30) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("export KUBECONFIG="):
            return lines
    proc.kill()
    raise AssertionError(f"no export line; got {lines}, stderr {proc.stderr.read() if proc.stderr else ''}")


def test_serves_until_sigint_and_kubectl_works(tmp_path: Path, kubectl: Any) -> None:
    out = tmp_path / "cfg" / "kubeconfig"
    proc = _start("--kubeconfig-out", str(out), "--scenario", "seed")
    try:
        lines = _wait_for_export(proc)
        assert lines[-1] == f"export KUBECONFIG={out.resolve()}"
        assert "current-context: ktui-sandbox" in out.read_text()
        env = {
            **os.environ,
            "KUBECONFIG": str(out),
            "KUBECACHEDIR": str(tmp_path / "cache"),
            "HOME": str(tmp_path),
        }
        got = subprocess.run(["kubectl", "get", "pods"], env=env, capture_output=True, text=True, timeout=30)
        assert got.returncode == 0, got.stderr
        assert {"running", "backoff", "error", "pending"} <= {
            line.split()[0] for line in got.stdout.splitlines()
        }
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_unknown_scenario_is_a_one_line_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ktui", "sandbox", "--scenario", "nosuch"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and "unknown scenario 'nosuch'" in lines[0]
        and "seed" in lines[0]
        and "empty" in lines[0]
    )


def test_port_in_use_is_a_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "ktui", "sandbox", "--port", str(port), "--scenario", "empty"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM])
def test_sigterm_also_exits_cleanly(tmp_path: Path, sig: int) -> None:
    proc = _start("--kubeconfig-out", str(tmp_path / "kc"), "--scenario", "empty")
    try:
        _wait_for_export(proc)
    finally:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err
