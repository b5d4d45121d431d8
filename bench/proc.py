"""Child processes under measurement: stdout lines timestamped on arrival, rusage from wait4."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KUBECTL = shutil.which("kubectl") or "kubectl"


class BenchError(RuntimeError):
    """A benchmark could not run (its figure is reported as missing, with this reason)."""


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
