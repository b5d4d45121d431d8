"""Helpers on Kubernetes JSON objects: quantities, pod requests, conditions, owner references."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from ktui.sandbox.creation import ALNUM  # the generateName alphabet, shared with random_suffix
from ktui.sandbox.selectors import labels_match, selector_from_match

_SUFFIX = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def quantity(value: Any) -> Decimal:
    """A Kubernetes quantity (``500m``, ``1Gi``, ``2``) as a Decimal; 0 when unparsable."""
    if value is None:
        return Decimal(0)
    m = _QUANTITY.match(str(value).strip())
    if not m:
        return Decimal(0)
    try:
        return Decimal(m.group(1)) * _SUFFIX[m.group(2) or ""]
    except InvalidOperation:
        return Decimal(0)


def milli(value: Any) -> int:
    """A quantity in thousandths, rounded up (how the scheduler counts cpu)."""
    q = quantity(value) * 1000
    return int(q.to_integral_value(rounding="ROUND_CEILING"))


def whole(value: Any) -> int:
    """A quantity in units, rounded up (memory bytes, pod counts)."""
    return int(quantity(value).to_integral_value(rounding="ROUND_CEILING"))


def format_quantity(resource: str, amount: int) -> str:
    """``1500m``/``2`` for cpu-like (amount in milli), ``384Mi``/``1G`` for byte-like (amount in units)."""
    if resource.endswith("cpu"):
        return str(amount // 1000) if amount % 1000 == 0 else f"{amount}m"
    if amount == 0:
        return "0"
    for suffix, power in (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)):
        if amount % (1 << power) == 0:
            return f"{amount >> power}{suffix}"
    for suffix, power in (("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3)):
        if amount % (10**power) == 0:
            return f"{amount // 10**power}{suffix}"
    return str(amount)


def is_milli(resource: str) -> bool:
    """Whether a resource name counts in milli units (cpu)."""
    return resource.endswith("cpu")


def amount(resource: str, value: Any) -> int:
    """A quantity in the unit ``resource`` is counted in."""
    return milli(value) if is_milli(resource) else whole(value)


def _container_resources(c: dict[str, Any], kind: str) -> dict[str, Any]:
    res = c.get("resources") or {}
    values = dict(res.get(kind) or {})
    if kind == "requests":  # a limit without a request defaults the request to the limit (apiserver)
        for name, value in (res.get("limits") or {}).items():
            values.setdefault(name, value)
    return values


def pod_resources(spec: dict[str, Any], kind: str = "requests") -> dict[str, int]:
    """Effective pod requests or limits: sum of containers, at least each init container, plus overhead."""
    total: dict[str, int] = {}
    for c in spec.get("containers") or []:
        for res, value in _container_resources(c, kind).items():
            total[res] = total.get(res, 0) + amount(res, value)
    for c in spec.get("initContainers") or []:
        for res, value in _container_resources(c, kind).items():
            total[res] = max(total.get(res, 0), amount(res, value))
    for res, value in (spec.get("overhead") or {}).items():
        total[res] = total.get(res, 0) + amount(res, value)
    return total


def is_terminal(pod: dict[str, Any]) -> bool:
    """Phase Succeeded or Failed."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    """The status condition of ``type_`` or None."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    cond = condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def set_condition(
    status: dict[str, Any],
    new: dict[str, Any],
    now: str,
    *,
    probe_time: bool = False,
    update_time: bool = False,
) -> bool:
    """Upsert a condition keeping lastTransitionTime unless the status flips; True if anything changed."""
    conds = status.setdefault("conditions", [])
    for i, cond in enumerate(conds):
        if cond.get("type") != new["type"]:
            continue
        same = all(cond.get(k) == new.get(k) for k in ("status", "reason", "message"))
        if same:
            return False
        merged = dict(cond)
        merged.update(new)
        if cond.get("status") != new["status"]:
            merged["lastTransitionTime"] = now
        if update_time:
            merged["lastUpdateTime"] = now
        conds[i] = merged
        return True
    entry = {"type": new["type"], "status": new["status"]}
    if probe_time:
        entry["lastProbeTime"] = None
    if update_time:
        entry["lastUpdateTime"] = now
    entry["lastTransitionTime"] = now
    entry.update({k: v for k, v in new.items() if k not in entry})
    conds.append(entry)
    return True


def owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    """A controller ownerReference to ``owner``."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_uid(obj: dict[str, Any]) -> str | None:
    """The uid of the object's controller owner, if any."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """Whether a LabelSelector object matches; an empty selector matches nothing for controllers."""
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return False
    return labels_match(selector_from_match(selector), labels)


def map_matches(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    """Whether a Service-style equality selector matches ``labels``."""
    labels = labels or {}
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def random_suffix(n: int = 5) -> str:
    """``x2k9p``: the apiserver's generateName suffix alphabet."""
    return "".join(secrets.choice(ALNUM) for _ in range(n))


GENERATED = "ktui.sandbox/generated"
"""Annotation of the benchmark generator's objects: no kubelet or controller of the sandbox acts on them."""


def generated(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` was made by the benchmark generator (its status stays as generated)."""
    return (obj["metadata"].get("annotations") or {}).get(GENERATED) == "true"
