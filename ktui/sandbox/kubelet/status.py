"""Pod status as the kubelet writes it: phase (``getPhase``), conditions, container statuses (§8.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktui.sandbox.kubelet.images import Image
    from ktui.sandbox.kubelet.runtime import Container


@dataclass
class Slot:
    """One spec container across its runs: the current and previous instance, waiting reason, readiness."""

    spec: dict[str, Any]
    init: bool = False
    current: Container | None = None
    last: Container | None = None
    restarts: int = 0
    waiting: tuple[str, str] | None = ("ContainerCreating", "")
    image: Image | None = None
    ready: bool = False
    started: bool = False
    probes: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The container name."""
        return str(self.spec.get("name", ""))

    @property
    def running(self) -> bool:
        """A run is in progress."""
        return self.current is not None and self.current.running

    @property
    def succeeded(self) -> bool:
        """The latest run exited 0 (init containers: done)."""
        return self.current is not None and self.current.exit_code == 0 and not self.waiting


def terminated(c: Container) -> dict[str, Any]:
    """``state.terminated`` for a finished run."""
    out: dict[str, Any] = {"exitCode": c.exit_code, "reason": c.reason}
    if c.message:
        out["message"] = c.message
    out.update(
        {"startedAt": c.started_at, "finishedAt": c.finished_at, "containerID": f"containerd://{c.id}"}
    )
    return out


def container_status(slot: Slot) -> dict[str, Any]:
    """One entry of ``containerStatuses`` / ``initContainerStatuses``."""
    cur = slot.current
    status: dict[str, Any] = {"name": slot.name}
    if slot.image is not None:
        status["image"] = slot.image.status_image
        status["imageID"] = slot.image.image_id
    else:
        status["image"] = str(slot.spec.get("image", ""))
        status["imageID"] = ""
    if cur is not None:
        status["containerID"] = f"containerd://{cur.id}"
    ready = bool(cur is not None and cur.running and slot.ready and not slot.waiting)
    started = bool(cur is not None and cur.running and slot.started)
    status.update({"ready": ready, "restartCount": slot.restarts, "started": started})
    if slot.waiting is not None:
        waiting: dict[str, Any] = {"reason": slot.waiting[0]}
        if slot.waiting[1]:
            waiting["message"] = slot.waiting[1]
        status["state"] = {"waiting": waiting}
        status["lastState"] = (
            {"terminated": terminated(cur)}
            if cur is not None and not cur.running
            else ({"terminated": terminated(slot.last)} if slot.last is not None else {})
        )
    elif cur is not None and cur.running:
        status["state"] = {"running": {"startedAt": cur.started_at}}
        status["lastState"] = {"terminated": terminated(slot.last)} if slot.last is not None else {}
    elif cur is not None:
        status["state"] = {"terminated": terminated(cur)}
        status["lastState"] = {"terminated": terminated(slot.last)} if slot.last is not None else {}
    else:
        status["state"] = {"waiting": {"reason": "ContainerCreating"}}
        status["lastState"] = {}
    return status


def phase(spec: dict[str, Any], inits: list[dict[str, Any]], mains: list[dict[str, Any]]) -> str:
    """k/k ``getPhase`` over the statuses just computed."""
    policy = spec.get("restartPolicy", "Always")
    pending_init = failed_init = 0
    for st in inits:
        state, last = st.get("state", {}), st.get("lastState", {})
        if "running" in state:
            pending_init += 1
        elif "terminated" in state:
            failed_init += state["terminated"]["exitCode"] != 0
        elif "terminated" in last:
            failed_init += last["terminated"]["exitCode"] != 0
        else:
            pending_init += 1
    running = waiting = stopped = succeeded = 0
    for st in mains:
        state, last = st.get("state", {}), st.get("lastState", {})
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
        elif "terminated" in last:
            stopped += 1
        else:
            waiting += 1
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init or failed_init or waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def condition(
    previous: dict[str, dict[str, Any]], type_: str, ok: bool, now: str, reason: str = "", message: str = ""
) -> dict[str, Any]:
    """A pod condition keeping ``lastTransitionTime`` while the status does not change."""
    status = "True" if ok else "False"
    old = previous.get(type_)
    cond: dict[str, Any] = {
        "type": type_,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": old["lastTransitionTime"] if old and old.get("status") == status else now,
    }
    if not ok and reason:
        cond["reason"] = reason
    if not ok and message:
        cond["message"] = message
    return cond


def pod_status(
    pod: dict[str, Any],
    inits: list[Slot],
    mains: list[Slot],
    *,
    sandbox_ready: bool,
    now: str,
    host_ip: str,
    pod_ip: str,
    start_time: str,
) -> dict[str, Any]:
    """The pod's ``status`` from its slots: phase, conditions, IPs and container statuses."""
    old = pod.get("status") or {}
    previous = {c.get("type"): c for c in old.get("conditions") or []}
    init_statuses = [container_status(s) for s in inits]
    main_statuses = [container_status(s) for s in mains]
    for st, slot in zip(init_statuses, inits, strict=True):
        if slot.current is not None and slot.current.exit_code == 0 and not slot.waiting:
            st["ready"] = True
    ph = phase(pod.get("spec", {}), init_statuses, main_statuses) if sandbox_ready else "Pending"
    unready = [s.name for s, st in zip(mains, main_statuses, strict=True) if not st["ready"]]
    incomplete = [s.name for s in inits if not s.succeeded]
    if incomplete:
        for st, slot in zip(main_statuses, mains, strict=True):
            if slot.current is None:
                st["state"] = {"waiting": {"reason": "PodInitializing"}}
    done = ph in ("Succeeded", "Failed")
    # Ready and ContainersReady move together: same status, reason and message
    readiness = (
        not unready and not done,
        now,
        "PodCompleted" if done else "ContainersNotReady",
        "" if done else f"containers with unready status: [{' '.join(unready)}]",
    )
    conditions = [
        condition(previous, "PodReadyToStartContainers", sandbox_ready and not done, now),
        condition(
            previous,
            "Initialized",
            not incomplete,
            now,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(incomplete)}]",
        ),
        condition(previous, "Ready", *readiness),
        condition(previous, "ContainersReady", *readiness),
        previous.get("PodScheduled") or condition(previous, "PodScheduled", True, now),
    ]
    status: dict[str, Any] = {
        "phase": ph,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
    }
    if pod_ip:
        status["podIP"], status["podIPs"] = pod_ip, [{"ip": pod_ip}]
    status["startTime"] = start_time
    if inits:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = main_statuses
    status["qosClass"] = old.get("qosClass", "BestEffort")
    return status
