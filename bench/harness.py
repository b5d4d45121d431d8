"""Shared benchmark machinery: the sandbox process, timed kubectl and ktui child runs, medians, result lines.

Every tool under test runs in its own process (the sandbox too), so each one's CPU and memory are
its own. Times are CLOCK_MONOTONIC (``time.monotonic``), which every process on the host shares: a
child's timestamps and the sandbox's send stamps are directly comparable with the parent's.
"""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.proc import KUBECTL, PYTHON, ROOT, BenchError, Child, Timed

T = TypeVar("T")


# ---- figures -----------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    """The median, or NaN for no values."""
    vals = list(values)
    return statistics.median(vals) if vals else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank, NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def fmt(value: float | None, unit: str) -> str:
    """A figure with its unit, sized to be read (ms below 1 s, KB/MB for memory)."""
    if value is None or value != value:
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if abs(value) < 100 else f"{value:.0f} ms"
    if unit == "us":
        return f"{value:.1f} us"
    if unit == "B":
        if abs(value) >= 1 << 20:
            return f"{value / (1 << 20):.1f} MB"
        return f"{value / 1024:.1f} KB"
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:.3g}{unit}"


@dataclass
class Report:
    """Lines of one benchmark: detail lines first, then one ``NAME: value (kubectl value, ratio)``."""

    name: str
    lines: list[str] = field(default_factory=list)
    finals: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A detail line (printed at once, so a long run shows progress)."""
        self.lines.append(text)
        print(f"  {text}", flush=True)

    def figure(self, label: str, ktui: float | None, kubectl: float | None, unit: str,
               target: str = "") -> None:
        """One compared figure; the ratio is ktui / kubectl."""
        ratio = ""
        if ktui is not None and kubectl and ktui == ktui and kubectl == kubectl:
            ratio = f", ratio {ktui / kubectl:.2f}"
        tail = f"  [target {target}]" if target else ""
        self.note(f"{label}: {fmt(ktui, unit)} (kubectl {fmt(kubectl, unit)}{ratio}){tail}")

    def final(self, value: str, kubectl: str = "n/a", ratio: str = "n/a") -> None:
        """The benchmark's headline line."""
        line = f"{self.name}: {value} (kubectl {kubectl}, ratio {ratio})"
        self.finals.append(line)
        print(line, flush=True)


# ---- the sandbox process -----------------------------------------------------------------------


class SandboxProc:
    """``python -m bench.sandbox_proc`` in a child process; ``request`` sends one command."""

    def __init__(self, *, simulate: bool = False, workdir: Path | None = None) -> None:
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="ktui-bench-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = self.dir / "kubeconfig"
        self.stderr = open(self.dir / "sandbox.log", "wb")  # noqa: SIM115 - closed in close()
        cmd = [PYTHON, "-m", "bench.sandbox_proc", "--kubeconfig-out", str(self.kubeconfig)]
        if simulate:
            cmd.append("--simulate")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        ready = self._read(60)
        self.url = ready["ready"]
        self._lock = threading.Lock()

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise BenchError(f"sandbox did not answer within {timeout:.0f}s (see {self.dir}/sandbox.log)")
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError(f"sandbox exited (see {self.dir}/sandbox.log)")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def request(self, op: str, timeout: float = 120, **kw: Any) -> dict[str, Any]:
        """Send one command and return its reply; BenchError on an error reply or a timeout."""
        with self._lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
            self.proc.stdin.flush()
            reply = self._read(timeout)
        if "error" in reply:
            raise BenchError(f"sandbox {op}: {reply['error']}")
        return reply

    def close(self) -> None:
        """Stop the sandbox process (politely, then by its pid)."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"op": "stop"}\n')
                self.proc.stdin.close()
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self.stderr.close()

    def __enter__(self) -> SandboxProc:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# ---- timed processes ---------------------------------------------------------------------------


def ktui_child(mode: str, kubeconfig: Path, *extra: str, on_line: Callable[[float, str], None] | None = None
               ) -> Child:
    """``python -m bench.ktui_child MODE`` against this kubeconfig (stdin open for commands)."""
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [PYTHON, "-m", "bench.ktui_child", mode, "--kubeconfig", str(kubeconfig), *extra]
    return Child(cmd, env, stdin=True, on_line=on_line)


def alternate(
    runs: int, first: Callable[[int], T], second: Callable[[int], Any]
) -> tuple[list[T], list[Any]]:
    """ABAB...: ``runs`` of each, interleaved so drift on a shared machine hits both alike."""
    a: list[T] = []
    b: list[Any] = []
    for i in range(runs):
        a.append(first(i))
        b.append(second(i))
    return a, b


# kubectl runs and the run's context moved to bench/kubectl.py; the old import paths keep working.
from bench.kubectl import (  # noqa: E402 - re-exported for the benchmarks' imports
    WATCH_COLUMNS,
    KubectlWatch,
    calibrate,
    fresh_kubectl_cache,
    kubectl_env,
    machine,
    preflight,
    run_kubectl,
)

__all__ = [
    "KUBECTL",
    "WATCH_COLUMNS",
    "BenchError",
    "Child",
    "KubectlWatch",
    "Report",
    "SandboxProc",
    "Timed",
    "alternate",
    "calibrate",
    "fmt",
    "fresh_kubectl_cache",
    "ktui_child",
    "kubectl_env",
    "machine",
    "median",
    "percentile",
    "preflight",
    "run_kubectl",
]
