"""Pod probe: port-forward to a containerPort, connect, GET / a few times, and say what happened.

Port choice when none is given: the first declared port that looks like HTTP (named ``http*``/
``web``, or a number not known for another protocol), else the first declared port; the other
declared ports are listed in the result's detail so the user can probe them by name or number.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ktui import resources as r
from ktui.kube.client import Connection
from ktui.model.paths import CONTAINER_PORT, POD, is_ready, pod_summary
from ktui.probes.http import Outcome, http_get, is_http_port, tcp_check, uses_tls


class ProbeUsageError(ValueError):
    """A probe asked for something that does not exist (a port, a target): one line, exit 2."""


def now() -> datetime:
    """The timestamp of a probe result."""
    return datetime.now(UTC)


def declared_ports(pod: r.Pod) -> list[r.ContainerPort]:
    """Every TCP port the pod's containers declare, in spec order."""
    return [cp for c in pod.spec.containers for cp in c.ports if cp.protocol == "TCP"]


def pick_port(pod: r.Pod, port: int | str | None) -> tuple[int, str | None]:
    """(number, name) of the port to probe; ProbeUsageError when it cannot be found."""
    declared = declared_ports(pod)
    listed = ", ".join(f"{cp.container_port}{'/' + cp.name if cp.name else ''}" for cp in declared) or "none"
    if port is None:
        if not declared:
            raise ProbeUsageError(f"pod {pod.metadata.name} declares no containerPort: "
                                  f"name one (pod/{pod.metadata.name}:PORT)")
        http_like = [cp for cp in declared if is_http_port(cp.container_port, cp.name)]
        chosen = (http_like or declared)[0]
        return chosen.container_port, chosen.name
    if isinstance(port, int) or port.isdigit():
        number = int(port)
        if not 0 < number < 65536:
            raise ProbeUsageError(f"port {port} is out of range 1-65535")
        name = next((cp.name for cp in declared if cp.container_port == number), None)
        return number, name
    for cp in declared:
        if cp.name == port:
            return cp.container_port, cp.name
    raise ProbeUsageError(f'pod {pod.metadata.name} does not have a named port "{port}" (ports: {listed})')


def port_text(number: int, name: str | None) -> str:
    """'web (80)' for a named port, '80' otherwise."""
    return f"{name} ({number})" if name else str(number)


def check_port(conn: Connection, namespace: str, pod: str, port: int, *, name: str | None = None,
               path: str = "/", host: str | None = None, count: int = 3) -> Outcome:
    """Forward to pod:port for the time of the check; HTTP GET or TCP-only as the port suggests."""
    from ktui.kube.portforward import PortForwardSession  # when a probe runs (see probes.http)

    with PortForwardSession(conn, namespace, pod, port) as session:
        if is_http_port(port, name):
            return http_get(session, path=path, host=host, count=count, tls=uses_tls(port, name))
        return tcp_check(session)


def describe(outcome: Outcome) -> str:
    """'HTTP 200 OK' / 'TCP open' / the failure cause, short."""
    first = outcome.attempts[0] if outcome.attempts else None
    if outcome.error:
        return outcome.error
    if first is None:
        return "no attempt made"
    if outcome.tcp_only:
        return f"TCP {first.reason or 'open'}"
    return f"HTTP {outcome.status_code} {first.reason}".rstrip()


def outcome_detail(outcome: Outcome, extra: list[str] | None = None) -> str:
    """Multi-line detail: each attempt, the first bytes, then extra lines."""
    lines = []
    for i, a in enumerate(outcome.attempts, 1):
        if a.error:
            lines.append(f"attempt {i}: {a.error}")
        elif a.status is not None:
            lines.append(f"attempt {i}: HTTP {a.status} {a.reason} in {a.latency_ms} ms")
        else:
            lines.append(f"attempt {i}: TCP {a.reason or 'open'} in {a.latency_ms} ms")
    if outcome.first_bytes:
        lines.append(f"first bytes: {outcome.first_bytes}")
    if outcome.latency_text():
        lines.append(outcome.latency_text())
    return "\n".join(lines + (extra or []))


def answered_ok(outcome: Outcome) -> bool:
    """The target answers: a TCP connection that holds, or an HTTP status below 500."""
    if not outcome.answered:
        return False
    return outcome.tcp_only or (outcome.status_code or 0) < 500


def probe_pod(conn: Connection, snapshot: r.ClusterSnapshot, namespace: str, name: str,
              port: int | str | None = None, *, path: str = "/") -> r.ProbeResult:
    """Port-forward to the pod and test one port."""
    pod = next((p for p in snapshot.pods
                if p.metadata.namespace == namespace and p.metadata.name == name), None)
    target = r.Ref(kind="Pod", namespace=namespace, name=name, uid=pod.metadata.uid if pod else "")
    if pod is None:
        return r.ProbeResult(target=target, ok=False, tested=f"pod {namespace}/{name}", hop=POD, at=now(),
                             summary=f'pod "{name}" not found in namespace {namespace}')
    if pod.status.phase != "Running" or pod.metadata.deletion_timestamp is not None:
        state = pod_summary(pod)
        return r.ProbeResult(target=target, ok=False, tested=f"pod {name}", hop=POD, at=now(),
                             summary=f"pod {name} is not running ({state}): nothing listens yet",
                             detail="a port-forward needs a running pod (kubectl: unable to forward port "
                                    f"because pod is not running. Current status={pod.status.phase})")
    number, port_name = pick_port(pod, port)
    outcome = check_port(conn, namespace, name, number, name=port_name, path=path)
    ok = answered_ok(outcome)
    shown = port_text(number, port_name)
    others = [port_text(cp.container_port, cp.name)
              for cp in declared_ports(pod) if cp.container_port != number]
    extra = [f"other declared ports: {', '.join(others)}"] if others else []
    if not is_ready(pod):
        extra.append(f"note: the pod is not Ready ({pod_summary(pod)}): Services send it no traffic")
    if ok:
        summary = f"pod {name} port {shown} answers {describe(outcome)}"
        if outcome.latency_ms is not None:
            summary += f" ({outcome.latency_ms} ms)"
    elif outcome.error:
        from ktui.kube.portforward_stream import classify

        summary = f"pod {name}: {classify(outcome.error, number)} (port {shown})"
    else:
        summary = f"pod {name} port {shown} answers {describe(outcome)}"
    return r.ProbeResult(
        target=target, ok=ok, tested=f"pod {name} port {shown} through port-forward {path}",
        summary=summary, detail=outcome_detail(outcome, extra), hop=CONTAINER_PORT,
        port=number, status_code=outcome.status_code, latency_ms=outcome.latency_ms, at=now(),
    )
