"""Where ktui's time goes: one ktui child under py-spy, on a generated sandbox, optionally in a storm.

``python -m bench.profile [--pods 10000] [--storm 1000] [--seconds 15] [--mode app|feed] [--top 40] [--gil]``
records every thread's stacks with py-spy (``pip install py-spy``; not a ktui dependency) from the
child's start to its quit, and prints the hottest functions by own and cumulative samples per
thread, so a figure in ``python -m bench`` can be traced to the code that bounds it. The collapsed
stacks stay in the work directory for flame graphs.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
from pathlib import Path

from bench.harness import SandboxProc
from bench.proc import PYTHON, ROOT


def summarize(collapsed: Path, top: int) -> str:
    """Own and cumulative sample counts per function, per thread, from py-spy's collapsed output."""
    own: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    cum: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    totals: collections.Counter[str] = collections.Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        thread, frames = frames[0], frames[1:]
        n = int(count)
        totals[thread] += n
        if frames:
            own[thread][frames[-1]] += n
        for frame in set(frames):
            cum[thread][frame] += n
    out: list[str] = []
    for thread, total in totals.most_common():
        out.append(f"== {thread}: {total} samples")
        out.append("  own:")
        out += [f"    {n:6d} {n / total:6.1%}  {f}" for f, n in own[thread].most_common(top)]
        out.append("  cumulative:")
        out += [f"    {n:6d} {n / total:6.1%}  {f}" for f, n in cum[thread].most_common(top)]
    return "\n".join(out)


def main() -> int:
    """Generate, start the child under py-spy, storm, quit, summarize."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--storm", type=float, default=0.0, help="MODIFIED/s after the sync (0: none)")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--mode", choices=("app", "feed"), default="app")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL: where CPU goes, not where threads wait")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(PYTHON).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    with SandboxProc() as sandbox:
        sandbox.request("generate", pods=args.pods, namespaces=args.namespaces, timeout=900)
        out = sandbox.dir / "profile.txt"
        cmd = [spy, "record", "--threads", "--format", "raw", "--rate", str(args.rate),
               "--output", str(out), *(["--gil"] if args.gil else []),
               "--", PYTHON, "-m", "bench.ktui_child", args.mode,
               "--kubeconfig", str(sandbox.kubeconfig), "--expect", str(args.pods)]
        child = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 bufsize=1)
        assert child.stdin is not None and child.stdout is not None
        for line in child.stdout:
            if '"ev": "ready"' in line:
                break
        if args.storm:
            sandbox.request("storm", rate=args.storm, seconds=args.seconds)
            sandbox.request("storm_wait", timeout=args.seconds + 120)
        child.stdin.write('{"cmd": "quit"}\n')
        child.stdin.flush()
        child.wait(120)
        print(summarize(out, args.top))
        print(f"\ncollapsed stacks: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
