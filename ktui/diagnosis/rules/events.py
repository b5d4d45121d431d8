"""Events: find an object's events (by uid, name as fallback), their times, counts and evidence lines.

Timestamps come from ``series.lastObservedTime``, ``lastTimestamp``, ``eventTime`` or the creation
time, whichever is set: new-style events (scheduler, events.k8s.io/v1) leave ``lastTimestamp`` null.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ktui import durations
from ktui.diagnosis.clock import Clock, elapsed_plain
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
    """kubectl's HumanDuration of a timedelta: 45s, 8m40s, 162m, 5h10m, 30h, 3d5h, 40d, 2y."""
    return durations.human_duration(delta.total_seconds())


def age(now: datetime, when: datetime | None) -> str:
    """How long ago ``when`` was, kubectl-style ('?' when unknown)."""
    if when is None:
        return "?"
    if not isinstance(now, Clock):
        return human_duration(now - when)
    delta = elapsed_plain(now, when)
    seconds = int(delta.total_seconds())
    # The text holds until the next boundary of its granularity (a 3h-old crash reads "3h" for an hour).
    now.note(when + timedelta(seconds=durations.next_change(seconds)) if seconds >= 0 else when)
    return human_duration(delta)


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
    """Events by involvedObject uid, and by (kind, namespace, name) for events or subjects without uid.

    Kept current with ``apply`` (changed events by store key; None = deleted), each event remembering
    its position so the groups read back in snapshot order, as a rebuild would give them.
    """

    def __init__(self, events: tuple[Event, ...] = ()) -> None:
        self._by_uid: dict[str, dict[str, tuple[int, Event]]] = defaultdict(dict)
        self._by_name: dict[tuple[str, str, str], dict[str, tuple[int, Event]]] = defaultdict(dict)
        self._all: dict[str, tuple[int, Event]] = {}
        self._seq = 0
        if events:
            self.apply({f"#{i}": e for i, e in enumerate(events)})

    def apply(self, changed: Mapping[str, Event | None]) -> None:
        """Events added, modified (keeping their position) or deleted (None)."""
        for key, ev in changed.items():
            old = self._all.get(key)
            if old is not None:
                seq = old[0]
                self._unindex(key, old[1])
            else:
                seq = self._seq
                self._seq += 1
            if ev is None:
                self._all.pop(key, None)
                continue
            entry = (seq, ev)
            self._all[key] = entry
            for group in self._groups(ev):
                group[key] = entry

    def _groups(self, ev: Event) -> list[dict[str, tuple[int, Event]]]:
        io = ev.involved_object
        out = [self._by_name[(io.kind, io.namespace or ev.metadata.namespace, io.name)]]
        if io.uid:
            out.append(self._by_uid[io.uid])
        return out

    def _unindex(self, key: str, ev: Event) -> None:
        io = ev.involved_object
        name_key = (io.kind, io.namespace or ev.metadata.namespace, io.name)
        tables: tuple[tuple[dict[Any, dict[str, tuple[int, Event]]], Any], ...] = (
            (self._by_name, name_key), (self._by_uid, io.uid)
        )
        for table, group_key in tables:
            group = table.get(group_key)
            if group is not None:
                group.pop(key, None)
                if not group:
                    del table[group_key]

    def for_object(self, kind: str, namespace: str, name: str, uid: str) -> list[Event]:
        """The object's events, newest first.

        By uid when the object has one: a pod recreated under the same name (StatefulSet) must not
        inherit its predecessor's events. By name for events that carry no uid (dumps, old tools).
        """
        by_uid = self._by_uid.get(uid) if uid else None
        by_name = self._by_name.get((kind, namespace, name))
        if not by_uid and not by_name:
            return []  # most objects: no events at all
        found: list[Event] = []
        if uid:
            found.extend(_in_order(by_uid))
            found.extend(e for e in _in_order(by_name) if not e.involved_object.uid)
        else:
            found.extend(_in_order(by_name))
        return newest_first(found) if len(found) > 1 else found


def _in_order(group: Mapping[str, tuple[int, Event]] | None) -> list[Event]:
    if not group:
        return []
    return [ev for _, ev in sorted(group.values(), key=lambda item: item[0])]
