"""Reachability probes: pod, Service and Ingress, each through a port-forward, as ProbeResults.

``run_probe`` is the one entry the CLI and the TUI use; the per-kind modules hold the semantics.
"""

from __future__ import annotations

from ktui import resources as r
from ktui.kube.client import Connection


def run_probe(conn: Connection, snapshot: r.ClusterSnapshot, target: r.Ref, *, port: int | str | None = None,
              path: str | None = None, host: str | None = None, proxy: bool = True) -> r.ProbeResult:
    """Probe a Pod, Service or Ingress; KubeError / ProbeUsageError when it cannot be attempted."""
    from ktui.probes.ingress import probe_ingress
    from ktui.probes.pod import ProbeUsageError, probe_pod
    from ktui.probes.service import probe_service

    if target.kind == "Pod":
        return probe_pod(conn, snapshot, target.namespace, target.name, port, path=path or "/")
    if target.kind == "Service":
        return probe_service(conn, snapshot, target.namespace, target.name, port, path=path or "/",
                             proxy=proxy)
    if target.kind == "Ingress":
        return probe_ingress(conn, snapshot, target.namespace, target.name, path=path, host=host)
    raise ProbeUsageError(f"cannot probe a {target.kind}: choose a pod, service or ingress")
