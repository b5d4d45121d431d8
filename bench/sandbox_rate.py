"""``python -m bench.sandbox_rate``: how fast the sandbox itself sends watch events (issue 7: it must not be
what the benchmarks measure).

Starts the benchmark sandbox process with generated pods, opens watchers, and runs storms of MODIFIED
events at rising rates: first one raw JSON watcher alone, then the JSON watcher with a Table watcher
beside it (``kubectl get pods -A -w``, which asks for ``as=Table``, plus a raw Table reader that counts
what the sandbox sent on that view). Raw watchers read the HTTP stream in this process and take each
event's lag from the ``sandbox.ktui.dev/sent-at`` stamp (CLOCK_MONOTONIC ns, shared with the sandbox).

Prints, per step: the rate asked and committed, each watcher's received rate, lag p50/p99, whether every
event arrived, and the sandbox's CPU per event; then load time and pod size; last, the figures of the
first bench run beside these.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.harness import BenchError, Child, SandboxProc, fmt, percentile
from bench.kubectl import KUBECTL, fresh_kubectl_cache

STAMP = b'"sandbox.ktui.dev/sent-at":"'
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
BEFORE = (  # this script on the sandbox before issue 7's changes (10k pods), same machine
    "one JSON watcher: asked 10k/s -> 8,023/s at 93.5 us CPU/event (75% of a core); asked 20k/s -> "
    "10,004/s at 75.6 us, lag p99 759 ms (first bench run: ~7,900/s at 71-77% of a core)",
    "JSON + Table watchers: asked 10k/s -> 4,275/s at 171 us/event; asked 20k/s -> 5,241/s at 124 us/event",
    "pods 2.3 KB of JSON (research set 6.1 KB); 10k loaded in 0.64 s; a second generate() with the "
    "same prefix failed: pods \"web-2deac575a0-bbbbb\" already exists",
    "sandbox RSS after the storms 1,780 MB (every change kept a deep copy in the history)",
)


class RawWatch:
    """A watch read raw on a thread: counts event lines and takes each one's lag from its send stamp."""

    def __init__(self, url: str, rv: int, *, table: bool = False) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        headers = {"Accept": TABLE if table else "application/json"}
        self.conn.request("GET", f"/api/v1/pods?watch=1&resourceVersion={rv}", headers=headers)
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise BenchError(f"watch answered {self.resp.status}")
        self.count = 0
        self.bytes = 0
        self.since_ns = 0  # stamps older than this are not from the step being measured
        self.lags: list[float] = []
        self.first = self.last = 0.0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def mark(self) -> None:
        """Count only events sent from now on."""
        self.since_ns = time.monotonic_ns()
        self.count, self.bytes, self.lags, self.first, self.last = 0, 0, [], 0.0, 0.0

    def _run(self) -> None:
        # Lean on purpose (this process shares the 2 cores with the sandbox): count lines with
        # bytes.count and take the lag of the last whole line of each read, not of every line.
        rest = b""
        try:
            while not self._stop:
                data = self.resp.read1(1 << 20)
                if not data:
                    return
                now, now_ns = time.monotonic(), time.monotonic_ns()
                data = rest + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                whole, rest = data[: cut + 1], data[cut + 1 :]
                last = whole.rfind(b"\n", 0, cut)
                line = whole[last + 1 : cut]
                at = line.find(STAMP)
                if at < 0:
                    continue
                start = at + len(STAMP)
                sent = int(line[start : line.index(b'"', start)])
                if sent < self.since_ns:
                    continue  # a read holding lines of the previous step: not counted
                if not self.count:
                    self.first = now
                self.count += whole.count(b"\n")
                self.bytes += len(whole)
                self.last = now
                self.lags.append((now_ns - sent) / 1e9)
        except (OSError, ValueError, http.client.HTTPException):
            return

    def wait_count(self, n: int, timeout: float) -> bool:
        """Until ``n`` events of the step arrived (True) or nothing came for 2 s / ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while self.count < n and time.monotonic() < deadline:
            if self.last and time.monotonic() - self.last > 2.0:
                break
            time.sleep(0.02)
        return self.count >= n

    def rate(self) -> float:
        """Events per second over the step, first to last arrival."""
        span = self.last - self.first
        return self.count / span if span > 0 else float("nan")

    def close(self) -> None:
        """Stop reading and close the connection."""
        self._stop = True
        self.conn.close()


class KubectlTableWatch:
    """``kubectl get pods -A -w`` (Table view, as a user would run it): lines counted on arrival."""

    def __init__(self, env: dict[str, str]) -> None:
        self.count = 0
        self.last = 0.0
        self.marks: list[float] = []
        self.child = Child([KUBECTL, "get", "pods", "-A", "-w", "--no-headers"], env, on_line=self._line)

    def _line(self, t: float, _line: str) -> None:
        self.count += 1
        self.last = t
        self.marks.append(t)

    def settle(self, n: int, timeout: float) -> None:
        """Until the initial list (``n`` lines) was printed."""
        deadline = time.monotonic() + timeout
        while self.count < n and time.monotonic() < deadline and self.child.alive():
            time.sleep(0.05)

    def since(self, t0: float) -> tuple[int, float]:
        """Lines printed after ``t0`` and their rate."""
        ts = [t for t in self.marks if t >= t0]
        span = ts[-1] - ts[0] if len(ts) > 1 else 0.0
        return len(ts), (len(ts) / span if span else float("nan"))

    def stop(self) -> None:
        """End kubectl (by its pid)."""
        self.child.kill()


def storm(sb: SandboxProc, rate: float, seconds: float) -> dict[str, Any]:
    """One storm step in the sandbox; its reply (sent, achieved, sandbox_cpu, ...)."""
    sb.request("storm", rate=rate, seconds=seconds)
    return sb.request("storm_wait", timeout=seconds + 120)


def line(label: str, st: dict[str, Any], watches: list[tuple[str, RawWatch]], extra: str = "") -> None:
    """One printed step: committed rate, CPU per event, each watcher's rate, lag and completeness."""
    sent = st["sent"]
    cpu_us = st["sandbox_cpu"] / max(sent, 1) * 1e6
    parts = [f"{label}: committed {st['achieved']:,.0f}/s, sandbox {cpu_us:.1f} us CPU/event "
             f"({st['sandbox_cpu'] / st['seconds'] * 100:.0f}% of a core)"]
    for name, w in watches:
        parts.append(f"{name} got {w.count}/{sent} at {w.rate():,.0f}/s, "
                     f"{w.bytes / max(w.count, 1) / 1024:.1f} KB/event, "
                     f"lag p50 {fmt(percentile(w.lags, 50), 's')} p99 {fmt(percentile(w.lags, 99), 's')}")
    print("  " + "; ".join(parts) + extra, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the steps and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox_rate", description=__doc__)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="10000,20000,30000")
    parser.add_argument("--no-kubectl", action="store_true")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r]
    workdir = Path(tempfile.mkdtemp(prefix="ktui-bench-rate-"))
    try:
        run(args.pods, args.seconds, rates, not args.no_kubectl, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run(pods: int, seconds: float, rates: list[float], with_kubectl: bool, workdir: Path) -> None:
    """Load, storm step by step, print; the sandbox process ends with the ``with``."""
    with SandboxProc(workdir=workdir / "cluster") as sb:
        made = sb.request("generate", pods=pods, namespaces=20, timeout=900)
        try:
            again = sb.request("generate", pods=1000, namespaces=20, timeout=900)
        except BenchError as exc:  # the generator before issue 7 clashed on a second call
            print(f"second generate with the same prefix failed: {exc}")
            again = {"count": 0, "seconds": float("nan")}
        stats = sb.request("stats")
        print(f"load: {made['count']:,} pods in {made['seconds']:.2f} s, then {again['count']:,} more "
              f"(same prefix) in {again['seconds']:.2f} s; pod JSON {stats['size_mean'] / 1024:.1f} KB mean "
              f"({stats['size_min'] / 1024:.1f}-{stats['size_max'] / 1024:.1f}), "
              f"{stats['unhealthy'] * 100:.1f}% unhealthy; sandbox RSS {fmt(stats['rss'], 'B')}", flush=True)
        rv = int(sb.request("digest")["rv"])
        json_w = RawWatch(sb.url, rv)
        try:
            print("one JSON watcher:", flush=True)
            for rate in rates:
                json_w.mark()
                st = storm(sb, rate, seconds)
                json_w.wait_count(st["sent"], 60)
                line(f"asked {rate:,.0f}/s", st, [("JSON", json_w)])
            table_w = RawWatch(sb.url, int(sb.request("digest")["rv"]), table=True)
            kube = None
            if with_kubectl:
                kube = KubectlTableWatch(fresh_kubectl_cache(sb.kubeconfig, workdir))
                kube.settle(stats["count"], 120)
            try:
                print("JSON watcher + Table watchers (raw as=Table reader; kubectl get pods -A -w):",
                      flush=True)
                for rate in [r for r in rates if r <= 20_000]:
                    json_w.mark()
                    table_w.mark()
                    t0 = time.monotonic()
                    st = storm(sb, rate, seconds)
                    json_w.wait_count(st["sent"], 60)
                    table_w.wait_count(st["sent"], 60)
                    extra = ""
                    if kube is not None:
                        time.sleep(0.5)
                        got, krate = kube.since(t0)
                        extra = f"; kubectl -w printed {got} at {krate:,.0f}/s (it lags; the sandbox buffers)"
                    line(f"asked {rate:,.0f}/s", st, [("JSON", json_w), ("Table", table_w)], extra)
            finally:
                table_w.close()
                if kube is not None:
                    kube.stop()
        finally:
            json_w.close()
        stats = sb.request("stats")
        print(f"sandbox after the storms: RSS {fmt(stats['rss'], 'B')}, peak {fmt(stats['maxrss'], 'B')}")
    print("before issue 7's sandbox changes:")
    for text in BEFORE:
        print(f"  {text}")


if __name__ == "__main__":
    sys.exit(main())
