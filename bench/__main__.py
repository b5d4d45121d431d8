"""``python -m bench [--only B1,B3] [--pods 10000] [--quick]``: ktui vs kubectl on one sandbox, B1..B8.

Prints detail lines as it goes and, per benchmark, a last line ``NAME: value (kubectl value, ratio)``;
a summary of those lines closes the run. A benchmark that cannot run prints why and the run goes on.
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import b1_sync, b2_memory, b3_storm, b4_saturation, b5_ui, b6_logs, b7_probe, b8_relist
from bench.harness import Report, SandboxProc, calibrate, fresh_kubectl_cache, machine, preflight

ALL = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8")


@dataclass
class Context:
    """What the benchmarks share: the sandboxes, kubectl's environment, earlier results."""

    pods: int
    quick: bool
    runs: int
    timeout: float
    workdir: Path
    sandbox: Any = None
    kenv: dict[str, str] = field(default_factory=dict)
    sim: Any = None
    sim_env: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


def _attempt(name: str, fn: Any, *args: Any) -> Report:
    print(f"\n== {name}", flush=True)
    t0 = time.monotonic()
    try:
        rep: Report = fn(*args)
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        rep = Report(name)
        rep.note("".join(traceback.format_exception_only(exc)).strip())
        rep.final(f"not measured ({type(exc).__name__})")
    print(f"  ({time.monotonic() - t0:.0f}s)", flush=True)
    return rep


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; exit 0 when they ran (figures missing targets are reported, not failed)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated subset, e.g. B1,B3")
    parser.add_argument("--pods", type=int, default=None,
                        help="generated pods (default 10000; 1000 with --quick)")
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="1k pods, short storms, fewer runs (< 2 min)")
    parser.add_argument("--runs", type=int, default=None,
                        help="alternating runs per tool (default 5; 3 quick)")
    parser.add_argument("--scale", type=int, default=None,
                        help="second size for B1 scaling and B8 (default 2x pods; off with --quick)")
    parser.add_argument("--pods-only", action="store_true",
                        help="generate pods and their events only, without the Deployments, ReplicaSets, "
                             "Services and EndpointSlices a cluster keeps for them")
    args = parser.parse_args(argv)
    only = [b.strip().upper() for b in args.only.split(",") if b.strip()] or list(ALL)
    unknown = [b for b in only if b not in ALL]
    if unknown:
        known = ", ".join(ALL)
        print(f"python -m bench: unknown benchmark {', '.join(unknown)}; known: {known}", file=sys.stderr)
        return 2
    pods = args.pods or (1000 if args.quick else 10000)
    scale = args.scale if args.scale is not None else (0 if args.quick else 2 * pods)
    workdir = Path(tempfile.mkdtemp(prefix="ktui-bench-"))
    ctx = Context(pods=pods, quick=args.quick, runs=args.runs or (3 if args.quick else 5),
                  timeout=60.0 if args.quick else 300.0, workdir=workdir)
    print(f"machine: {machine()}")
    # An installed ktui runs from bytecode (pip compiles it; an editable install writes it on first
    # import), but with PYTHONDONTWRITEBYTECODE set (as on the CI machines) every module edited since
    # its .pyc was written would be compiled from source in each measured start-up (~30 ms).
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "ktui", quiet=1)
    compileall.compile_dir(Path(__file__).resolve().parent, quiet=1)
    print(f"calibration: json.loads of a 5 MB document, GC paused: {calibrate() * 1000:.0f} ms")
    reports: list[Report] = []
    t_all = time.monotonic()
    try:
        if any(b in only for b in ("B1", "B2", "B3", "B4", "B5", "B8")):
            ctx.sandbox = SandboxProc(workdir=workdir / "cluster")
            workloads = not args.pods_only
            made = ctx.sandbox.request("generate", pods=pods, namespaces=args.namespaces, timeout=900,
                                       workloads=workloads)
            around = ", ".join(f"{n} {kind}" for kind, n in made.get("objects", {}).items())
            print(f"sandbox {ctx.sandbox.url}: {made['count']} pods in {args.namespaces} namespaces "
                  f"({made['seconds']:.1f}s); around them: {around or 'nothing (--pods-only)'}")
            for problem in preflight(ctx.sandbox):
                print(f"PREFLIGHT: {problem}")
            ctx.kenv = fresh_kubectl_cache(ctx.sandbox.kubeconfig, workdir)
            steps = [("B1", b1_sync.run), ("B2", b2_memory.run), ("B3", b3_storm.run),
                     ("B4", b4_saturation.run)]
            for name, fn in steps:
                if name in only:
                    reports.append(_attempt(name, fn, ctx))
            big = pods
            if scale > pods and any(b in only for b in ("B1", "B4", "B5", "B8")):
                # another prefix: new namespaces, so the generator's names cannot collide
                more = ctx.sandbox.request("generate", pods=scale - pods, namespaces=args.namespaces,
                                           prefix="bench-more", seed=1, timeout=900, workloads=workloads)
                big = pods + more["count"]
                print(f"\nsandbox grown to {big} pods")
                if "B1" in only:
                    reports.append(_attempt("B1-scale", b1_sync.scale, ctx, big, 3))
                if "B4" in only:
                    reports.append(_attempt("B4-scale", b4_saturation.scale, ctx, big))
            if "B5" in only:  # the B5 is on 20k rows: the grown sandbox when there is one
                reports.append(_attempt("B5", b5_ui.run, ctx, big))
            if "B8" in only:
                reports.append(_attempt("B8", b8_relist.run, ctx, big))
            ctx.sandbox.close()
            ctx.sandbox = None
        if "B6" in only or "B7" in only:
            ctx.sim = SandboxProc(simulate=True, workdir=workdir / "sim")
            ctx.sim_env = fresh_kubectl_cache(ctx.sim.kubeconfig, workdir)
            for name, fn in (("B6", b6_logs.run), ("B7", b7_probe.run)):
                if name in only:
                    reports.append(_attempt(name, fn, ctx))
    finally:
        for proc in (ctx.sandbox, ctx.sim):
            if proc is not None:
                proc.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n== summary ({pods} pods{', quick' if args.quick else ''}, {time.monotonic() - t_all:.0f}s)")
    for rep in reports:
        for line in rep.finals:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
