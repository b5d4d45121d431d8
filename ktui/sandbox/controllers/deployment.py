"""The Deployment controller: ReplicaSets per template hash, rolling updates, status and conditions.

Follows k8s.io/kubernetes pkg/controller/deployment: the new ReplicaSet is ``<deployment>-<hash>``
with the ``pod-template-hash`` label, scaling writes ``ScalingReplicaSet`` events
(``Scaled up replica set web-7d4b9c from 0 to 3``), and the Progressing condition moves through
NewReplicaSetCreated / ReplicaSetUpdated / NewReplicaSetAvailable, or ProgressDeadlineExceeded when no
progress was seen for ``progressDeadlineSeconds`` of cluster time.
"""

from __future__ import annotations

from typing import Any

from ktui.sandbox.codec import copy
from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.controllers.deployment_status import condition, deployment_status, set_condition
from ktui.sandbox.controllers.objects import controller_uid, generated, owner_ref
from ktui.sandbox.controllers.rollout import (
    HASH_LABEL,
    REVISION,
    strip_hash,
    surge_and_unavailable,
    template_hash,
)
from ktui.sandbox.errors import ApiError

__all__ = [  # with the older import paths of the rollout helpers
    "HASH_LABEL",
    "REVISION",
    "DeploymentController",
    "set_condition",
    "surge_and_unavailable",
    "template_hash",
]

COMPONENT = "deployment-controller"


class DeploymentController(Controller):
    """Rolls Deployments out through ReplicaSets."""

    name = COMPONENT
    watches = ("deployments.apps", "replicasets.apps", "pods")

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """ReplicaSets map to their Deployment; pods through their ReplicaSet (the generator's: none)."""
        if generated(obj):
            return []
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
        if d is None or d["metadata"].get("deletionTimestamp") or generated(d):
            return
        uid = d["metadata"]["uid"]
        all_rs = [rs for rs in self.store.list("replicasets.apps", key[0])[0] if controller_uid(rs) == uid]
        template = d["spec"]["template"]
        # the new ReplicaSet carries the hash of the current template (the store does not re-default
        # templates on update, so comparing whole templates would miss it)
        wanted = template_hash(template, int((d.get("status") or {}).get("collisionCount") or 0))
        new_rs = next(
            (rs for rs in all_rs if (rs["metadata"].get("labels") or {}).get(HASH_LABEL) == wanted),
            next((rs for rs in all_rs if strip_hash(rs["spec"]["template"]) == strip_hash(template)), None),
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
        message = f'Created new replica set "{created["metadata"]["name"]}"'
        conds = set_condition(conds, condition("Progressing", True, "NewReplicaSetCreated", message, now))
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
        status, requeue = deployment_status(d, new_rs, all_rs, conds, self.clock)
        if requeue is not None:  # the progress deadline is checked again then
            self.enqueue_after(key_of(d), requeue)
        if status == d.get("status"):
            return

        def write(obj: dict[str, Any]) -> None:
            obj["status"] = status

        self.store.mutate("deployments.apps", d["metadata"]["namespace"], d["metadata"]["name"], write)


def _controller_ref(obj: dict[str, Any], kind: str) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind:
            return str(ref["name"])
    return None
