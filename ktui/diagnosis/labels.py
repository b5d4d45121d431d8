"""Label selectors: workload LabelSelectors and kubectl ``-l`` strings, matched against label dicts.

Written here (about 60 lines) rather than borrowed: the sandbox's parser must not be imported by the
engine (layers), and no small pure library implements Kubernetes selector semantics.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ktui.resources import LabelSelector

Matcher = Callable[[dict[str, str]], bool]

_TERM = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9./_-]+)\s*"
    r"(?:(?P<setop>notin|in)\s*\((?P<values>[^)]*)\)|(?P<op>==|!=|=)\s*(?P<value>[A-Za-z0-9._-]*))?\s*$"
)


class SelectorError(ValueError):
    """A label selector string that does not parse."""


def _split(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _requirement(key: str, op: str, values: frozenset[str]) -> Matcher:
    if op == "exists":
        return lambda labels: key in labels
    if op == "!exists":
        return lambda labels: key not in labels
    if op == "in":
        return lambda labels: labels.get(key) in values
    return lambda labels: labels.get(key) not in values  # != and notin match a missing label too


def parse_selector(text: str | None) -> Matcher:
    """A kubectl-style selector ('app=web,tier!=db,env in (a,b),!canary') -> a matcher."""
    reqs: list[Matcher] = []
    for part in _split(text or ""):
        if not part.strip():
            continue
        m = _TERM.match(part)
        if m is None or (m["neg"] and (m["op"] or m["setop"])):
            raise SelectorError(f"invalid label selector term {part.strip()!r}")
        if m["setop"]:
            values = frozenset(v.strip() for v in m["values"].split(",") if v.strip())
            reqs.append(_requirement(m["key"], m["setop"], values))
        elif m["op"]:
            reqs.append(_requirement(m["key"], "!=" if m["op"] == "!=" else "in", frozenset({m["value"]})))
        else:
            reqs.append(_requirement(m["key"], "!exists" if m["neg"] else "exists", frozenset()))
    return lambda labels: all(r(labels) for r in reqs)


def selector_matcher(selector: LabelSelector | None) -> Matcher | None:
    """A workload's LabelSelector -> a matcher; None when it has no terms (it selects nothing)."""
    if selector is None or (not selector.match_labels and not selector.match_expressions):
        return None
    reqs: list[Matcher] = []
    for k, v in (selector.match_labels or {}).items():
        reqs.append(_requirement(k, "in", frozenset({v})))
    for expr in selector.match_expressions:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}.get(expr.operator)
        if op is None:
            return None
        reqs.append(_requirement(expr.key, op, frozenset(expr.values or ())))
    return lambda labels: all(r(labels) for r in reqs)


def format_selector(selector: dict[str, str]) -> str:
    """{'app': 'web', 'tier': 'fe'} -> 'app=web,tier=fe'."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
