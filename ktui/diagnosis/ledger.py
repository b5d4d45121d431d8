"""The ledger behind DiagnosisEngine: every judged object filed by key, namespace, node and expiry.

It keeps the findings sorted, the counts per severity and the subject-key map as a shared base
plus an overlay (``findings.Layered``), so each update costs what changed and ``_publish`` hands
out a Diagnosis without copying 10k findings. Only the problems are kept sorted (they are what the
views list; ~5% of a cluster): a healthy pod's new text moves nothing, and the whole sorted list is
made from the subject map if someone asks for it. What to judge again is ``incremental``'s business.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import defaultdict
from datetime import datetime
from typing import Any

import msgspec

from ktui.diagnosis.engine import FIELDS
from ktui.diagnosis.findings import _GONE, Diagnosis, Finding, Layered, Severity, sort_key, worst

_CROSS_NAMESPACE = frozenset({"service_selector_mismatch"})


class _Entry(msgspec.Struct, gc=False):
    """One judged object: its record, findings, subject key and until when they hold.

    Not tracked by the collector (no cycles): 10k entries would otherwise be walked by every full pass.
    """

    field: str
    key: str
    obj: Any
    skey: str
    findings: tuple[Finding, ...]
    expires: datetime | None
    slow: bool
    quotes: frozenset[str] = frozenset()
    """Store keys of the pods whose findings these repeat (a roll-up's text moves with theirs)."""


class Ledger:
    """The judged objects and the sorted findings, counts and subject map made from them."""

    def _reset_ledger(self) -> None:
        self._entries: dict[str, dict[str, _Entry]] = {f: {} for f in FIELDS}
        self._by_skey: dict[str, _Entry] = {}
        # the problem findings, sorted (display order), and their sort keys
        self._keys: list[str] = []
        self._flat: list[Finding] = []
        self._counts: dict[Severity, int] = dict.fromkeys(Severity, 0)
        self._heap: list[tuple[datetime, int, str, str]] = []
        self._tick = 0
        self._slow_by_ns: dict[str, set[str]] = defaultdict(set)
        self._slow_by_node: dict[str, set[str]] = defaultdict(set)
        self._others_by_ns: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._cross: set[str] = set()  # Services whose verdict reads other namespaces (see _cross)
        # pod key -> (field, key) of the objects repeating its findings (``_Entry.quotes``)
        self._quoters: dict[str, set[tuple[str, str]]] = defaultdict(set)
        # subject key -> findings, as a shared base plus the changes since (see findings.Layered)
        self._base: dict[str, tuple[Finding, ...]] = {}
        self._overlay: dict[str, Any] = {}
        self._size = 0

    def _findings_of(self, skey: str) -> tuple[Finding, ...]:
        entry = self._by_skey.get(skey)
        return entry.findings if entry is not None else ()

    def _store(self, entry: _Entry) -> None:
        self._link(entry)
        self._set(entry.skey, entry.findings)

    def _link(self, entry: _Entry) -> None:
        """File an entry under its keys, namespace, node and expiry."""
        self._entries[entry.field][entry.key] = entry
        self._by_skey[entry.skey] = entry
        meta = entry.obj.metadata
        if entry.field == "pods":
            if entry.slow:
                self._slow_by_ns[meta.namespace].add(entry.key)
                if entry.obj.spec.node_name:
                    self._slow_by_node[entry.obj.spec.node_name].add(entry.key)
        else:
            self._others_by_ns[meta.namespace].add((entry.field, entry.key))
            if entry.field == "services" and _cross(entry):
                self._cross.add(entry.key)
            for pod in entry.quotes:
                self._quoters[pod].add((entry.field, entry.key))
        if entry.expires is not None:
            self._push(entry, entry.expires)

    def _push(self, entry: _Entry, expires: datetime) -> None:
        self._tick += 1
        heapq.heappush(self._heap, (expires, self._tick, entry.field, entry.key))
        if len(self._heap) > 4 * len(self._by_skey) + 1024:  # drop entries of objects judged again
            self._heap = [
                (e.expires, i, e.field, e.key)
                for i, e in enumerate(self._by_skey.values()) if e.expires is not None
            ]
            heapq.heapify(self._heap)

    def _refile(self, old: _Entry, entry: _Entry) -> None:
        """File ``entry`` where ``old`` (the same object, judged before) was.

        A pod that stays in its namespace, node and speed class keeps its filing: two dict stores,
        and a heap entry only for a new expiry (an older one still finds the current entry).
        """
        a, b = old.obj, entry.obj
        if (
            entry.field != "pods" or old.key != entry.key or old.skey != entry.skey or old.slow != entry.slow
            or a.metadata.namespace != b.metadata.namespace
            or (entry.slow and a.spec.node_name != b.spec.node_name)
        ):
            self._unlink(old)
            self._link(entry)
            return
        self._entries["pods"][entry.key] = entry
        self._by_skey[entry.skey] = entry
        if entry.expires is not None and entry.expires != old.expires:
            self._push(entry, entry.expires)

    def _unlink(self, entry: _Entry) -> None:
        del self._entries[entry.field][entry.key]
        if self._by_skey.get(entry.skey) is entry:
            del self._by_skey[entry.skey]
        meta = entry.obj.metadata
        if entry.field == "pods":
            if entry.slow:
                _discard(self._slow_by_ns, meta.namespace, entry.key)
                _discard(self._slow_by_node, entry.obj.spec.node_name or "", entry.key)
        else:
            _discard(self._others_by_ns, meta.namespace, (entry.field, entry.key))
            if entry.field == "services":
                self._cross.discard(entry.key)
            for pod in entry.quotes:
                _discard(self._quoters, pod, (entry.field, entry.key))

    def _forget(self, entry: _Entry) -> None:
        self._unlink(entry)
        if entry.skey not in self._by_skey:
            self._unset(entry.skey)
        self._remove(entry.findings)
        self._count(entry.findings, -1)

    def _swap(self, old: _Entry, entry: _Entry) -> bool:
        """Put ``entry`` in ``old``'s place if its findings sort the same (same subject and severities).

        The usual change (a pod's text moved, not its verdict): no bisect-and-move of the sorted
        lists, and the counts stay. False (nothing done) otherwise.
        """
        a, b = old.findings, entry.findings
        if old.skey != entry.skey or len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if x.severity is not y.severity or x.subject != y.subject:
                return False
        keys, flat = self._keys, self._flat
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x.is_problem:  # (y is too: same severity)
                flat[bisect_left(keys, sort_key(x, i))] = y
        self._refile(old, entry)
        self._overlay[entry.skey] = entry.findings
        return True

    def _insert(self, group: tuple[Finding, ...]) -> None:
        for i, f in enumerate(group):
            if not f.is_problem:
                continue
            k = sort_key(f, i)
            at = bisect_left(self._keys, k)
            self._keys.insert(at, k)
            self._flat.insert(at, f)

    def _remove(self, group: tuple[Finding, ...]) -> None:
        for i, f in enumerate(group):
            if not f.is_problem:
                continue
            at = bisect_left(self._keys, sort_key(f, i))
            del self._keys[at]
            del self._flat[at]

    def _count(self, group: tuple[Finding, ...], step: int) -> None:
        self._counts[worst(group)] += step

    def _lookup(self, skey: str) -> Any:
        found = self._overlay.get(skey)
        if found is None:
            return self._base.get(skey)
        return None if found is _GONE else found

    def _set(self, skey: str, findings: tuple[Finding, ...]) -> None:
        if self._lookup(skey) is None:
            self._size += 1
        self._overlay[skey] = findings

    def _unset(self, skey: str) -> None:
        if self._lookup(skey) is None:
            return
        self._size -= 1
        if skey in self._base:
            self._overlay[skey] = _GONE
        else:
            del self._overlay[skey]

    def _publish(self) -> Diagnosis:
        if len(self._overlay) > max(256, len(self._base) // 8):
            # fold the changes into a new base (the old one stays with the Diagnoses that share it)
            base = dict(self._base)
            for skey, found in self._overlay.items():
                if found is _GONE:
                    del base[skey]
                else:
                    base[skey] = found
            self._base, self._overlay = base, {}
        # the whole sorted tuple is made from the subject map only if someone reads it
        return Diagnosis(
            _by_subject=Layered(self._base, dict(self._overlay), self._size),
            _counts=dict(self._counts), _problems=tuple(self._flat),
        )


def _cross(entry: _Entry) -> bool:
    """A Service whose verdict reads other namespaces: no selector (any slice), or selecting nothing."""
    return not entry.obj.spec.selector or any(f.category in _CROSS_NAMESPACE for f in entry.findings)


def _discard(table: dict[Any, set[Any]], group: Any, member: Any) -> None:
    members = table.get(group)
    if members is not None:
        members.discard(member)
        if not members:
            del table[group]
