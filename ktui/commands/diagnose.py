"""``ktui diagnose``: say what is wrong with every object, why, and what to do, headless.

Live (``--context``, ``--kubeconfig``, ``-n``/``-A``, ``-l``) or from dump files (``--file``, repeatable;
all namespaces unless ``-n``). Exit 0 when nothing is wrong, 1 when errors or warnings were found, 2 on
usage, connection or input errors (one line on stderr, never a traceback). ``--json`` prints
``{"findings": [...]}``. Findings that could not be verified (RBAC) are shown but do not fail the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ktui.cli import UsageError

MAX_LOG_FETCHES = 15
"""At most this many containers get their logs fetched: a broken namespace must not mean 500 requests."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``diagnose`` subcommand."""
    from ktui.cli import add_cluster_options

    parser = subparsers.add_parser(
        "diagnose",
        help="say what is wrong, why, and what to do (live or from dump files)",
        description="Diagnose every pod, Service, Ingress, workload, node and claim: the root cause in "
        "plain words, the evidence, next steps and kubectl commands. Exit 0 when nothing is "
        "wrong, 1 when problems were found, 2 on usage, connection or input errors.",
    )
    add_cluster_options(parser)
    parser.add_argument(
        "-l", "--selector", metavar="SELECTOR", help="only objects with these labels (e.g. app=web,tier!=db)"
    )
    parser.add_argument(
        "-f",
        "--file",
        action="append",
        metavar="DUMP",
        help="read a dump (kubectl -o json/yaml List, multi-doc YAML, a directory) "
        "instead of a cluster; repeatable",
    )
    parser.add_argument("--json", action="store_true", help='print {"findings": [...]} as JSON')
    parser.add_argument("--problems-only", action="store_true", help="leave out objects that are fine")


def run(args: argparse.Namespace) -> int:
    """Load the snapshot (cluster or dumps), diagnose, print; the exit code says whether all is well."""
    from ktui.diagnosis import diagnose
    from ktui.diagnosis.labels import SelectorError, parse_selector

    selector = getattr(args, "selector", None)
    try:
        matcher = parse_selector(selector) if selector else None
    except SelectorError as exc:
        raise UsageError(str(exc)) from None
    namespace = getattr(args, "namespace", None)
    all_ns = bool(getattr(args, "all_namespaces", False))
    if args.file:
        if getattr(args, "context", None) or getattr(args, "kubeconfig", None):
            raise UsageError("--file reads a dump: it takes no --context or --kubeconfig")
        snapshot = _load_dumps(args.file)
        where = namespace if namespace and not all_ns else None
    else:
        snapshot, where = _load_live(args, None if all_ns else namespace, selector)
    result = diagnose(snapshot)
    findings = _select(snapshot, result.findings, where, matcher, args.problems_only)
    try:
        if args.json:
            sys.stdout.write(json.dumps({"findings": [f.to_dict() for f in findings]}, indent=2) + "\n")
        else:
            _print_human(findings, result, snapshot)
        sys.stdout.flush()
    except BrokenPipeError:  # `ktui diagnose | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    failing = any(f.severity.value in ("error", "warning") for f in findings)
    return 1 if failing else 0


def _load_dumps(paths: list[str]) -> Any:
    from ktui.dumps import DumpError, load_dumps

    try:
        return load_dumps(paths)
    except DumpError as exc:
        raise UsageError(str(exc)) from None


def _load_live(
    args: argparse.Namespace, namespace: str | None, selector: str | None
) -> tuple[Any, str | None]:
    from ktui.kube.client import KubeError, connect
    from ktui.kube.snapshot import load_snapshot

    try:
        conn = connect(getattr(args, "kubeconfig", None), getattr(args, "context", None))
    except KubeError as exc:
        raise UsageError(exc.message) from None
    try:
        ns = conn.scope(bool(getattr(args, "all_namespaces", False)), namespace)
        snapshot = load_snapshot(conn, ns, selector)
        snapshot = _with_logs(conn, snapshot)
    except KubeError as exc:
        raise UsageError(exc.message) from None
    finally:
        conn.close()
    return snapshot, ns


def _with_logs(conn: Any, snapshot: Any) -> Any:
    """Read the last log lines of crashed containers (the TUI picks them by the same rule), to quote them."""
    import msgspec

    from ktui.kube.client import KubeError
    from ktui.kube.logs import fetch_logs
    from ktui.model.crash_logs import LOG_TAIL, log_lines, select_requests

    logs: dict[str, tuple[str, ...]] = dict(snapshot.logs)
    for rq in select_requests(snapshot.pods, MAX_LOG_FETCHES):
        if rq.key in logs:
            continue
        try:
            text = fetch_logs(
                conn, rq.namespace, rq.pod, rq.container, previous=rq.previous, tail_lines=LOG_TAIL
            )
        except KubeError:
            continue  # logs are evidence, not required: the diagnosis stands without them
        if lines := log_lines(text, LOG_TAIL):
            logs[rq.key] = lines
    return msgspec.structs.replace(snapshot, logs=logs) if logs != snapshot.logs else snapshot


