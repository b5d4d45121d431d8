"""kubectl under measurement and the run's context: fresh caches, timed runs, ``-w`` watchers, preflight,
machine description and a speed calibration.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.proc import KUBECTL, BenchError, Child, Timed


def kubectl_env(kubeconfig: Path, cache_dir: Path) -> dict[str, str]:
    """kubectl's environment: this kubeconfig, this cache directory, nothing from the user's setup."""
    env = dict(os.environ)
    env["KUBECONFIG"] = str(kubeconfig)
    env["KUBECACHEDIR"] = str(cache_dir)
    env.pop("HTTPS_PROXY", None)
    env.pop("HTTP_PROXY", None)
    return env


def fresh_kubectl_cache(kubeconfig: Path, parent: Path) -> dict[str, str]:
    """A fresh --cache-dir, warmed once (discovery cached), and the env that uses it."""
    cache = Path(tempfile.mkdtemp(prefix="kubectl-cache-", dir=parent))
    env = kubectl_env(kubeconfig, cache)
    subprocess.run([KUBECTL, "get", "namespaces", "-o", "name"], env=env, capture_output=True, timeout=60,
                   check=False)
    return env


def run_kubectl(args: list[str], env: dict[str, str], timeout: float = 300) -> Timed:
    """Run kubectl to completion, timing its first stdout line and exit; max RSS from wait4."""
    child = Child([KUBECTL, *args], env)
    return child.finish(timeout)



def preflight(sandbox: Any) -> list[str]:
    """What the sandbox must serve for fair kubectl figures: Table lists and watches, paging."""
    import urllib.request

    problems = []
    table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    for path, what in (("/api/v1/pods?limit=1", "Table list"),
                       ("/api/v1/pods?watch=1&timeoutSeconds=1&resourceVersion=0", "Table watch")):
        req = urllib.request.Request(sandbox.url + path, headers={"Accept": table})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read(200_000).decode(errors="replace")
        except OSError as exc:
            problems.append(f"{what}: {exc}")
            continue
        if '"kind":"Table"' not in body.replace(" ", ""):
            problems.append(f"{what}: not served as Table (kubectl would do less work)")
        if "limit=1" in path and '"continue"' not in body:
            problems.append("paging: no continue token on a limited list")
    return problems


def machine() -> str:
    """CPU, Python and package versions, for the record."""
    import platform
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    kubectl = subprocess.run([KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True,
                             check=False).stdout
    try:
        kv = json.loads(kubectl)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        kv = "?"
    pkgs = ", ".join(f"{p} {version(p)}" for p in ("textual", "kubernetes", "msgspec"))
    return f"{cpu} x{os.cpu_count()}, Python {platform.python_version()}, {pkgs}, kubectl {kv}"


def calibrate() -> float:
    """Seconds for stdlib json.loads of a fixed 5 MB document (GC paused): divides out machine speed."""
    import gc

    doc = json.dumps({"items": [{"metadata": {"name": f"p{i}", "labels": {"a": "b" * 20}},
                                 "spec": {"containers": [{"name": "c", "image": "x" * 40}] * 3}}
                                for i in range(15_000)]})
    best = float("inf")
    for _ in range(3):
        gc.disable()
        t0 = time.perf_counter()
        json.loads(doc)
        best = min(best, time.perf_counter() - t0)
        gc.enable()
    return best


WATCH_COLUMNS = (
    "custom-columns=NAME:.metadata.name,SENT:.metadata.annotations.sandbox\\.ktui\\.dev/sent-at"
)
"""kubectl -w output: one line per event, with the storm's send stamp (ns, CLOCK_MONOTONIC)."""


class KubectlWatch:
    """``kubectl get pods -A -w`` printing each event's send stamp; lags measured on arrival."""

    def __init__(self, env: dict[str, str]) -> None:
        self.since = float("inf")  # stamps older than this (the initial list) are not storm events
        self.lags: list[float] = []
        self.arrivals: list[float] = []
        self.count = 0
        self.last = 0.0
        self.child = Child([KUBECTL, "get", "pods", "-A", "-w", "-o", WATCH_COLUMNS], env, on_line=self._line)

    def _line(self, t: float, line: str) -> None:
        self.count += 1
        self.last = t
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            sent = int(parts[1]) / 1e9
            if sent >= self.since:
                self.lags.append(t - sent)
                self.arrivals.append(t)

    def mark(self) -> None:
        """Count only events sent from now on."""
        self.since = time.monotonic()
        self.lags, self.arrivals = [], []

    def wait_lines(self, n: int, timeout: float) -> None:
        """Until ``n`` lines were printed (the initial list), else BenchError."""
        deadline = time.monotonic() + timeout
        while self.count < n:
            if time.monotonic() > deadline or not self.child.alive():
                raise BenchError(f"kubectl -w printed {self.count} of {n} lines")
            time.sleep(0.02)

    def wait_quiet(self, idle: float, timeout: float) -> None:
        """Until nothing arrived for ``idle`` seconds (it has caught up), bounded by ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and time.monotonic() - self.last < idle:
            time.sleep(0.05)

    def stop(self) -> Timed:
        """End kubectl (by its pid) and return its rusage."""
        return self.child.kill()
