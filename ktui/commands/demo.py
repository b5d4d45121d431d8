"""``ktui demo``: start the sandbox with the seed scenario in the background and open the TUI on it.

The sandbox runs as a child process (``ktui sandbox --kubeconfig-out``), so the TUI talks to it over
real HTTP exactly as it would to a cluster; the child is stopped when the TUI exits.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY_TIMEOUT = 30.0
"""How long the sandbox may take to answer."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="start the sandbox (seed scenario) and open the TUI on it",
        description="Start the sandbox cluster with a scenario in the background and open the TUI on it.",
    )
    parser.add_argument("--scenario", default="seed", help="scenario to load (default: seed)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated time speed-up (default: 1)")


def start_sandbox(kubeconfig: Path, scenario: str, speed: float) -> subprocess.Popen[bytes]:
    """Start ``ktui sandbox`` as a child process; returns once its API answers."""
    from ktui.cli import UsageError
    from ktui.kube.client import KubeError, connect

    log = open(kubeconfig.with_name("sandbox.log"), "wb")  # noqa: SIM115 - closed with the process
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ktui",
            "sandbox",
            "--scenario",
            scenario,
            "--speed",
            str(speed),
            "--kubeconfig-out",
            str(kubeconfig),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + READY_TIMEOUT
    last_error = "no kubeconfig written yet"
    while time.monotonic() < deadline:
        if child.poll() is not None:
            log.close()
            output = kubeconfig.with_name("sandbox.log").read_text(errors="replace").strip().splitlines()
            raise UsageError(
                f"the sandbox exited ({child.returncode}): {output[-1] if output else 'no output'}"
            )
        if kubeconfig.exists():
            try:
                connect(str(kubeconfig)).check(timeout=2)
                return child
            except KubeError as exc:
                last_error = exc.message
        time.sleep(0.1)
    stop_sandbox(child)
    raise UsageError(f"the sandbox did not answer within {READY_TIMEOUT:.0f}s: {last_error}")


def stop_sandbox(child: subprocess.Popen[bytes]) -> None:
    """Stop the child (SIGTERM, then SIGKILL after a grace period)."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


def run(args: argparse.Namespace) -> int:
    """Sandbox up, TUI on it, sandbox down."""
    from ktui.commands.tui import build_app

    with tempfile.TemporaryDirectory(prefix="ktui-demo-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        print(f"ktui demo: starting the sandbox cluster (scenario {args.scenario!r})…", flush=True)
        child = start_sandbox(kubeconfig, args.scenario, args.speed)
        try:
            # The same app `ktui` builds (namespace, -l, --readonly), pointed at the sandbox.
            args.kubeconfig, args.context = str(kubeconfig), None
            app = build_app(args)
            app.run()
        finally:
            stop_sandbox(child)
    return app.return_code or 0
