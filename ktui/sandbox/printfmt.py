"""Shared formatting of Table cells: timestamps, kubectl's durations, ages and names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Obj = dict[str, Any]
Printer = Callable[[Obj, datetime], list[Any]]  # the cells of one Table row


def parse_time(stamp: str | None) -> datetime | None:
    """An RFC 3339 timestamp (seconds or micro precision) as an aware datetime, or None."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery ``duration.HumanDuration``: 45s, 2m10s, 5m, 3h, 2d3h, 40d, 2y3d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(stamp: str | None, now: datetime) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a missing time."""
    when = parse_time(stamp)
    if when is None:
        return "<unknown>"
    return human_duration((now - when).total_seconds())


def age_of(obj: Obj, now: datetime) -> str:
    """The AGE cell: time since the object's creation."""
    return since(obj["metadata"].get("creationTimestamp"), now)


def name_of(obj: Obj) -> str:
    """The NAME cell."""
    return str(obj["metadata"].get("name", ""))


def more(items: list[str], limit: int, empty: str, sep: str = ",") -> str:
    """``a,b,c + 2 more...`` as kubectl shortens long lists; ``empty`` when there is nothing."""
    if len(items) > limit:
        return sep.join(items[:limit]) + f" + {len(items) - limit} more..."
    return sep.join(items) or empty
