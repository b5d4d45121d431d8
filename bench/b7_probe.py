"""B7: port-forward probes: time to ready and HTTP round trip via ktui, via kubectl port-forward, and direct.

A simulated nginx pod serves on :80. ktui's forward (``ForwardManager.forward_pod`` in its own
process) and ``kubectl port-forward pod/web :80`` each get the same probe client: connect, GET /,
read to close. Direct = the same probe to the program's own loopback listener (the floor). Then the
pod is deleted: how long until ktui marks its forward dead, and until kubectl exits.
"""

from __future__ import annotations

import re
import socket
import time
from typing import Any

from bench.harness import KUBECTL, BenchError, Child, Report, fmt, ktui_child, percentile

NAMESPACE = "bench-probe"
POD = "web"
MANIFEST = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {POD}, namespace: {NAMESPACE}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: nginx:1.27
    ports: [{{containerPort: 80}}]
"""
_REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def probe(port: int) -> float:
    """One probe: connect, GET, read to EOF; seconds, or NaN when the answer is not HTTP."""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(_REQUEST)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    took = time.perf_counter() - t0
    return took if data.startswith(b"HTTP/1.1 200") else float("nan")


def probes(port: int, count: int) -> list[float]:
    """``count`` probes back to back (one warm-up first)."""
    probe(port)
    return [probe(port) for _ in range(count)]


def spaced(port: int, count: int, gap: float = 0.01) -> list[float]:
    """``count`` probes ``gap`` s apart: one at a time, as a user's clicks (no pile-up on 2 cores)."""
    out = []
    for _ in range(count):
        time.sleep(gap)
        out.append(probe(port))
    return out


def run(ctx: Any) -> Report:
    """Ready, RTT p50/p99 on three paths, dead-backend detection."""
    rep = Report("B7")
    count = 50 if ctx.quick else 300
    ctx.sim.request("apply", yaml=MANIFEST)
    ctx.sim.request("wait_running", namespace=NAMESPACE, name=POD, timeout=60)
    direct_port = ctx.sim.request("backend_port", namespace=NAMESPACE, name=POD, port=80)["port"]
    ours = ktui_child("forward", ctx.sim.kubeconfig, "-n", NAMESPACE, "--pod", POD, "--port", "80")
    theirs = Child([KUBECTL, "port-forward", "-n", NAMESPACE, f"pod/{POD}", ":80"], ctx.sim_env)
    try:
        ready = ours.wait_event("forward_ready", 60)
        deadline = time.monotonic() + 30
        k_port = k_ready = None
        while k_port is None and time.monotonic() < deadline:
            for t, line in list(theirs.lines):
                m = re.search(r"Forwarding from 127\.0\.0\.1:(\d+)", line)
                if m:
                    k_port, k_ready = int(m.group(1)), t - theirs.start
            time.sleep(0.01)
        if k_port is None:
            raise BenchError("kubectl port-forward did not report its port")
        results: dict[str, list[float]] = {"ktui": [], "kubectl": [], "direct": []}
        ports = {"ktui": ready["port"], "kubectl": k_port, "direct": direct_port}
        apart: dict[str, list[float]] = {name: [] for name in ports}
        for _ in range(3):  # alternate blocks so drift hits each path alike
            for name, port in ports.items():
                results[name] += probes(port, count // 3)
            for name, port in ports.items():
                apart[name] += spaced(port, count // 6)
        ours.send({"cmd": "watch_dead", "timeout": 15})
        t_del = time.monotonic()
        ctx.sim.request("delete", namespace=NAMESPACE, name=POD)
        dead = ours.wait_event("dead", 30)
        k_dead = float("nan")
        while time.monotonic() - t_del < 15:
            if not theirs.alive():
                k_dead = time.monotonic() - t_del
                break
            time.sleep(0.01)
        ours.send({"cmd": "quit"})
    finally:
        ours.finish(20)
        theirs.kill()
    stats = {k: (percentile(v, 50), percentile(v, 99), sum(1 for x in v if x != x))
             for k, v in results.items()}
    for name, (p50, p99, bad) in stats.items():
        rep.note(f"{name}: RTT p50 {fmt(p50 * 1000, 'ms')} p99 {fmt(p99 * 1000, 'ms')}"
                 f"{f', {bad} failed' if bad else ''}")
    rep.note("probes 10 ms apart: " + ", ".join(
        f"{name} p50 {fmt(percentile(v, 50) * 1000, 'ms')} p99 {fmt(percentile(v, 99) * 1000, 'ms')}"
        for name, v in apart.items()))
    rep.figure("time to ready", ready["ready"], k_ready, "s", "<= 300 ms")
    p50, k50, d50 = stats["ktui"][0], stats["kubectl"][0], stats["direct"][0]
    rep.figure("RTT p50", p50, k50, "s", "<= kubectl and <= direct + 1 ms")
    rep.note(f"ktui p50 - direct p50 = {fmt((p50 - d50) * 1000, 'ms')}; p99 - direct p99 = "
             f"{fmt((stats['ktui'][1] - stats['direct'][1]) * 1000, 'ms')} [target <= 1 ms / 3 ms]")
    dead_after = dead["t"] - t_del if dead.get("cause") else float("nan")
    rep.note(f"pod deleted: ktui marked the forward dead after {fmt(dead_after, 's')} ({dead.get('cause')}); "
             f"kubectl port-forward exited after {fmt(k_dead, 's')} [target <= 1 s]")
    rep.final(f"RTT p50 {fmt(p50 * 1000, 'ms')}, ready {fmt(ready['ready'], 's')}, "
              f"dead in {fmt(dead_after, 's')}",
              f"{fmt(k50 * 1000, 'ms')}, {fmt(k_ready, 's')}", f"{p50 / k50:.2f}")
    return rep
