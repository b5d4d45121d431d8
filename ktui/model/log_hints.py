"""Log helpers: which containers have logs, and why one shows none, in the user's terms."""

from __future__ import annotations

from ktui import resources as r


def container_names(pod: r.Pod) -> list[str]:
    """Containers whose logs can be read: app containers first, then init containers."""
    default = (pod.metadata.annotations or {}).get("kubectl.kubernetes.io/default-container")
    names = [c.name for c in pod.spec.containers]
    if default in names:
        names.remove(default)
        names.insert(0, default)
    return names + [c.name for c in pod.spec.init_containers]


def why_no_logs(pod: r.Pod, container: str, previous: bool, server_error: str = "") -> str:
    """Why a container shows no log lines, in the user's terms (its state, else the server's words)."""
    statuses = {cs.name: cs for cs in (*pod.status.container_statuses, *pod.status.init_container_statuses)}
    cs = statuses.get(container)
    if not pod.spec.node_name:
        scheduled = next((c for c in pod.status.conditions if c.type == "PodScheduled"), None)
        detail = f": {scheduled.message}" if scheduled is not None and scheduled.message else ""
        return f"No logs: the pod is not scheduled to a node yet, so no container has started{detail}"
    state = cs.state if cs is not None else None
    if previous:
        last = cs.last_state.terminated if cs is not None and cs.last_state else None
        if last is None:
            return (
                f'No previous logs: container "{container}" has not restarted '
                f"(no terminated run to show)." + (f" Server: {server_error}" if server_error else "")
            )
    if state is not None and state.waiting is not None and not previous:
        reason = state.waiting.reason or "waiting"
        message = f": {state.waiting.message}" if state.waiting.message else ""
        restarts = cs.restart_count if cs is not None else 0
        hint = " Press p for the previous run's logs." if restarts else ""
        return f'No logs: container "{container}" is waiting to start ({reason}){message}.{hint}'
    if cs is None:
        return f'No logs: container "{container}" has no status yet.' + (
            f" Server: {server_error}" if server_error else ""
        )
    if server_error:
        return f"No logs: {server_error}"
    return f'Container "{container}" has written no log lines' + (
        " in its previous run." if previous else "."
    )
