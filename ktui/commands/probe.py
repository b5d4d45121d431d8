"""``ktui probe pod/NAME[:PORT] | service/NAME[:PORT] | ingress/NAME``: one reachability test.

Exit 0 when the target answers, 1 when it does not, 2 on usage or connection errors (one line on
stderr, never a traceback). ``--json`` prints the ProbeResult (camelCase, like the API).
"""

from __future__ import annotations

import argparse
import sys

KINDS = {"pod": "Pod", "pods": "Pod", "po": "Pod", "service": "Service", "services": "Service",
         "svc": "Service", "ingress": "Ingress", "ingresses": "Ingress", "ing": "Ingress"}
"""Accepted TYPE/ spellings, as kubectl accepts them."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``probe`` subcommand."""
    from ktui.cli import add_cluster_options

    parser = subparsers.add_parser(
        "probe", help="test a pod, service or ingress the way traffic reaches it",
        description="Port-forward to a pod, a Service's ready endpoint (with Service port mapping) or the "
                    "ingress controller, send a request and say what answered. Exit 0 when the target "
                    "answers, 1 when it does not, 2 on usage or connection errors.",
    )
    parser.add_argument("target", metavar="TYPE/NAME[:PORT]",
                        help="pod/NAME[:PORT], service/NAME[:PORT] or ingress/NAME (PORT: number or name)")
    parser.add_argument("--path", default=None, help="HTTP path to request (default: / or the rule's path)")
    parser.add_argument("--host", default=None, help="Host header for an ingress probe (default: the rule's)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--no-proxy", action="store_true",
                        help="service probe: skip the API server's service proxy leg")
    add_cluster_options(parser)


def parse_target(text: str) -> tuple[str, str, int | str | None]:
    """('Pod', 'web', 8080) from 'pod/web:8080'; ValueError with a one-line message."""
    kind_text, sep, rest = text.partition("/")
    if not sep or not rest:
        raise ValueError(f"target {text!r} must be TYPE/NAME "
                         "(pod/NAME[:PORT], service/NAME[:PORT], ingress/NAME)")
    kind = KINDS.get(kind_text.lower())
    if kind is None:
        raise ValueError(f"unknown type {kind_text!r}: use pod, service or ingress")
    name, _, port_text = rest.partition(":")
    if not name:
        raise ValueError(f"target {text!r} has no name")
    port: int | str | None = None
    if port_text:
        if kind == "Ingress":
            raise ValueError("an ingress probe takes no port: use --path and --host")
        port = int(port_text) if port_text.isdigit() else port_text
        if isinstance(port, int) and not 0 < port < 65536:
            raise ValueError(f"port {port} is out of range 1-65535")
    return kind, name, port


def _print_human(result: object) -> None:
    from ktui.resources import ProbeResult

    assert isinstance(result, ProbeResult)
    mark = "ok" if result.ok else "FAIL"
    print(f"{mark}: {result.summary}")
    if result.tested:
        print(f"  tested: {result.tested}")
    for line in result.detail.splitlines():
        print(f"  {line}")


def run(args: argparse.Namespace) -> int:
    """Connect, take a snapshot of the namespace, run the probe, print and exit by its verdict."""
    import msgspec

    from ktui.cli import UsageError
    from ktui.kube.client import KubeError, connect
    from ktui.kube.snapshot import load_snapshot
    from ktui.probes import run_probe
    from ktui.probes.pod import ProbeUsageError
    from ktui.resources import Ref

    try:
        kind, name, port = parse_target(args.target)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if getattr(args, "all_namespaces", False):
        raise UsageError("probe takes one namespace (-n), not -A")
    if args.path is not None and not args.path.startswith("/"):
        raise UsageError(f"--path must start with / (got {args.path!r})")
    try:
        conn = connect(args.kubeconfig, args.context)
        namespace = args.namespace or conn.namespace
        snapshot = load_snapshot(conn, namespace)
        result = run_probe(conn, snapshot, Ref(kind=kind, namespace=namespace, name=name), port=port,
                           path=args.path, host=args.host, proxy=not args.no_proxy)
    except ProbeUsageError as exc:
        raise UsageError(str(exc)) from None
    except KubeError as exc:
        print(f"ktui: error: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        _print_human(result)
    return 0 if result.ok else 1
