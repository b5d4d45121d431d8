"""What the side panes need about the selection, found without scanning the cluster per snapshot.

Under a watch storm a snapshot arrives every few tens of milliseconds while the selection stays put.
The panes used to rebuild a uid -> Pod map of every pod, scan every event and every Service for each
snapshot (~5-9 ms at 10k pods, on the event loop). Here each is kept by the identity of the snapshot
tuple it was built from (the store reuses a kind's tuple until that kind changes), so a snapshot that
changed only other pods costs a few dict lookups:

- ``PodLookup``: the selected pod by uid, through its slot in ``snapshot.pods`` (positions hold until
  a pod comes or goes; a slot is checked before it is trusted);
- ``EventIndex``: events by involved-object uid, so a pod's events (owner chain included) are read
  without walking every event; ``scoped_events`` then builds the same rows from only those events;
- ``FrontCache``: the Services and Ingresses in front of a pod, per (pod, services, ingresses).

Pure: no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ktui import resources as r
from ktui.model.events import EventRow, owner_chain, scoped_events


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two keys hold the very same objects (records and tuples are immutable: no deep compare)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


class PodLookup:
    """uid -> Pod of the latest snapshot, by slot: O(1) while the pods tuple keeps its order."""

    NEAR = 64
    """How far from its last slot a pod is looked for before every pod is mapped again."""

    def __init__(self) -> None:
        self._mapped: Sequence[r.Pod] | None = None  # the pods ``_slot`` maps completely, if current
        self._slot: dict[str, int] = {}

    def get(self, pods: Sequence[r.Pod], uid: str) -> r.Pod | None:
        """The pod with this uid in ``pods``, or None."""
        by_key = getattr(pods, "get", None)
        if by_key is not None:  # a live store's Records: keyed by uid, read without building the tuple
            pod: r.Pod | None = by_key(uid)
            return pod if pod is not None and pod.metadata.uid == uid else None
        i = self._slot.get(uid)
        if i is not None and i < len(pods) and pods[i].metadata.uid == uid:
            self._forget_old(pods)
            return pods[i]
        if pods is self._mapped:
            return None  # the map is of these very pods: the uid is not among them
        if i is not None:
            # A few pods came or went before it (a relist): it moved by as many places; look near.
            for j in range(max(i - self.NEAR, 0), min(i + self.NEAR + 1, len(pods))):
                if pods[j].metadata.uid == uid:
                    self._slot[uid] = j
                    self._forget_old(pods)
                    return pods[j]
        # Another set of pods, or this one far from where it was: map them all, then O(1) again.
        self._mapped = pods
        self._slot = {p.metadata.uid: n for n, p in enumerate(pods)}
        i = self._slot.get(uid)
        return pods[i] if i is not None else None

    def _forget_old(self, pods: Sequence[r.Pod]) -> None:
        # Never hold an older pods tuple: after a relist it would keep every replaced record alive.
        if self._mapped is not pods:
            self._mapped = None


class EventIndex:
    """Events by involved-object uid, rebuilt only when the snapshot's events tuple is another one."""

    def __init__(self) -> None:
        self._events: Sequence[r.Event] | None = None
        self._by_uid: dict[str | None, list[int]] = {}
        self._chain_key: tuple[Any, ...] = ()
        self._chain: list[Any] = []

    def _owners(self, snapshot: r.ClusterSnapshot, obj: r.AnyObject) -> list[Any]:
        # owner_chain maps every controller by uid on each call: keep its answer until the object or
        # a controller kind changes.
        key = (obj, snapshot.replica_sets, snapshot.deployments, snapshot.stateful_sets,
               snapshot.daemon_sets, snapshot.jobs)
        if not same(key, self._chain_key):
            self._chain_key, self._chain = key, owner_chain(snapshot, obj)
        return self._chain

    def _index(self, events: Sequence[r.Event]) -> dict[str | None, list[int]]:
        if events is not self._events:
            by_uid: dict[str | None, list[int]] = {}
            for n, event in enumerate(events):
                by_uid.setdefault(event.involved_object.uid, []).append(n)
            self._events, self._by_uid = events, by_uid
        return self._by_uid

    def scoped(self, snapshot: r.ClusterSnapshot, obj: r.AnyObject) -> list[EventRow]:
        """``scoped_events(snapshot, obj)``, reading only the events about ``obj`` and its owners."""
        by_uid = self._index(snapshot.events)
        positions: list[int] = []
        chain = self._owners(snapshot, obj)
        for owner in chain:
            positions.extend(by_uid.get(owner.metadata.uid, ()))
        # Snapshot order, so the stable sort in scoped_events breaks ties exactly as over all events.
        positions.sort()
        events = snapshot.events
        subset = msgspec.structs.replace(snapshot, events=tuple(events[n] for n in positions))
        return scoped_events(subset, obj, chain)


class FrontCache:
    """The Services in front of a pod and the Ingresses routing to them, until a pod, Service or
    Ingress record changes."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] = ()
        self._subjects: tuple[Any, ...] = ()

    def subjects(self, snapshot: r.ClusterSnapshot, pod: r.Pod) -> tuple[Any, ...]:
        """Services selecting ``pod`` (by name), then the Ingresses routing to them."""
        key = (pod, snapshot.services, snapshot.ingresses)
        if not same(key, self._key):
            from ktui.ui.probe_targets import ingresses_routing_to, services_in_front

            services = services_in_front(snapshot, pod)
            self._key = key
            self._subjects = (*services, *ingresses_routing_to(snapshot, services))
        return self._subjects

