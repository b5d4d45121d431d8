"""B6: log follow: lines/s that reach ktui's log pane vs ``kubectl logs -f`` on the same flooding pod.

A pod in the simulated cluster writes numbered 120-byte lines as fast as asked (``BENCH_LOG_RATE``).
ktui (headless app, that namespace) opens the logs pane and samples the newest line number in the
view at every frame: displayed lines/s = numbers advanced / time. kubectl's rate is counted the
same way from the numbers it prints. The sandbox's own write rate bounds both.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import KUBECTL, Child, Report, fmt, ktui_child, median

NAMESPACE = "bench-logs"
POD = "flood"
MANIFEST = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {POD}, namespace: {NAMESPACE}}}
spec:
  containers:
  - name: flood
    image: busybox:1.36
    command: ["sh", "-c", "sleep 100000"]
    env: [{{name: BENCH_LOG_RATE, value: "__RATE__"}}]
"""


def kubectl_follow(env: dict[str, str], seconds: float) -> tuple[float, int]:
    """(lines/s by sequence number, lines read) for ``kubectl logs -f --tail=10``."""
    child = Child([KUBECTL, "logs", "-f", "--tail=10", "-n", NAMESPACE, POD], env)
    time.sleep(seconds)
    child.kill()
    seqs = [(t, int(line[:10])) for t, line in child.lines if line[:10].isdigit()]
    if len(seqs) < 2:
        return float("nan"), len(seqs)
    (t0, s0), (t1, s1) = seqs[0], seqs[-1]
    return (s1 - s0) / (t1 - t0), len(seqs)


def ktui_follow(ctx: Any, seconds: float) -> dict[str, Any]:
    """One ktui run: open the pane on the pod, follow for ``seconds``."""
    c = ktui_child("app", ctx.sim.kubeconfig, "--expect", "1", "-n", NAMESPACE)
    try:
        c.wait_event("ready", ctx.timeout)
        ev = c.ask({"cmd": "logs", "seconds": seconds}, "logs", seconds + 60)
        c.send({"cmd": "quit"})
    finally:
        c.finish(30)
    rate = (ev["last_seq"] - ev["first_seq"]) / ev["span"] if ev["span"] > 0 else float("nan")
    return {**ev, "rate": rate}


def run(ctx: Any) -> Report:
    """Alternate ktui and kubectl follows on one flood."""
    rep = Report("B6")
    seconds = 5.0 if ctx.quick else 35.0  # ~10M lines at the flood's 300k/s: "flat from 1M to 10M"
    asked = 300_000
    ctx.sim.request("apply", yaml=MANIFEST.replace("__RATE__", str(asked)))
    ctx.sim.request("wait_running", namespace=NAMESPACE, name=POD, timeout=60)
    runs = 2
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(ktui_follow(ctx, seconds))
        theirs.append(kubectl_follow(ctx.sim_env, seconds))
        o = ours[-1]
        rep.note(f"ktui {o['rate']:,.0f} lines/s shown (first line after {fmt(o['first_line'], 's')}, "
                 f"{o['held']} held, loop stall max {fmt(o['stall_max'] * 1000, 'ms')}, RSS "
                 f"{fmt(o['rss0'], 'B')} -> {fmt(o['rss'], 'B')} over "
                 f"{o['last_seq'] - o['first_seq']:,} lines) | "
                 f"kubectl {theirs[-1][0]:,.0f} lines/s")
    rate, k_rate = median(o["rate"] for o in ours), median(k[0] for k in theirs)
    rep.note(f"the flood was asked for {asked:,}/s; kubectl's rate is the most the sandbox delivered")
    rep.figure("lines/s displayed", rate, k_rate, "/s", ">= 50,000/s")
    stall = max(o["stall_max"] for o in ours)
    rep.note(f"longest loop stall while following {fmt(stall * 1000, 'ms')} (bounds key -> frame) "
             "[target <= 50 ms]")
    growth = median(o["rss"] - o["rss0"] for o in ours)
    rep.note(f"RSS growth over one follow {fmt(growth, 'B')} (the view keeps at most 100k lines)")
    late = [o["rss"] - o["rss_1m"] for o in ours if o.get("rss_1m")]
    if late:
        lines = median(o["last_seq"] - o["first_seq"] for o in ours)
        rep.note(f"RSS growth from the 1,000,000th line to the last (~{lines / 1e6:.1f}M): "
                 f"{fmt(median(late), 'B')} [target: flat]")
    rep.final(f"{rate:,.0f} lines/s shown, stall {fmt(stall * 1000, 'ms')}", f"{k_rate:,.0f} lines/s",
              f"{rate / k_rate:.2f}")
    return rep
