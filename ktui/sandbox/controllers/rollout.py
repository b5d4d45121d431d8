"""Deployment rollout arithmetic: pod-template hashes and the maxSurge/maxUnavailable fenceposts."""

from __future__ import annotations

import json
import math
from typing import Any

from ktui.sandbox.codec import copy
from ktui.sandbox.controllers.objects import ALNUM

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


def strip_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of a ReplicaSet's pod template without its ``pod-template-hash`` label."""
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
