"""ResourceQuota: the controller keeping ``status.used``, and admission refusing what exceeds ``hard``.

Texts are the apiserver's (plugin/pkg/admission/resourcequota):
``pods "web-7d4b9c-x2k9p" is forbidden: exceeded quota: compute, requested: requests.cpu=500m,
used: requests.cpu=1500m, limited: requests.cpu=2`` and ``failed quota: compute: must specify
limits.memory for: web``.
"""

from __future__ import annotations

from typing import Any

from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.controllers.objects import amount, format_quantity, is_terminal, pod_resources, whole
from ktui.sandbox.errors import ApiError

# object-count resources and the storage key they count
COUNTED = {
    "pods": "pods",
    "services": "services",
    "configmaps": "configmaps",
    "secrets": "secrets",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "count/pods": "pods",
    "count/services": "services",
    "count/configmaps": "configmaps",
    "count/secrets": "secrets",
    "count/deployments.apps": "deployments.apps",
    "count/replicasets.apps": "replicasets.apps",
    "count/persistentvolumeclaims": "persistentvolumeclaims",
}
_POD_COMPUTE = (
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "cpu",
    "memory",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
    "ephemeral-storage",
)
# resources every container must declare once a quota constrains them (podEvaluator.Constraints)
_MUST_SPECIFY = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory")


def pod_usage(pod: dict[str, Any]) -> dict[str, int]:
    """What one pod charges against a quota, in each resource's counting unit."""
    spec = pod.get("spec") or {}
    requests, limits = pod_resources(spec, "requests"), pod_resources(spec, "limits")
    usage = {"pods": 1, "count/pods": 1}
    for res in ("cpu", "memory", "ephemeral-storage"):
        if res in requests:
            usage[f"requests.{res}"] = usage[res] = requests[res]
        if res in limits:
            usage[f"limits.{res}"] = limits[res]
    return usage


def _unit(resource: str) -> str:
    """Which quantity family a quota resource name belongs to (for parsing and printing)."""
    return "cpu" if resource.endswith("cpu") else "bytes"


def _parse(resource: str, value: Any) -> int:
    return (
        amount(_unit(resource), value) if resource in _POD_COMPUTE or "storage" in resource else whole(value)
    )


def _format(resource: str, value: int) -> str:
    if resource in _POD_COMPUTE or "storage" in resource:
        return format_quantity(_unit(resource), value)
    return str(value)


def _pretty(values: dict[str, int]) -> str:
    return ",".join(f"{k}={_format(k, v)}" for k, v in sorted(values.items()))


def _missing(pod: dict[str, Any], constrained: set[str]) -> str | None:
    spec = pod.get("spec") or {}
    missing: dict[str, list[str]] = {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = c.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        for name in constrained:
            kind, _, base = name.rpartition(".")
            if not kind:
                kind, base = "requests", name
            have = limits if kind == "limits" else requests
            # a limit defaults its request, so requests.* is satisfied by a limit alone
            if base not in have and not (kind == "requests" and base in limits):
                missing.setdefault(name, []).append(c.get("name", ""))
    if not missing:
        return None
    return "must specify " + "; ".join(
        f"{r} for: {','.join(sorted(set(n)))}" for r, n in sorted(missing.items())
    )


class QuotaController(Controller):
    """Recomputes ``status.hard`` / ``status.used`` of every ResourceQuota in a touched namespace."""

    name = "resourcequota-controller"
    watches = (
        "resourcequotas",
        "pods",
        "services",
        "configmaps",
        "secrets",
        "persistentvolumeclaims",
        "deployments.apps",
        "replicasets.apps",
    )

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """Any change in a namespace refreshes that namespace's quotas."""
        if resource == "resourcequotas":
            return [key_of(obj)]
        ns = obj["metadata"].get("namespace") or ""
        return [key_of(q) for q in self.store.list("resourcequotas", ns)[0]]

    def reconcile(self, key: Key) -> None:
        """Write one quota's status."""
        quota = self.store.get("resourcequotas", key[0], key[1])
        if quota is None:
            return
        hard = dict((quota.get("spec") or {}).get("hard") or {})
        used = self.usage(key[0], list(hard))
        status = {"hard": hard, "used": {k: _format(k, used.get(k, 0)) for k in hard}}
        if quota.get("status") == status:
            return

        def write(obj: dict[str, Any]) -> None:
            obj["status"] = status

        self.store.mutate("resourcequotas", key[0], key[1], write)

    def usage(self, namespace: str, resources: list[str]) -> dict[str, int]:
        """Current usage in ``namespace`` for the given quota resource names."""
        used: dict[str, int] = {}
        pods = [p for p in self.store.list("pods", namespace)[0] if not is_terminal(p)]
        for pod in pods:
            for res, value in pod_usage(pod).items():
                used[res] = used.get(res, 0) + value
        for res in resources:
            if res in COUNTED and COUNTED[res] != "pods":
                used[res] = len(self.store.list(COUNTED[res], namespace)[0])
            if res == "requests.storage":
                used[res] = sum(
                    whole(((p.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage"))
                    for p in self.store.list("persistentvolumeclaims", namespace)[0]
                )
        return used

    def admit(self, resource: str, obj: dict[str, Any]) -> None:
        """Quota admission for a pod create: raises 403 Forbidden as the apiserver does."""
        if resource != "pods":
            return
        ns = obj["metadata"].get("namespace") or "default"
        name = obj["metadata"].get("name", "")
        requested = pod_usage(obj)
        for quota in self.store.list("resourcequotas", ns)[0]:
            hard = {k: _parse(k, v) for k, v in ((quota.get("spec") or {}).get("hard") or {}).items()}
            constrained = {k for k in hard if k in _MUST_SPECIFY}
            missing = _missing(obj, constrained)
            qname = quota["metadata"]["name"]
            if missing:
                raise ApiError(
                    403,
                    "Forbidden",
                    f'pods "{name}" is forbidden: failed quota: {qname}: {missing}',
                    {"name": name, "kind": "pods"},
                )
            used = self.usage(ns, list(hard))
            exceeded = [k for k in hard if k in requested and used.get(k, 0) + requested[k] > hard[k]]
            if exceeded:
                mask = sorted(exceeded)
                raise ApiError(
                    403,
                    "Forbidden",
                    f'pods "{name}" is forbidden: exceeded quota: {qname}, '
                    f"requested: {_pretty({k: requested[k] for k in mask})}, "
                    f"used: {_pretty({k: used.get(k, 0) for k in mask})}, "
                    f"limited: {_pretty({k: hard[k] for k in mask})}",
                    {"name": name, "kind": "pods"},
                )
