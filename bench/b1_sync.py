"""B1: time to the first screenful of pod rows and to the full sync with its first diagnosis, vs kubectl.

ktui: a fresh process each run (``bench.ktui_child app``, headless 160x50), timed from spawn to the
first composed frame with a screenful of rows (``first``) and to the later of "the diagnosis of the
snapshot holding every pod is done" and "the frame showing it is composed" (``full``). kubectl:
``kubectl get pods -A`` from spawn to its first stdout line and to its exit. Runs alternate, 5 each.
"""

from __future__ import annotations

from typing import Any

from bench.harness import Report, fmt, ktui_child, median, run_kubectl


def ktui_sync_run(kubeconfig: Any, pods: int, timeout: float, *, prefetch: bool = True) -> dict[str, Any]:
    """One ktui start-to-synced run; also its memory and GC figures (B2 reads them).

    ``prefetch``: list while the UI imports and mounts, as ``ktui`` does; off, nothing is listed
    before the app starts its source (B2's per-pod baseline: "app mounted, no data").
    """
    c = ktui_child("app", kubeconfig, "--expect", str(pods), *([] if prefetch else ["--no-prefetch"]))
    try:
        src = c.wait_event("source_start", timeout)
        first = c.wait_event("first_rows", timeout)
        diag = c.wait_event("diagnosis", timeout)
        full = c.wait_event("full_paint", timeout)
        ready = c.wait_event("ready", timeout)
        c.send({"cmd": "report"})
        report = c.wait_event("report", 30)  # its gc_count counts start-up and sync collections
        forced = c.ask({"cmd": "gc"}, "gc", 30)
        c.send({"cmd": "quit"})
    finally:
        timed = c.finish(30)
    return {
        "first": first["t_frame"] - c.start, "full": max(full["t_frame"], diag["t_diag"]) - c.start,
        "boot": src["t"] - c.start, "sync_in_app": diag["t_diag"] - src["t"],
        "diag_seconds": diag["seconds"], "rss0": src["rss"], "rss": ready["rss"],
        "peak": timed.maxrss, "gc_forced": forced["seconds"], "gc_max": ready["gc_auto"],
        "gc_count": report["gc_count"], "cpu": timed.cpu,
    }


def kubectl_run(env: dict[str, str], pods: int) -> dict[str, Any]:
    """One ``kubectl get pods -A``."""
    t = run_kubectl(["get", "pods", "-A"], env)
    return {"first": t.first_line, "exit": t.wall, "rss": t.maxrss, "lines": len(t.lines), "cpu": t.cpu,
            "ok": t.code == 0 and len(t.lines) >= pods}


def run(ctx: Any) -> Report:
    """Alternate ktui and kubectl runs on the same server; store the runs for B2."""
    rep = Report("B1")
    n = ctx.pods
    ours, theirs = [], []
    for i in range(ctx.runs):
        ours.append(ktui_sync_run(ctx.sandbox.kubeconfig, n, ctx.timeout))
        theirs.append(kubectl_run(ctx.kenv, n))
        o, k = ours[-1], theirs[-1]
        rep.note(f"run {i + 1}: ktui first {fmt(o['first'], 's')} full {fmt(o['full'], 's')} | kubectl first "
                 f"{fmt(k['first'], 's')} exit {fmt(k['exit'], 's')} ({k['lines']} lines)")
    ctx.data["b1"] = (ours, theirs)
    first, full = median(o["first"] for o in ours), median(o["full"] for o in ours)
    k_first, k_exit = median(k["first"] for k in theirs), median(k["exit"] for k in theirs)
    rep.note(f"{n} pods; medians of {ctx.runs}. ktui process start to app start (imports, connect, mount): "
             f"{fmt(median(o['boot'] for o in ours), 's')}; app start to synced+diagnosed: "
             f"{fmt(median(o['sync_in_app'] for o in ours), 's')}; one diagnosis+rows pass "
             f"{fmt(median(o['diag_seconds'] for o in ours), 's')}")
    rep.figure("first screen", first, k_first, "s", "<= 0.15x kubectl first line and <= 500 ms")
    rep.figure("full sync + diagnosis", full, k_exit, "s", "<= 0.5x kubectl exit")
    ingest = median(o["sync_in_app"] for o in ours) / n * 1e6
    rep.note(f"ingest per pod (app start to synced, / N): {fmt(ingest, 'us')}"
             " [budget <= 30 us]")
    if not all(k["ok"] for k in theirs):
        rep.note("WARNING: a kubectl run failed or printed fewer lines than pods")
    ctx.data["b1_full"] = full
    rep.final(f"first screen {fmt(first, 's')}, full {fmt(full, 's')}",
              f"{fmt(k_first, 's')}, {fmt(k_exit, 's')}", f"{first / k_first:.2f}, {full / k_exit:.2f}")
    return rep


def scale(ctx: Any, pods: int, runs: int = 3) -> Report:
    """B1 at a second size (the 20k/10k ratio): ktui only, ``runs`` runs."""
    rep = Report("B1-scale")
    fulls = [ktui_sync_run(ctx.sandbox.kubeconfig, pods, ctx.timeout)["full"] for _ in range(runs)]
    k = [kubectl_run(ctx.kenv, pods) for _ in range(runs)]
    full, base = median(fulls), ctx.data.get("b1_full")
    k_exit = median(x["exit"] for x in k)
    rep.figure(f"full sync at {pods} pods", full, k_exit, "s")
    ratio = f"{full / base:.2f}" if base else "n/a"
    rep.note(f"T_full({pods}) / T_full({ctx.pods}) = {ratio} [target <= 2.2]")
    rep.final(f"full {fmt(full, 's')} at {pods} pods, x{ratio} of {ctx.pods}", fmt(k_exit, "s"),
              f"{full / k_exit:.2f}")
    return rep
