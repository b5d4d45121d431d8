"""B5: the UI under load: keystroke -> frame and filter keystrokes on every row, during a 1,000 ev/s storm.

Headless app: a key is pressed (Pilot) and timed to the first composed frame in which its effect
holds (the cursor on another pod; the filter box holding the typed text). The filter's rebuild of
the row view is also timed alone. The loop's longest stall bounds every key's wait. kubectl has no
UI: the reference is ``kubectl get pods -A | grep`` (its full list time, from B1).
"""

from __future__ import annotations

from typing import Any

from bench.harness import Report, fmt, ktui_child, median, percentile


def run(ctx: Any, pods: int | None = None, rate: float = 1000.0) -> Report:
    """Keys and filter typing while the sandbox storms, on ``pods`` rows (default: the context's)."""
    rep = Report("B5")
    pods = pods or ctx.pods
    seconds = 12.0 if ctx.quick else 30.0
    c = ktui_child("app", ctx.sandbox.kubeconfig, "--expect", str(pods))
    try:
        c.wait_event("ready", ctx.timeout)
        idle_keys = None
        idle_keys = c.ask({"cmd": "keys", "keys": ["down"] * 10}, "keys", 120)["lat"]
        idle_rows = c.ask({"cmd": "row_update", "n": 50}, "row_update", 120)["seconds"]
        c.ask({"cmd": "mark"}, "marked", 30)
        ctx.sandbox.request("storm", rate=rate, seconds=seconds)
        seq = ["down", "down", "pagedown", "up", "down"] * 6
        keys = c.ask({"cmd": "keys", "keys": seq}, "keys", 300)["lat"]
        storm_rows = c.ask({"cmd": "row_update", "n": 50}, "row_update", 120)["seconds"]
        flt = c.ask({"cmd": "filter", "text": "web-5"}, "filter", 300)
        ctx.sandbox.request("storm_wait", timeout=seconds + 120)
        r = c.ask({"cmd": "report"}, "report", 30)
        c.send({"cmd": "quit"})
    finally:
        c.finish(30)
    k_list = None
    if ctx.data.get("b1"):
        k_list = median(k["exit"] for k in ctx.data["b1"][1])
    lat = [x for x in keys if x == x]
    for when, times in (("idle", idle_rows), ("during the storm", storm_rows)):
        rep.note(f"single-row update + frame ({when}): p50 {fmt(percentile(times, 50) * 1000, 'ms')} p99 "
                 f"{fmt(percentile(times, 99) * 1000, 'ms')} max {fmt(max(times) * 1000, 'ms')} over "
                 f"{len(times)} updates [target <= 2 ms]")
    rep.note(f"{pods} rows; idle key -> frame p50 {fmt(median(idle_keys) * 1000, 'ms')}")
    rep.note(f"during the storm: key -> frame p50 {fmt(percentile(lat, 50) * 1000, 'ms')} p99 "
             f"{fmt(percentile(lat, 99) * 1000, 'ms')} over {len(lat)} keys "
             f"({len(keys) - len(lat)} timed out) "
             f"[target p99 <= 50 ms]")
    f_lat, f_rebuild = flt["lat"], flt["rebuild"]
    rep.note(f"filter keystroke -> frame p50 {fmt(percentile(f_lat, 50) * 1000, 'ms')} max "
             f"{fmt(max(f_lat) * 1000, 'ms')}; row-view rebuild alone p50 "
             f"{fmt(percentile(f_rebuild, 50) * 1000, 'ms')} max {fmt(max(f_rebuild) * 1000, 'ms')} on "
             f"{flt['rows']} rows [target <= 30 ms]")
    rep.note(f"loop: longest stall {fmt(r['stall_max'] * 1000, 'ms')}, longest gap between frames "
             f"{fmt(r['frame_gap_max'] * 1000, 'ms')}, {r['frames']} frames in {r['seconds']:.1f}s")
    p99 = percentile(lat, 99)
    rep.final(f"key->frame p99 {fmt(p99 * 1000, 'ms')}, filter key max {fmt(max(f_lat) * 1000, 'ms')} "
              "under storm", f"list+grep {fmt(k_list, 's')}",
              f"{p99 / k_list:.3f}" if k_list else "n/a")
    return rep
