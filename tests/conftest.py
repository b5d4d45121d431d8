"""Shared fixtures: sandboxes started per test and a kubectl runner with a fresh discovery cache."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.sandbox.runner import Sandbox

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


@pytest.fixture()
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """``sandbox_factory(scenario="empty", simulate=False, ...)`` starts a Sandbox stopped after the test."""
    started: list[Sandbox] = []

    def make(scenario: str | None = "empty", **kwargs: Any) -> Sandbox:
        sb = Sandbox(scenario, **kwargs).start()
        started.append(sb)
        return sb

    yield make
    for sb in reversed(started):
        sb.stop()


KubectlRunner = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture()
def kubectl(tmp_path: Path) -> KubectlRunner:
    """``kubectl(sb, "get", "pods", timeout=30, input=None, user=None)``: run the real kubectl against ``sb``.

    Each test gets its own discovery cache (``KUBECACHEDIR``) and HOME, so nothing leaks between runs.
    """
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")
    cache = tmp_path / "kube-cache"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def run(
        sb: Sandbox, *args: str, timeout: float = 30, input: str | None = None, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(sb.kubeconfig), "KUBECACHEDIR": str(cache), "HOME": str(home)}
        acting = ["--as", user] if user else []  # kubectl sends no token over plain HTTP: impersonate
        return subprocess.run(
            [str(KUBECTL), *acting, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )

    return run


@pytest.fixture()
def kubectl_env(tmp_path: Path) -> Callable[[Sandbox], dict[str, str]]:
    """``kubectl_env(sb)``: the environment for a long-running kubectl (``Popen``) against ``sb``."""
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def env(sb: Sandbox) -> dict[str, str]:
        return {
            **os.environ,
            "KUBECONFIG": str(sb.kubeconfig),
            "KUBECACHEDIR": str(tmp_path / "kube-cache"),
            "HOME": str(home),
        }

    return env
