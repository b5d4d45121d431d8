"""B2: memory per cached pod, peak vs steady, GC pauses; kubectl's max RSS as the baseline.

Per pod = (RSS after the sync, after a full collection) - (RSS when the source starts: imports done,
app mounted, no data), / N, from runs of their own: ``ktui`` lists its first page while the UI
imports and mounts (``ClusterSource.prefetch``), so in B1's runs there is no moment with the app
mounted and no data. These runs start listing when the app starts its source (``--no-prefetch``);
what ends up cached is the same. Peak (the process's max RSS, wait4) and steady RSS come from B1's
runs, started as ``ktui`` starts. One more run under tracemalloc gives Python-heap bytes per pod. GC:
the worst automatic collection during start-up and sync (gc.callbacks) and one forced full
``gc.collect()`` with everything cached.
"""

from __future__ import annotations

from typing import Any

from bench.b1_sync import ktui_sync_run, kubectl_run
from bench.harness import Report, fmt, ktui_child, median, run_kubectl


def traced_per_pod(kubeconfig: Any, pods: int, timeout: float) -> float:
    """Python-heap bytes per pod held after the sync (tracemalloc; slow, so one run)."""
    c = ktui_child("app", kubeconfig, "--expect", str(pods), "--tracemalloc", "--no-prefetch")
    try:
        src = c.wait_event("source_start", timeout * 3)
        ready = c.wait_event("ready", timeout * 3)
        c.send({"cmd": "quit"})
    finally:
        c.finish(30)
    return float(ready["traced"] - src["traced"]) / pods


def run(ctx: Any) -> Report:
    """Uses B1's runs when there are some, else makes its own."""
    rep = Report("B2")
    n = ctx.pods
    b1: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ctx.data.get("b1") or ([], [])
    ours, theirs = b1
    if not ours:
        for _ in range(ctx.runs):
            ours.append(ktui_sync_run(ctx.sandbox.kubeconfig, n, ctx.timeout))
            theirs.append(kubectl_run(ctx.kenv, n))
    kubeconfig = ctx.sandbox.kubeconfig
    baseline = [ktui_sync_run(kubeconfig, n, ctx.timeout, prefetch=False) for _ in range(ctx.runs)]
    per_pod = median((o["rss"] - o["rss0"]) / n for o in baseline)
    steady = median(o["rss"] for o in ours)
    peak = median(o["peak"] for o in ours)
    k_rss = median(k["rss"] for k in theirs)
    rep.note(f"{n} pods: RSS steady {fmt(steady, 'B')}, peak {fmt(peak, 'B')} "
             f"(peak/steady {peak / steady:.2f}) [target <= 2]; "
             f"RSS with no data {fmt(median(o['rss0'] for o in baseline), 'B')} (runs without prefetch)")
    rep.note(f"RSS per cached pod: {fmt(per_pod, 'B')} [target <= 6 KB]")
    if not ctx.quick:
        traced = traced_per_pod(ctx.sandbox.kubeconfig, n, ctx.timeout)
        rep.note(f"tracemalloc per cached pod (records + rows + diagnosis + UI): {fmt(traced, 'B')}")
        js = run_kubectl(["get", "pods", "-A", "-o", "json"], ctx.kenv, timeout=600)
        rep.note(f"kubectl get pods -A -o json: max RSS {fmt(js.maxrss, 'B')}, exit {fmt(js.wall, 's')}")
    rep.figure("max RSS", peak, k_rss, "B", "<= 0.5x kubectl")
    gc_auto = max(o["gc_max"] for o in ours)
    gc_forced = median(o["gc_forced"] for o in ours)
    rep.note(f"GC: worst automatic pause during start+sync {fmt(gc_auto * 1000, 'ms')} "
             f"({median(o['gc_count'] for o in ours):.0f} collections); forced full collect with the "
             f"cache held {fmt(gc_forced * 1000, 'ms')} [target <= 16 ms]")
    worst = max(gc_auto, gc_forced) * 1000
    rep.final(f"{fmt(per_pod, 'B')}/pod, peak {fmt(peak, 'B')}, worst GC {fmt(worst, 'ms')}",
              f"max RSS {fmt(k_rss, 'B')}", f"{peak / k_rss:.2f}")
    return rep
