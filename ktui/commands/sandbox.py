"""``ktui sandbox``: serve the simulated cluster on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import shlex
import signal
import sys
import threading
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sandbox`` subcommand."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run the sandbox cluster (a simulated Kubernetes API on 127.0.0.1)",
        description="Run the sandbox cluster: the real kubectl and ktui can talk to it.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--kubeconfig-out", metavar="PATH", type=Path, help="where to write the kubeconfig")
    parser.add_argument("--scenario", default="seed", help="scenario to load (default: seed)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated time speed-up (default: 1)")
    parser.add_argument(
        "--generate", metavar="PODS", type=int, default=0, help="also generate this many pods (benchmarks)"
    )
    parser.add_argument("--namespaces", metavar="N", type=int, default=10, help="namespaces for --generate")


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print how to use it, serve until SIGINT/SIGTERM."""
    from ktui.cli import UsageError
    from ktui.sandbox import scenarios
    from ktui.sandbox.runner import Sandbox

    if args.scenario not in scenarios.names():
        raise UsageError(f"unknown scenario {args.scenario!r}; known: {', '.join(scenarios.names())}")
    if args.speed <= 0:
        raise UsageError("--speed must be positive")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is out of range")
    sandbox = Sandbox(
        scenario=args.scenario, speed=args.speed, port=args.port, kubeconfig_path=args.kubeconfig_out
    )
    try:
        sandbox.start()
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
        raise UsageError(f"cannot start the sandbox: {exc}") from None
    stop = threading.Event()
    try:
        # SIGTERM ends the serve loop like Ctrl-C does; the handler only sets a flag
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if args.generate:
            from ktui.sandbox.controllers.objects import generated
            from ktui.sandbox.generate import generate

            count = sandbox.call(generate, sandbox.store, args.generate, args.namespaces, timeout=600)
            deployments = sandbox.call(
                lambda: sum(map(generated, sandbox.store.list("deployments.apps")[0]))
            )
            print(f"generated {count} pods in {args.namespaces} namespaces, and their {deployments} "
                  "Deployments with ReplicaSets, Services and EndpointSlices")
        path = shlex.quote(str(sandbox.kubeconfig.resolve()))
        print(f"ktui sandbox: scenario {args.scenario!r} serving on {sandbox.url}")
        print(f"export KUBECONFIG={path}")
        print("then try: kubectl get pods -A    (context ktui-sandbox, namespace default; Ctrl-C stops)")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
