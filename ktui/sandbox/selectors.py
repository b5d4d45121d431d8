"""Label and field selectors: parsing (with the apiserver's errors) and matching on JSON objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ktui.sandbox.errors import ApiError, bad_request

# ---- label selectors -------------------------------------------------------------------------------

_SET_RE = re.compile(
    r"\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|!=|=)\s*([A-Za-z0-9._-]*))?\s*$"
)


@dataclass(frozen=True)
class LabelRequirement:
    """One requirement: ``key op values`` with op in =, !=, in, notin, exists, !exists."""

    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether ``labels`` satisfy this requirement."""
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        # "!=" and "notin" match objects without the label too (as in the apiserver)
        return labels.get(self.key) not in self.values


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_labels(text: str | None) -> list[LabelRequirement]:
    """Parse a labelSelector; raises 400 ``unable to parse requirement`` on bad input."""
    if not text or not text.strip():
        return []
    reqs = []
    for part in _split_top(text):
        if not part.strip():
            raise bad_request(f"unable to parse requirement: found '', expected: identifier in {text!r}")
        m = _SET_RE.match(part)
        if not m:
            raise bad_request(f"unable to parse requirement: invalid label selector: {part.strip()!r}")
        neg, key, setop, setvals, op, value = m.groups()
        if neg:
            if setop or op:
                raise bad_request(f"unable to parse requirement: invalid label selector: {part.strip()!r}")
            reqs.append(LabelRequirement(key, "!exists"))
        elif setop:
            values = frozenset(v.strip() for v in setvals.split(",") if v.strip())
            reqs.append(LabelRequirement(key, "in" if setop == "in" else "notin", values))
        elif op:
            reqs.append(LabelRequirement(key, "!=" if op == "!=" else "=", frozenset([value])))
        else:
            reqs.append(LabelRequirement(key, "exists"))
    return reqs


def labels_match(reqs: list[LabelRequirement], labels: dict[str, str] | None) -> bool:
    """Whether all requirements hold for ``labels``."""
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def selector_from_match(sel: dict[str, Any] | None) -> list[LabelRequirement]:
    """A LabelSelector object (matchLabels + matchExpressions) as requirements."""
    if not sel:
        return []
    reqs = [LabelRequirement(k, "=", frozenset([str(v)])) for k, v in (sel.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for expr in sel.get("matchExpressions") or []:
        reqs.append(
            LabelRequirement(
                expr["key"], ops.get(expr.get("operator", ""), "exists"), frozenset(expr.get("values") or [])
            )
        )
    return reqs


def format_match(sel: dict[str, Any] | None) -> str:
    """A LabelSelector object as kubectl prints it (``app=web,tier in (a,b)``); ``<none>`` if empty."""
    if not sel:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for expr in sel.get("matchExpressions") or []:
        op = expr.get("operator", "")
        vals = ",".join(sorted(expr.get("values") or []))
        parts.append(
            {
                "In": f"{expr['key']} in ({vals})",
                "NotIn": f"{expr['key']} notin ({vals})",
                "Exists": expr["key"],
                "DoesNotExist": f"!{expr['key']}",
            }.get(op, expr["key"])
        )
    return ",".join(parts) or "<none>"


# ---- field selectors -------------------------------------------------------------------------------


def _path(*keys: str) -> Callable[[dict[str, Any]], str]:
    def get(obj: dict[str, Any]) -> str:
        cur: Any = obj
        for k in keys:
            if not isinstance(cur, dict):
                return ""
            cur = cur.get(k)
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return "" if cur is None else str(cur)

    return get


def _source(obj: dict[str, Any]) -> str:
    return str((obj.get("source") or {}).get("component") or "")


_COMMON = {"metadata.name": _path("metadata", "name"), "metadata.namespace": _path("metadata", "namespace")}
_INVOLVED = {
    f"involvedObject.{f}": _path("involvedObject", f)
    for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
}
_EVENT_FIELDS = {
    **_INVOLVED,
    "reason": _path("reason"),
    "reportingComponent": _path("reportingComponent"),
    "source": _source,
    "type": _path("type"),
}
# events.k8s.io/v1 field names map onto the core ones (pkg/apis/events/v1/conversion.go)
_EVENT_V1_FIELDS = {
    **{f"regarding.{k.split('.', 1)[1]}": v for k, v in _INVOLVED.items()},
    "reason": _path("reason"),
    "reportingController": _path("reportingComponent"),
    "type": _path("type"),
}

FIELDS: dict[str, dict[str, Callable[[dict[str, Any]], str]]] = {
    "pods": {
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda o: "true" if (o.get("spec") or {}).get("hostNetwork") else "false",
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.podIPs": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "events": _EVENT_FIELDS,
    "events.events.k8s.io": _EVENT_V1_FIELDS,
    "nodes": {
        "spec.unschedulable": lambda o: "true" if (o.get("spec") or {}).get("unschedulable") else "false"
    },
    "namespaces": {"status.phase": _path("status", "phase")},
    "replicasets.apps": {"status.replicas": _path("status", "replicas")},
    "secrets": {"type": _path("type")},
}


@dataclass(frozen=True)
class FieldRequirement:
    """``field = value`` or ``field != value`` with the getter for ``field``."""

    field: str
    negate: bool
    value: str
    getter: Callable[[dict[str, Any]], str]

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether ``obj`` satisfies the requirement."""
        return (self.getter(obj) == self.value) != self.negate


def parse_fields(text: str | None, resource: str) -> list[FieldRequirement]:
    """Parse a fieldSelector for ``resource``; unknown fields give 400 ``field label not supported``."""
    if not text or not text.strip():
        return []
    known = {**_COMMON, **FIELDS.get(resource, {})}
    reqs = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([^=!]+)(==|!=|=)(.*)$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        name, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        getter = known.get(name)
        if getter is None:
            # kubectl prints this verbatim; the prefix is how the apiserver wraps conversion errors
            raise ApiError(
                400,
                "BadRequest",
                f'Unable to find "{_gvr(resource)}" that match label selector "", '
                f'field selector "{text}": field label not supported: {name}',
            )
        reqs.append(FieldRequirement(name, op == "!=", value, getter))
    return reqs


def _gvr(resource: str) -> str:
    plural, _, group = resource.partition(".")
    return f"{group}/v1, Resource={plural}" if group else f"/v1, Resource={plural}"


def fields_match(reqs: list[FieldRequirement], obj: dict[str, Any]) -> bool:
    """Whether all field requirements hold for ``obj``."""
    return all(r.matches(obj) for r in reqs)
