"""Events: find an object's events (by uid, name as fallback), their times, counts and evidence lines.

Timestamps come from ``series.lastObservedTime``, ``lastTimestamp``, ``eventTime`` or the creation
time, whichever is set: new-style events (scheduler, events.k8s.io/v1) leave ``lastTimestamp`` null.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from ktui.resources import Event

_EPOCH = datetime.min


def last_seen(ev: Event) -> datetime | None:
    """When the event last happened."""
    if ev.series is not None and ev.series.last_observed_time is not None:
        return ev.series.last_observed_time
    return ev.last_timestamp or ev.event_time or ev.first_timestamp or ev.metadata.creation_timestamp


def first_seen(ev: Event) -> datetime | None:
    """When the event first happened."""
    return ev.first_timestamp or ev.event_time or ev.metadata.creation_timestamp or last_seen(ev)


def occurrences(ev: Event) -> int:
    """How many times it happened (series count, legacy count, or once)."""
    if ev.series is not None and ev.series.count:
        return max(ev.series.count, ev.count or 0)
    return ev.count or 1


def human_duration(delta: timedelta) -> str:
    """kubectl's HumanDuration: 45s, 8m40s, 162m, 5h10m, 30h, 3d5h, 40d, 2y."""
    seconds = int(delta.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age(now: datetime, when: datetime | None) -> str:
    """How long ago ``when`` was, kubectl-style ('?' when unknown)."""
    return human_duration(now - when) if when is not None else "?"


def event_line(ev: Event, now: datetime) -> str:
    """An evidence line: 'Failed x4 over 10m: <message>' or 'Failed 3m ago: <message>'."""
    n = occurrences(ev)
    reason = ev.reason or ev.type or "Event"
    message = " ".join((ev.message or "").split())
    if n > 1:
        return f"{reason} x{n} over {age(now, first_seen(ev))}: {message}"
    return f"{reason} {age(now, last_seen(ev))} ago: {message}"


def newest_first(events: list[Event]) -> list[Event]:
    """Events sorted by last occurrence, newest first."""
    return sorted(events, key=lambda e: last_seen(e) or _EPOCH, reverse=True)


class EventIndex:
    """Events by involvedObject uid, and by (kind, namespace, name) for events or subjects without uid."""

    def __init__(self, events: tuple[Event, ...]) -> None:
        self._by_uid: dict[str, list[Event]] = defaultdict(list)
        self._by_name: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
        for ev in events:
            io = ev.involved_object
            if io.uid:
                self._by_uid[io.uid].append(ev)
            self._by_name[(io.kind, io.namespace or ev.metadata.namespace, io.name)].append(ev)

    def for_object(self, kind: str, namespace: str, name: str, uid: str) -> list[Event]:
        """The object's events, newest first.

        By uid when the object has one: a pod recreated under the same name (StatefulSet) must not
        inherit its predecessor's events. By name for events that carry no uid (dumps, old tools).
        """
        found: list[Event] = []
        if uid:
            found.extend(self._by_uid.get(uid, ()))
            found.extend(
                e for e in self._by_name.get((kind, namespace, name), ()) if not e.involved_object.uid
            )
        else:
            found.extend(self._by_name.get((kind, namespace, name), ()))
        return newest_first(found) if len(found) > 1 else found
