"""A Deployment's status and conditions: Available, ReplicaFailure, Progressing (``syncRolloutStatus``)."""

from __future__ import annotations

from typing import Any

from ktui.sandbox.clock import SimClock
from ktui.sandbox.controllers.replicaset import parse_time
from ktui.sandbox.controllers.rollout import surge_and_unavailable

Obj = dict[str, Any]


def condition(type_: str, status: bool, reason: str, message: str, now: str) -> Obj:
    """A Deployment condition updated and transitioned ``now``."""
    return {
        "type": type_,
        "status": "True" if status else "False",
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def set_condition(conds: list[Obj], new: Obj) -> list[Obj]:
    """``SetDeploymentCondition``: same status and reason is a no-op; else replace and append last."""
    current = next((c for c in conds if c["type"] == new["type"]), None)
    if current is not None and current["status"] == new["status"] and current["reason"] == new["reason"]:
        return conds
    if current is not None and current["status"] == new["status"]:
        new["lastTransitionTime"] = current["lastTransitionTime"]
    return [c for c in conds if c["type"] != new["type"]] + [new]


def deployment_status(
    d: Obj, new_rs: Obj | None, all_rs: list[Obj], conds: list[Obj], clock: SimClock
) -> tuple[Obj, float | None]:
    """The status to write, and the cluster seconds after which to look at the rollout again (or None)."""
    replicas = int(d["spec"].get("replicas", 1))
    _, unavailable = surge_and_unavailable(d)

    def total(field: str, sets: list[Obj]) -> int:
        return sum(int((rs.get("status") or {}).get(field, 0)) for rs in sets)

    status: Obj = {
        "observedGeneration": d["metadata"].get("generation", 1),
        "replicas": total("replicas", all_rs),
        "updatedReplicas": total("replicas", [new_rs] if new_rs else []),
        "readyReplicas": total("readyReplicas", all_rs),
        "availableReplicas": total("availableReplicas", all_rs),
    }
    status["unavailableReplicas"] = max(replicas - status["availableReplicas"], 0)
    now = clock.stamp()
    available_ok = status["availableReplicas"] >= replicas - unavailable
    conds = set_condition(
        conds,
        condition(
            "Available",
            available_ok,
            "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if available_ok
            else "Deployment does not have minimum availability.",
            now,
        ),
    )
    failure = next(
        (
            c
            for rs in all_rs
            for c in (rs.get("status") or {}).get("conditions") or []
            if c.get("type") == "ReplicaFailure"
        ),
        None,
    )
    if failure is not None:
        conds = set_condition(
            conds, condition("ReplicaFailure", True, "FailedCreate", failure.get("message", ""), now)
        )
    else:
        conds = [c for c in conds if c["type"] != "ReplicaFailure"]
    conds, requeue = _progress(d, status, conds, new_rs, replicas, now, clock)
    status["conditions"] = conds
    collisions = (d.get("status") or {}).get("collisionCount")
    if collisions:
        status["collisionCount"] = collisions
    for field in (
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
    ):
        if not status[field]:
            del status[field]  # omitempty
    return status, requeue


def _progress(
    d: Obj, status: Obj, conds: list[Obj], new_rs: Obj | None, replicas: int, now: str, clock: SimClock
) -> tuple[list[Obj], float | None]:
    """``syncRolloutStatus``: complete, progressing, or timed out; and when to check the deadline."""
    deadline = d["spec"].get("progressDeadlineSeconds", 600)  # the apiserver default
    if deadline is None:
        return conds, None
    rs_name = new_rs["metadata"]["name"] if new_rs else None
    subject = f'ReplicaSet "{rs_name}"' if rs_name else f'Deployment "{d["metadata"]["name"]}"'
    current = next((c for c in conds if c["type"] == "Progressing"), None)
    if (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current.get("reason") == "NewReplicaSetAvailable"
    ):
        return conds, None
    old = d.get("status") or {}
    complete = (
        status["updatedReplicas"] == replicas
        and status["replicas"] == replicas
        and status["availableReplicas"] == replicas
    )
    progressed = (
        status["updatedReplicas"] > old.get("updatedReplicas", 0)
        or status["replicas"] - status["updatedReplicas"]
        < old.get("replicas", 0) - old.get("updatedReplicas", 0)
        or status["readyReplicas"] > old.get("readyReplicas", 0)
        or status["availableReplicas"] > old.get("availableReplicas", 0)
    )
    if complete:
        message = f"{subject} has successfully progressed."
        done = condition("Progressing", True, "NewReplicaSetAvailable", message, now)
        return set_condition(conds, done), None
    if progressed:
        new = condition("Progressing", True, "ReplicaSetUpdated", f"{subject} is progressing.", now)
        if current is not None and current["status"] == "True":
            new["lastTransitionTime"] = current["lastTransitionTime"]
        return [*(c for c in conds if c["type"] != "Progressing"), new], float(deadline) + 1
    if current is not None and current.get("reason") != "ProgressDeadlineExceeded":
        since = parse_time(current.get("lastUpdateTime"))
        # stamps are wall-clock; cluster time runs ``speed`` times faster
        elapsed = (clock.now() - since).total_seconds() * clock.speed if since else 0.0
        if elapsed > float(deadline):
            timed_out = condition(
                "Progressing", False, "ProgressDeadlineExceeded", f"{subject} has timed out progressing.", now
            )
            return set_condition(conds, timed_out), None
        return conds, float(deadline) - elapsed + 1
    return conds, None
