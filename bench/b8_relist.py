"""B8: relist after 410 Gone with every pod cached: the UI loop's longest stall, time to be right again.

The sandbox forgets its watch history and ends every watch in one step on its loop, then deletes and
re-creates pods, so each reconnect gets 410 and must relist. ktui (headless app) reports its loop's
longest stall and longest frame gap over the window, and the time until its store equals the
server's, with the duplicate rows in its table. kubectl -w watches the same drop: the time to its
next printed event, or its exit.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import KubectlWatch, Report, fmt, ktui_child


def run(ctx: Any, pods: int | None = None) -> Report:
    """One drop with churn."""
    rep = Report("B8")
    n = pods or ctx.pods
    c = ktui_child("app", ctx.sandbox.kubeconfig, "--expect", str(n))
    watch = KubectlWatch(ctx.kenv)
    try:
        c.wait_event("ready", ctx.timeout)
        watch.wait_lines(n + 1, ctx.timeout)
        c.ask({"cmd": "mark"}, "marked", 30)
        before = watch.count
        t_drop = time.monotonic()
        exp = ctx.sandbox.request("expire", churn=20)
        server = ctx.sandbox.request("digest")
        cons = c.ask({"cmd": "wait_digest", "digest": server["digest"], "timeout": 120}, "consistent", 150)
        r = c.ask({"cmd": "report"}, "report", 30)
        watch.wait_quiet(2.0, 30)
        c.send({"cmd": "quit"})
    finally:
        c.finish(30)
        k = watch.stop()
    after = [t for t, _ in watch.child.lines[before:] if t > t_drop]
    k_next = after[0] - t_drop if after else float("nan")
    k_exited = k.code not in (-9, -15) and watch.child.proc.returncode is not None and k.end - t_drop < 30
    took = cons["t"] - t_drop
    rep.note(f"{n} pods; dropped {exp['dropped']} watches with history compacted, churn {exp['churn']} "
             "deleted + created")
    rep.note(f"ktui consistent again after {fmt(took, 's')} ({'ok' if cons['ok'] else 'NOT consistent'}), "
             f"{cons.get('rows')} rows, {cons.get('duplicates')} duplicates [target <= B1 full sync, 0 dup]")
    rep.note(f"ktui loop: longest stall {fmt(r['stall_max'] * 1000, 'ms')}, longest frame gap "
             f"{fmt(r['frame_gap_max'] * 1000, 'ms')}, worst GC {fmt(r['gc_max'] * 1000, 'ms')} "
             "[target <= 50 ms]")
    rep.note(f"kubectl -w: next line {fmt(k_next, 's')} after the drop; "
             f"{len(watch.child.lines) - before} lines "
             f"after it; exit code {k.code}{' (it ended on its own)' if k_exited else ''}")
    base = ctx.data.get("b1_full")
    if base:
        rep.note(f"consistent time / B1 full sync = {took / base:.2f} [target <= 1.0]")
    rep.final(f"stall {fmt(r['stall_max'] * 1000, 'ms')}, consistent in {fmt(took, 's')}, "
              f"dup {cons.get('duplicates')}", f"next event {fmt(k_next, 's')}",
              f"{took / k_next:.2f}" if k_next == k_next else "n/a")
    return rep
