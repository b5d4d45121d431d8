"""Shared benchmark machinery: the sandbox process, timed kubectl and ktui child runs, medians, result lines.

Every tool under test runs in its own process (the sandbox too), so each one's CPU and memory are
its own. Times are CLOCK_MONOTONIC (``time.monotonic``), which every process on the host shares: a
child's timestamps and the sandbox's send stamps are directly comparable with the parent's.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KUBECTL = shutil.which("kubectl") or "kubectl"
T = TypeVar("T")


class BenchError(RuntimeError):
    """A benchmark could not run (its figure is reported as missing, with this reason)."""


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


@dataclass
class Timed:
    """One process run: when it started, its stdout lines with arrival times, exit, rusage."""

    start: float
    lines: list[tuple[float, str]]
    end: float
    code: int
    maxrss: int  # bytes
    cpu: float  # user + system seconds
    stderr: str = ""

    @property
    def first_line(self) -> float:
        """Seconds from start to the first stdout line (NaN if none)."""
        return self.lines[0][0] - self.start if self.lines else float("nan")

    @property
    def wall(self) -> float:
        """Seconds from start to exit."""
        return self.end - self.start


class Child:
    """A child process whose stdout lines are timestamped as they arrive (read on a thread)."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None, *, stdin: bool = False,
                 on_line: Callable[[float, str], None] | None = None) -> None:
        self.start = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.lines: list[tuple[float, str]] = []
        self.on_line = on_line
        self.cond = threading.Condition()
        self.err = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_err, daemon=True)
        self._err_reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            t = time.monotonic()
            line = raw.decode(errors="replace").rstrip("\n")
            if self.on_line is not None:
                self.on_line(t, line)
            with self.cond:
                self.lines.append((t, line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self.err = self.proc.stderr.read()[-4000:]

    def alive(self) -> bool:
        """Whether the process still runs (checked without reaping it, so wait4 still gets its rusage)."""
        try:
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return info is None

    def send(self, obj: dict[str, Any]) -> None:
        """One JSON command line to the child's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def ask(self, obj: dict[str, Any], name: str, timeout: float) -> dict[str, Any]:
        """Send a command and wait for the event it answers with (only lines after the command count)."""
        with self.cond:
            after = len(self.lines)
        self.send(obj)
        return self.wait_event(name, timeout, after)

    def wait_event(self, name: str, timeout: float, after: int = 0) -> dict[str, Any]:
        """The first JSON line ``{"ev": name, ...}`` at index >= after, as a dict with ``_arrived``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines[after:]:
                    if line.startswith("{") and f'"ev": "{name}"' in line:
                        ev: dict[str, Any] = json.loads(line)
                        ev["_arrived"] = t
                        return ev
                if not self.alive() and not self._reader.is_alive():
                    err = self.err.decode(errors="replace")[-800:]
                    raise BenchError(f"child exited before {name!r}: {err}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(f"no {name!r} within {timeout:.0f}s")
                self.cond.wait(min(left, 0.5))

    def finish(self, timeout: float) -> Timed:
        """Wait for exit (kill at the deadline) and collect rusage through wait4."""
        deadline = time.monotonic() + timeout
        code, ru = None, None
        while code is None:
            pid, status, ru_ = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                code, ru = os.waitstatus_to_exitcode(status), ru_
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                _, status, ru = os.wait4(self.proc.pid, 0)
                code = -9
                break
            time.sleep(0.005)
        end = time.monotonic()
        self.proc.returncode = code
        self._reader.join(5)
        self._err_reader.join(5)
        assert ru is not None
        return Timed(self.start, list(self.lines), end, code, ru.ru_maxrss * 1024,
                     ru.ru_utime + ru.ru_stime, self.err.decode(errors="replace"))

    def kill(self) -> Timed:
        """Stop the child now (by its pid) and collect what it did."""
        if self.alive():
            self.proc.terminate()
        return self.finish(5)


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


def preflight(sandbox: SandboxProc) -> list[str]:
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
