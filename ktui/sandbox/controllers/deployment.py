"""The Deployment controller: ReplicaSets per template hash, rolling updates, status and conditions.

Follows k8s.io/kubernetes pkg/controller/deployment: the new ReplicaSet is ``<deployment>-<hash>``
with the ``pod-template-hash`` label, scaling writes ``ScalingReplicaSet`` events
(``Scaled up replica set web-7d4b9c from 0 to 3``), and the Progressing condition moves through
NewReplicaSetCreated / ReplicaSetUpdated / NewReplicaSetAvailable, or ProgressDeadlineExceeded when no
progress was seen for ``progressDeadlineSeconds`` of cluster time.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ktui.sandbox.codec import copy
from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.controllers.objects import ALNUM, controller_uid, owner_ref
from ktui.sandbox.controllers.replicaset import parse_time
from ktui.sandbox.errors import ApiError

COMPONENT = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"


def template_hash(template: dict[str, Any], collisions: int = 0) -> str:
    """``controller.ComputeHash``: FNV-32a of the template, decimal digits mapped to safe letters."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collisions:
        data += str(collisions).encode()
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(ALNUM[ord(ch) % len(ALNUM)] for ch in str(h))


def _strip_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = copy(template)
    (t.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return t


def _scaled(value: Any, replicas: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * replicas / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value or 0)


def surge_and_unavailable(d: dict[str, Any]) -> tuple[int, int]:
    """``ResolveFenceposts``: maxSurge rounds up, maxUnavailable down; both 0 means 1 unavailable."""
    spec = d["spec"]
    replicas = int(spec.get("replicas", 1))
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def set_condition(conds: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """``SetDeploymentCondition``: same status and reason is a no-op; else replace and append last."""
    current = next((c for c in conds if c["type"] == new["type"]), None)
    if current is not None and current["status"] == new["status"] and current["reason"] == new["reason"]:
        return conds
    if current is not None and current["status"] == new["status"]:
        new["lastTransitionTime"] = current["lastTransitionTime"]
    return [c for c in conds if c["type"] != new["type"]] + [new]


class DeploymentController(Controller):
    """Rolls Deployments out through ReplicaSets."""

    name = COMPONENT
    watches = ("deployments.apps", "replicasets.apps", "pods")

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """ReplicaSets map to their Deployment; pods through their ReplicaSet."""
        if resource == "deployments.apps":
            return [key_of(obj)]
        ns = obj["metadata"].get("namespace") or ""
        if resource == "pods":
            if (
                type_ != "DELETED"
                and old is not None
                and (old.get("status") or {}).get("conditions") == (obj.get("status") or {}).get("conditions")
            ):
                return []  # readiness did not change
            ref = _controller_ref(obj, "ReplicaSet")
            rs = self.store.get("replicasets.apps", ns, ref) if ref else None
            if rs is None:
                return []
            obj = rs
        ref = _controller_ref(obj, "Deployment")
        return [(ns, ref)] if ref else []

    def reconcile(self, key: Key) -> None:
        """Sync one Deployment: new ReplicaSet, scaling per strategy, status."""
        d = self.store.get("deployments.apps", key[0], key[1])
        if d is None or d["metadata"].get("deletionTimestamp"):
            return
        uid = d["metadata"]["uid"]
        all_rs = [rs for rs in self.store.list("replicasets.apps", key[0])[0] if controller_uid(rs) == uid]
        template = d["spec"]["template"]
        # the new ReplicaSet carries the hash of the current template (the store does not re-default
        # templates on update, so comparing whole templates would miss it)
        wanted = template_hash(template, int((d.get("status") or {}).get("collisionCount") or 0))
        new_rs = next(
            (rs for rs in all_rs if (rs["metadata"].get("labels") or {}).get(HASH_LABEL) == wanted),
            next((rs for rs in all_rs if _strip_hash(rs["spec"]["template"]) == _strip_hash(template)), None),
        )
        olds = [rs for rs in all_rs if rs is not new_rs]
        conds = list((d.get("status") or {}).get("conditions") or [])
        replicas = int(d["spec"].get("replicas", 1))
        surge, unavailable = surge_and_unavailable(d)
        if d["spec"].get("paused"):
            self._write_status(d, new_rs, all_rs, conds)
            return
        if new_rs is None:
            new_rs, conds = self._create_rs(d, all_rs, conds, olds, surge)
            if new_rs is None:
                return
            all_rs = [*olds, new_rs]
        recreate = (d["spec"].get("strategy") or {}).get("type") == "Recreate"
        old_total = sum(int(rs["spec"].get("replicas", 0)) for rs in olds)
        if recreate:
            for rs in olds:
                self._scale(d, rs, 0)
            old_pods = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in olds)
            if old_pods == 0:
                new_rs = self._scale(d, new_rs, replicas)
        else:
            new_count = int(new_rs["spec"].get("replicas", 0))
            if new_count > replicas:
                new_rs = self._scale(d, new_rs, replicas)
            elif new_count < replicas:
                room = replicas + surge - (old_total + new_count)
                if room > 0:
                    new_rs = self._scale(d, new_rs, new_count + min(room, replicas - new_count))
            if old_total:
                self._scale_down_old(d, new_rs, olds, replicas, unavailable)
        all_rs = [rs for rs in self.store.list("replicasets.apps", key[0])[0] if controller_uid(rs) == uid]
        new_rs = next((rs for rs in all_rs if rs["metadata"]["uid"] == new_rs["metadata"]["uid"]), new_rs)
        self._write_status(d, new_rs, all_rs, conds)

    def _create_rs(
        self,
        d: dict[str, Any],
        all_rs: list[dict[str, Any]],
        conds: list[dict[str, Any]],
        olds: list[dict[str, Any]],
        surge: int,
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        collisions = int((d.get("status") or {}).get("collisionCount") or 0)
        h = template_hash(d["spec"]["template"], collisions)
        template = copy(d["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = h
        selector = copy(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        replicas = int(d["spec"].get("replicas", 1))
        old_total = sum(int(rs["spec"].get("replicas", 0)) for rs in olds)
        recreate = (d["spec"].get("strategy") or {}).get("type") == "Recreate"
        start = 0 if recreate and old_total else max(0, min(replicas, replicas + surge - old_total))
        revision = 1 + max(
            (int(rs["metadata"].get("annotations", {}).get(REVISION, "0")) for rs in all_rs), default=0
        )
        labels = dict(template["metadata"]["labels"])
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name}-{h}",
                "namespace": ns,
                "labels": labels,
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(replicas),
                    "deployment.kubernetes.io/max-replicas": str(replicas + surge),
                    REVISION: str(revision),
                },
                "ownerReferences": [owner_ref(d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": int(d["spec"].get("minReadySeconds") or 0),
                "selector": selector,
                "template": template,
            },
        }
        try:
            created = self.store.create("replicasets.apps", rs, namespace=ns)
        except ApiError as exc:
            if exc.code == 409:  # a hash collision: bump collisionCount and retry on the next pass
                self.store.mutate(
                    "deployments.apps",
                    ns,
                    name,
                    lambda o: o.setdefault("status", {}).update(collisionCount=collisions + 1),
                )
            return None, conds

        def annotate(obj: dict[str, Any]) -> bool | None:
            annotations = obj["metadata"].setdefault("annotations", {})
            if annotations.get(REVISION) == str(revision):
                return False
            annotations[REVISION] = str(revision)
            return None

        self.store.mutate("deployments.apps", ns, name, annotate)
        now = self.clock.stamp()
        conds = set_condition(
            conds,
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": "NewReplicaSetCreated",
                "message": f'Created new replica set "{created["metadata"]["name"]}"',
            },
        )
        if start:
            created = self._scale(d, created, start)
        return created, conds

    def _scale(self, d: dict[str, Any], rs: dict[str, Any], to: int) -> dict[str, Any]:
        before = int(rs["spec"].get("replicas", 0))
        if before == to:
            return rs
        replicas = int(d["spec"].get("replicas", 1))
        surge, _ = surge_and_unavailable(d)

        def scale(obj: dict[str, Any]) -> None:
            obj["spec"]["replicas"] = to
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations["deployment.kubernetes.io/desired-replicas"] = str(replicas)
            annotations["deployment.kubernetes.io/max-replicas"] = str(replicas + surge)

        updated = self.store.mutate(
            "replicasets.apps", rs["metadata"]["namespace"], rs["metadata"]["name"], scale
        )
        direction = "up" if to > before else "down"
        self.recorder.event(
            d,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {before} to {to}",
            component=COMPONENT,
        )
        return updated or rs

    def _scale_down_old(
        self,
        d: dict[str, Any],
        new_rs: dict[str, Any],
        olds: list[dict[str, Any]],
        replicas: int,
        unavailable: int,
    ) -> None:
        """``reconcileOldReplicaSets``: never drop below replicas - maxUnavailable available pods."""
        all_rs = [new_rs, *olds]
        total = sum(int(rs["spec"].get("replicas", 0)) for rs in all_rs)
        new_unavailable = int(new_rs["spec"].get("replicas", 0)) - int(
            (new_rs.get("status") or {}).get("availableReplicas", 0)
        )
        budget = total - (replicas - unavailable) - new_unavailable
        for rs in sorted(olds, key=lambda r: r["metadata"].get("creationTimestamp", "")):
            if budget <= 0:
                break
            have = int(rs["spec"].get("replicas", 0))
            # unhealthy old pods go first and at no availability cost
            unhealthy = have - int((rs.get("status") or {}).get("availableReplicas", 0))
            cut = min(have, budget if unhealthy <= 0 else max(unhealthy, budget))
            cut = min(cut, budget)
            if cut > 0:
                self._scale(d, rs, have - cut)
                budget -= cut

    def _write_status(
        self,
        d: dict[str, Any],
        new_rs: dict[str, Any] | None,
        all_rs: list[dict[str, Any]],
        conds: list[dict[str, Any]],
    ) -> None:
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        replicas = int(d["spec"].get("replicas", 1))
        _, unavailable = surge_and_unavailable(d)

        def total(field: str, sets: list[dict[str, Any]]) -> int:
            return sum(int((rs.get("status") or {}).get(field, 0)) for rs in sets)

        status: dict[str, Any] = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": total("replicas", all_rs),
            "updatedReplicas": total("replicas", [new_rs] if new_rs else []),
            "readyReplicas": total("readyReplicas", all_rs),
            "availableReplicas": total("availableReplicas", all_rs),
        }
        status["unavailableReplicas"] = max(replicas - status["availableReplicas"], 0)
        now = self.clock.stamp()
        available_ok = status["availableReplicas"] >= replicas - unavailable
        conds = set_condition(
            conds,
            {
                "type": "Available",
                "status": "True" if available_ok else "False",
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if available_ok
                else "Deployment does not have minimum availability.",
            },
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
                conds,
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "lastUpdateTime": now,
                    "lastTransitionTime": now,
                    "reason": "FailedCreate",
                    "message": failure.get("message", ""),
                },
            )
        else:
            conds = [c for c in conds if c["type"] != "ReplicaFailure"]
        conds = self._progress(d, status, conds, new_rs, replicas, now)
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
        if status == d.get("status"):
            return

        def write(obj: dict[str, Any]) -> None:
            obj["status"] = status

        self.store.mutate("deployments.apps", ns, name, write)

    def _progress(
        self,
        d: dict[str, Any],
        status: dict[str, Any],
        conds: list[dict[str, Any]],
        new_rs: dict[str, Any] | None,
        replicas: int,
        now: str,
    ) -> list[dict[str, Any]]:
        """``syncRolloutStatus``: complete, progressing, or timed out."""
        deadline = d["spec"].get("progressDeadlineSeconds", 600)  # the apiserver default
        if deadline is None:
            return conds
        rs_name = new_rs["metadata"]["name"] if new_rs else None
        subject = f'ReplicaSet "{rs_name}"' if rs_name else f'Deployment "{d["metadata"]["name"]}"'
        current = next((c for c in conds if c["type"] == "Progressing"), None)
        if (
            status["replicas"] == status["updatedReplicas"]
            and current is not None
            and current.get("reason") == "NewReplicaSetAvailable"
        ):
            return conds
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
            return set_condition(
                conds,
                {
                    "type": "Progressing",
                    "status": "True",
                    "lastUpdateTime": now,
                    "lastTransitionTime": now,
                    "reason": "NewReplicaSetAvailable",
                    "message": f"{subject} has successfully progressed.",
                },
            )
        if progressed:
            new = {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": "ReplicaSetUpdated",
                "message": f"{subject} is progressing.",
            }
            if current is not None and current["status"] == "True":
                new["lastTransitionTime"] = current["lastTransitionTime"]
            conds = [*(c for c in conds if c["type"] != "Progressing"), new]
            self.enqueue_after(key_of(d), float(deadline) + 1)
            return conds
        if current is not None and current.get("reason") != "ProgressDeadlineExceeded":
            since = parse_time(current.get("lastUpdateTime"))
            # stamps are wall-clock; cluster time runs ``speed`` times faster
            elapsed = (self.clock.now() - since).total_seconds() * self.clock.speed if since else 0.0
            if elapsed > float(deadline):
                return set_condition(
                    conds,
                    {
                        "type": "Progressing",
                        "status": "False",
                        "lastUpdateTime": now,
                        "lastTransitionTime": now,
                        "reason": "ProgressDeadlineExceeded",
                        "message": f"{subject} has timed out progressing.",
                    },
                )
            self.enqueue_after(key_of(d), float(deadline) - elapsed + 1)
        return conds


def _controller_ref(obj: dict[str, Any], kind: str) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind:
            return str(ref["name"])
    return None
