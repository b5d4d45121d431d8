"""Events about an object and its owners, as rows (kubectl describe's Events section)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ktui import resources as r
from ktui.model.durations import since


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event about an object (or its owners), ready to print."""

    type: str
    reason: str
    age: str
    message: str
    source: str
    object: str
    last_seen: float


def owner_chain(snapshot: r.ClusterSnapshot, obj: r.AnyObject) -> list[r.AnyObject]:
    """The object and its controllers upwards (Pod -> ReplicaSet -> Deployment), by uid."""
    by_uid: dict[str, r.AnyObject] = {}
    for group in (
        snapshot.replica_sets,
        snapshot.deployments,
        snapshot.stateful_sets,
        snapshot.daemon_sets,
        snapshot.jobs,
    ):
        for owner in group:
            by_uid[owner.metadata.uid] = owner
    chain: list[r.AnyObject] = [obj]
    seen = {obj.metadata.uid}
    current = obj
    while True:
        refs = current.metadata.owner_references
        nxt = next((by_uid[o.uid] for o in refs if o.uid in by_uid and o.uid not in seen), None)
        if nxt is None:
            return chain
        chain.append(nxt)
        seen.add(nxt.metadata.uid)
        current = nxt


def event_interval(event: r.Event, now: datetime) -> str:
    """kubectl describe's age column: ``2m`` or ``2m (x4 over 10m)``."""
    if event.series is not None and event.series.count:
        last = event.series.last_observed_time or event.event_time
        return f"{since(last, now)} (x{event.series.count} over {since(event.event_time, now)})"
    last = event.last_timestamp or event.event_time or event.metadata.creation_timestamp
    first = event.first_timestamp or event.event_time or last
    count = event.count or 1
    if count > 1:
        return f"{since(last, now)} (x{count} over {since(first, now)})"
    return since(last, now)


def _last_seen(event: r.Event) -> float:
    moment = (
        (event.series.last_observed_time if event.series else None)
        or event.last_timestamp
        or event.event_time
        or event.metadata.creation_timestamp
    )
    return moment.timestamp() if moment else 0.0


def scoped_events(
    snapshot: r.ClusterSnapshot, obj: r.AnyObject, chain: list[r.AnyObject] | None = None
) -> list[EventRow]:
    """Events about the object and its owner chain, matched by uid; warnings first, newest first.

    ``chain``: ``owner_chain(snapshot, obj)`` when the caller has it already.
    """
    if chain is None:
        chain = owner_chain(snapshot, obj)
    names = {o.metadata.uid: f"{o.kind}/{o.metadata.name}" for o in chain}
    rows = []
    for event in snapshot.events:
        uid = event.involved_object.uid
        if uid not in names:
            continue
        source = (event.source.component if event.source else None) or event.reporting_component or ""
        rows.append(
            EventRow(
                type=event.type or "Normal",
                reason=event.reason or "",
                age=event_interval(event, snapshot.now),
                message=(event.message or "").strip(),
                source=source,
                object=names[uid] if uid != obj.metadata.uid else "",
                last_seen=_last_seen(event),
            )
        )
    rows.sort(key=lambda e: (e.type != "Warning", -e.last_seen))
    return rows