def _labels_by_subject(snapshot: Any) -> dict[tuple[str, str, str], dict[str, str]]:
    from ktui.resources import SNAPSHOT_FIELD_BY_KIND

    out: dict[tuple[str, str, str], dict[str, str]] = {}
    for kind, field in SNAPSHOT_FIELD_BY_KIND.items():
        for obj in getattr(snapshot, field, ()):
            out[(kind, obj.metadata.namespace, obj.metadata.name)] = obj.metadata.labels or {}
    return out


def _select(
    snapshot: Any, findings: tuple[Any, ...], namespace: str | None, matcher: Any, problems_only: bool
) -> list[Any]:
    """Filter by namespace (cluster-scoped objects only without -n), labels, and problems."""
    labels = _labels_by_subject(snapshot) if matcher is not None else {}
    out = []
    for f in findings:
        s = f.subject
        if namespace is not None and s.namespace != namespace:
            continue
        if matcher is not None and not matcher(labels.get((s.kind, s.namespace, s.name), {})):
            continue
        if problems_only and not f.is_problem:
            continue
        out.append(f)
    return out


# ---------------------------------------------------------------------------------------- human output

_GROUPS = (
    ("Pods", ("Pod",)),
    ("Services", ("Service",)),
    ("Ingresses", ("Ingress",)),
    ("Workloads", ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")),
    ("Storage", ("PersistentVolumeClaim",)),
    ("Nodes", ("Node",)),
)
_STYLE = {"error": "bold red", "warning": "yellow", "unknown": "magenta", "info": "green"}
_MARK = {"error": "✗", "warning": "!", "unknown": "?", "info": "✓"}


def _print_human(findings: list[Any], result: Any, snapshot: Any) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    by_subject: dict[tuple[str, str, str], list[Any]] = {}
    for f in findings:
        by_subject.setdefault((f.subject.kind, f.subject.namespace, f.subject.name), []).append(f)
    if not by_subject:
        console.print(Text("No objects matched.", style="dim"))
    known_kinds = {k for _, kinds in _GROUPS for k in kinds}
    groups = [*_GROUPS, ("Other", tuple({k for k, _, _ in by_subject} - known_kinds))]
    for title, kinds in groups:
        subjects = [(key, fs) for key, fs in by_subject.items() if key[0] in kinds]
        if not subjects:
            continue
        subjects.sort(key=lambda item: (_rank(item[1]), item[0][1], item[0][2]))
        console.print(Text(title, style="bold underline"))
        for (kind, ns, name), fs in subjects:
            _print_subject(console, kind, ns, name, fs)
        console.print()
    counts: dict[str, int] = {}
    for fs in by_subject.values():
        worst = min((f.severity.value for f in fs), key=list(_STYLE).index)
        counts[worst] = counts.get(worst, 0) + 1
    parts = [
        Text(f"{n} {label}", style=_STYLE[key])
        for key, label in (
            ("error", "with errors"),
            ("warning", "with warnings"),
            ("unknown", "not verifiable"),
            ("info", "healthy"),
        )
        if (n := counts.get(key, 0))
    ]
    line = Text(f"{len(by_subject)} objects: ")
    line.append_text(Text(", ").join(parts) if parts else Text("none"))
    if snapshot.forbidden:
        line.append(f"  (forbidden: {', '.join(sorted(snapshot.forbidden))})", style="magenta")
    console.print(line)


def _rank(fs: list[Any]) -> int:
    return min(list(_STYLE).index(f.severity.value) for f in fs)


def _print_subject(console: Any, kind: str, ns: str, name: str, fs: list[Any]) -> None:
    from rich.text import Text

    root = fs[0]
    sev = root.severity.value
    where = f"{ns}/{name}" if ns else name
    head = Text(f"{_MARK[sev]} ", style=_STYLE[sev])
    head.append(f"{kind} {where}", style="bold")
    if not root.is_problem:
        head.append(f"  {root.summary}", style="dim")
        console.print(head)
        return
    head.append(f"  {root.category} [{root.code}]", style=_STYLE[sev])
    console.print(head)
    console.print(Text("    ").append(root.summary, style=_STYLE[sev]))
    if root.detail:
        console.print(Text(f"      {root.detail}", style="dim"))
    for line in root.evidence[:8]:
        console.print(Text(f"      · {line}", style="dim"))
    for step in root.next_steps:
        console.print(Text(f"      → {step}"))
    for cmd in root.commands[:4]:
        console.print(Text(f"      $ {cmd}", style="cyan"))
    for f in fs[1:]:
        if f.is_problem:
            console.print(Text(f"    also ({f.category}): ", style="dim").append(f.summary))
