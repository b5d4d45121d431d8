"""The owned cluster state: records by kind and uid, changed under a lock, read as frozen snapshots.

Writers are the reflector threads (``apply`` a batch of watch events, ``replace`` after a list);
the reader is the feed thread (``snapshot``). A snapshot is cheap because each kind's records are
handed out as ``Records`` (``ktui.resources.records``): a shared base plus the change sets since, so
a snapshot costs what changed, not a copy of 20k references (an unchanged kind reuses its Records).

Each snapshot also carries what changed since the previous one (``changes``: kind -> key -> the
record now, or None when deleted; a kind maps to None after a relist), so consumers such as the
diagnosis can work in proportion to the change instead of the cluster.
"""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ktui import resources as r
from ktui.resources.records import EMPTY, RecordLog, Records

_FIELDS = r.SNAPSHOT_FIELD_BY_KIND
_STORES = itertools.count(1)
"""Each store numbers its versions from its own base, so a change set is never taken for another store's."""


def key_of(record: Any) -> str:
    """The store key of a record: its uid, or namespace/name when it has none (dumps, tests)."""
    meta = record.metadata
    return meta.uid or f"{meta.namespace}/{meta.name}"


class ClusterStore:
    """Records of every kind keyed by uid, plus what is forbidden and what has synced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Any]] = {kind: {} for kind in _FIELDS}
        # each kind's Records as last handed out, and what makes the next one from the changes
        self._views: dict[str, Records[Any]] = dict.fromkeys(_FIELDS, EMPTY)
        self._logs: dict[str, RecordLog] = {kind: RecordLog() for kind in _FIELDS}
        self._dirty: set[str] = set()
        # kind -> keys changed since the last snapshot, in first-change order; None: the whole kind
        self._changed: dict[str, dict[str, None] | None] = {}
        self._forbidden: dict[str, str] = {}
        self._synced: set[str] = set()
        self._version = next(_STORES) << 32
        self._snap: r.ClusterSnapshot | None = None
        self._snap_version = -1

    @property
    def version(self) -> int:
        """Grows by one with every change (records, forbidden or synced)."""
        return self._version

    def apply(self, kind: str, event_type: str, record: Any) -> None:
        """One watch event: ADDED / MODIFIED store the record, DELETED removes it."""
        self.apply_many(kind, ((event_type, record),))

    def apply_many(self, kind: str, events: Iterable[tuple[str, Any]], *, synced: bool = False) -> int:
        """A batch of watch events in order, under one lock; returns how many were applied.

        ``synced``: the batch ends the kind's list (marked synced under the same lock: no snapshot
        holds the whole list and yet says it is still being listed)."""
        objs = self._objects[kind]
        n = 0
        with self._lock:
            if synced and kind not in self._synced:
                self._synced.add(kind)
                self._version += 1
            changed = self._changed.get(kind, {})
            for event_type, record in events:
                meta = record.metadata
                key = meta.uid or f"{meta.namespace}/{meta.name}"
                if event_type == "DELETED":
                    objs.pop(key, None)
                else:
                    objs[key] = record
                if changed is not None:
                    changed[key] = None
                n += 1
            if n:
                self._changed[kind] = changed
                self._dirty.add(kind)
                self._version += 1
        return n

    def replace(self, kind: str, records: Iterable[Any], *, synced: bool = True) -> None:
        """The whole current set of a kind (initial list or relist); marks it synced."""
        fresh = {key_of(rec): rec for rec in records}
        with self._lock:
            self._objects[kind] = fresh
            self._dirty.add(kind)
            self._changed[kind] = None
            if synced:
                self._synced.add(kind)
            self._version += 1
        # Long-lived records are now in place: move them out of the GC's way (performance.md 6.5).
        gc.freeze()

    def set_forbidden(self, key: str, message: str | None) -> None:
        """Record (or with None, clear) a refused read such as ``"list endpointslices"``."""
        with self._lock:
            if message is None:
                if self._forbidden.pop(key, None) is None:
                    return
            elif self._forbidden.get(key) == message:
                return
            else:
                self._forbidden[key] = message
            self._version += 1

    def forbidden(self) -> dict[str, str]:
        """A copy of the refused reads and the server's messages."""
        with self._lock:
            return dict(self._forbidden)

    def mark_synced(self, kind: str) -> None:
        """Mark a kind as listed without changing its records."""
        with self._lock:
            if kind not in self._synced:
                self._synced.add(kind)
                self._version += 1

    def clear(self) -> None:
        """Forget everything (namespace or context switch)."""
        with self._lock:
            for kind in _FIELDS:
                self._objects[kind] = {}
                self._changed[kind] = None
            self._dirty.update(_FIELDS)
            self._forbidden.clear()
            self._synced.clear()
            self._version += 1

    def count(self, kind: str) -> int:
        """How many records of a kind are held."""
        return len(self._objects[kind])

    def records(self, kind: str) -> list[Any]:
        """The current records of a kind, without taking a snapshot (which would start a new change set)."""
        with self._lock:
            return list(self._objects[kind].values())

    def get(self, kind: str, uid: str) -> Any | None:
        """One record by kind and uid."""
        return self._objects[kind].get(uid)

    def snapshot(self, now: datetime | None = None) -> r.ClusterSnapshot:
        """A frozen ClusterSnapshot of the current state; unchanged kinds reuse their tuples."""
        with self._lock:
            if self._snap is not None and self._snap_version == self._version and now is None:
                return self._snap
            changes: dict[str, dict[str, Any] | None] = {}
            for kind, keys in self._changed.items():
                objs = self._objects[kind]
                changes[kind] = None if keys is None else {key: objs.get(key) for key in keys}
            self._changed = {}
            for kind in self._dirty:
                # the change set is the new Records' delta too: consumers only read it
                self._views[kind] = self._logs[kind].view(self._objects[kind], changes.get(kind))
            self._dirty.clear()
            fields: dict[str, Any] = {_FIELDS[kind]: items for kind, items in self._views.items()}
            snap = r.ClusterSnapshot(
                now=now or datetime.now(UTC), forbidden=dict(self._forbidden),
                synced=frozenset(self._synced), version=self._version, **fields,
                changes=changes, changes_since=self._snap_version if self._snap is not None else -1,
            )
            self._snap, self._snap_version = snap, self._version
            return snap
