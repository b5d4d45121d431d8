"""B3: a watch storm (1,000 MODIFIED/s over all cached pods): lag to diagnosis and to frame, vs kubectl -w.

The sandbox process stamps each change with its send time (``sandbox.ktui.dev/sent-at``, CLOCK_MONOTONIC
ns). ktui (headless app) measures sent -> diagnosis done for a snapshot holding the change, and
sent -> the first frame composed after that snapshot was applied. ``kubectl get pods -A -w -o
custom-columns=...`` watches the same storm at the same time; its lag is sent -> line read by the
harness. At the end the ktui store must equal the server's (digest of uid:resourceVersion).
"""

from __future__ import annotations

from typing import Any

from bench.harness import KubectlWatch, Report, fmt, ktui_child, percentile


def run(ctx: Any, rate: float = 1000.0) -> Report:
    """One storm, ktui and kubectl watching it together."""
    rep = Report("B3")
    seconds = 15.0 if ctx.quick else 60.0
    n = ctx.pods
    c = ktui_child("app", ctx.sandbox.kubeconfig, "--expect", str(n))
    watch = KubectlWatch(ctx.kenv)
    try:
        c.wait_event("ready", ctx.timeout)
        watch.wait_lines(n + 1, ctx.timeout)
        c.ask({"cmd": "mark"}, "marked", 30)
        watch.mark()
        ctx.sandbox.request("storm", rate=rate, seconds=seconds)
        storm = ctx.sandbox.request("storm_wait", timeout=seconds + 120)
        server = ctx.sandbox.request("digest")
        cmd = {"cmd": "wait_digest", "digest": server["digest"], "timeout": 60}
        consistent = c.ask(cmd, "consistent", 90)
        r = c.ask({"cmd": "report"}, "report", 30)
        watch.wait_quiet(2.0, 60)
        c.send({"cmd": "quit"})
    finally:
        c.finish(30)
        k = watch.stop()
    rep.note(f"{n} pods, asked {rate:.0f}/s for {seconds:.0f}s: sandbox sent {storm['sent']} "
             f"({storm['achieved']:.0f}/s, sandbox CPU {storm['sandbox_cpu'] / storm['seconds'] * 100:.0f}%)")
    d, p = r["diag_lag"], r["paint_lag"]
    k_p50, k_p99 = percentile(watch.lags, 50), percentile(watch.lags, 99)
    rep.note(f"ktui: {r['snapshots']} snapshots, diagnosis+rows per snapshot p50 "
             f"{fmt(r['diag_time'].get('p50', float('nan')) * 1000, 'ms')} "
             f"max {fmt(r['diag_time'].get('max', float('nan')) * 1000, 'ms')}; "
             f"{r['frames']} frames, longest loop stall {fmt(r['stall_max'] * 1000, 'ms')}, "
             f"CPU {r['cpu'] / storm['seconds'] * 100:.0f}% of a core over the storm [target <= 35%]")
    rep.figure("sent -> diagnosis p50", d.get("p50"), k_p50, "s")
    rep.figure("sent -> diagnosis p99", d.get("p99"), k_p99, "s", "<= 100 ms")
    rep.figure("sent -> frame p99", p.get("p99"), k_p99, "s", "<= 2 frames + 50 ms = 83 ms; <= kubectl")
    rep.note(f"events with a measured lag: ktui {d.get('n', 0)} (the rest coalesced: a later change to the "
             f"same pod in the same snapshot), kubectl {len(watch.lags)} of {storm['sent']}")
    ok = consistent["ok"]
    rep.note(f"final store == server: {'yes' if ok else 'NO'} ({consistent['n']} pods, "
             f"{consistent.get('duplicates', 0)} duplicate rows); kubectl CPU {k.cpu:.1f}s in all")
    ctx.data["b3"] = r
    rep.final(f"p99 sent->diagnosis {fmt(d.get('p99'), 's')}, sent->frame {fmt(p.get('p99'), 's')}, "
              f"consistent={'yes' if ok else 'no'}",
              f"-w lag p99 {fmt(k_p99, 's')}", f"{p.get('p99', float('nan')) / k_p99:.2f}")
    return rep
