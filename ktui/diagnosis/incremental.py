"""DiagnosisEngine: a Diagnosis per snapshot, re-judging only the objects a change can affect.

A full pass judges everything (the first snapshot, a relist, a snapshot from elsewhere). After it,
a snapshot that carries the store's change set (``snapshot.changes`` since the version judged last)
is judged incrementally: the index takes the changed records; what is judged again is
- the changed objects, and objects whose probe results changed;
- pods not judged from their record alone ("slow" pods: not Running-and-Ready) whose inputs
  changed: their events, their node, the ConfigMaps/Secrets/ServiceAccounts/claims of their
  namespace, cluster-wide kinds, synced/forbidden;
- pods whose crash-log lines changed (a read came back);
- Services, Ingresses, workloads, Jobs and claims of every namespace where something changed
  (they roll up their pods, once the whole pod list is read), Ingresses and cross-namespace
  Services always when anything did;
- anything whose time-dependent text or threshold expired (``Clock``).
The result is the same Diagnosis a full pass gives on that snapshot (tests compare them on random
change sequences); the work is proportional to what changed.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ktui.diagnosis.engine import FIELDS, Judge, probes_by_subject
from ktui.diagnosis.findings import Diagnosis, Finding, sort_key, subject_key
from ktui.diagnosis.index import Index, store_key
from ktui.diagnosis.ledger import _CROSS_NAMESPACE as _CROSS_NAMESPACE  # re-exported: the old home
from ktui.diagnosis.ledger import Ledger, _Entry
from ktui.diagnosis.ledger import _cross as _cross
from ktui.diagnosis.ledger import _discard as _discard
from ktui.diagnosis.reach import (
    SelectorIndex,
    log_changes,
    problems_moved,
    quiet,
    roots_moved,
    same_verdict,
    selects,
)
from ktui.resources import SNAPSHOT_FIELD_BY_KIND, ClusterSnapshot, ref_of

_READ_BY_SLOW_PODS = frozenset({"ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim"})
_CLUSTER_WIDE = frozenset({"StorageClass", "IngressClass"})
_IGNORED = frozenset({"Namespace", "PersistentVolume", "ResourceQuota"})
_OWNERS = ("deployments", "replica_sets", "stateful_sets", "daemon_sets", "jobs")
"""Fields whose verdict reads only the pods they own (``Index.owned``), not every pod of their namespace."""


class DiagnosisEngine(Ledger):
    """Keeps the last judgement of every object; ``update(snapshot)`` gives that snapshot's Diagnosis."""

    def __init__(self) -> None:
        self.full_passes = 0
        self.judged = 0
        """Objects judged so far (a change its findings never read judges none)."""
        self._reset()

    def _reset(self) -> None:
        self._reset_ledger()
        self._snap: ClusterSnapshot | None = None
        self._ix: Index | None = None
        self._probes: dict[str, tuple[Any, ...]] = {}
        self._by_key: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self._selectors = SelectorIndex()
        self.last_changed: frozenset[str] | None = None
        """Subject keys whose findings changed in the last update (None: a full pass)."""

    # ---- entry point ----------------------------------------------------------------------------

    def update(self, snap: ClusterSnapshot) -> Diagnosis:
        """The Diagnosis of ``snap``, judging again only what changed since the last update."""
        changes = self._changes(snap)
        if changes is None or self._ix is None:
            return self._full(snap)
        return self._incremental(snap, changes)

    def _changes(self, snap: ClusterSnapshot) -> Mapping[str, Any] | None:
        prev = self._snap
        if prev is None or self._ix is None or not self._ix.incremental:
            return None
        if prev.now > snap.now:
            return None  # the clock went back: cached "valid until" answers cannot be trusted
        if snap.changes is not None and snap.changes_since == prev.version and snap.changes_since >= 0:
            if any(v is None for v in snap.changes.values()):
                return None  # a relist: the whole kind changed
            return snap.changes
        if all(getattr(snap, f) is getattr(prev, f) for f in SNAPSHOT_FIELD_BY_KIND.values()):
            return {}  # the same records again (e.g. new probe results only)
        return None

    # ---- full pass ------------------------------------------------------------------------------

    def _full(self, snap: ClusterSnapshot) -> Diagnosis:
        """Judge everything, except Running-and-Ready pods whose verdict inputs did not change."""
        self.full_passes += 1
        old_pods, old_probes = self._entries["pods"], self._probes
        self._reset()
        ix = self._ix = Index(snap)
        self._snap = snap
        self._probes = probes_by_subject(snap.probes)
        judge = Judge(ix, self._probes, self._findings_of)
        groups: list[tuple[Finding, ...]] = []
        for field in FIELDS:
            for obj in getattr(snap, field):
                key = store_key(obj)
                old = old_pods.get(key) if field == "pods" else None
                if (
                    old is not None and not old.slow and (old.obj is obj or same_verdict(old.obj, obj))
                    and self._probes.get(old.skey) == old_probes.get(old.skey)
                ):
                    # a Running, Ready pod is judged from its record alone (a relist re-decodes them all)
                    entry = _Entry(field, key, obj, old.skey, old.findings, None, False)
                else:
                    entry = self._judge(judge, field, key, obj)
                self._store(entry)
                groups.append(entry.findings)
        entries = sum(len(e) for e in self._entries.values())
        if not ix.incremental or len(self._by_skey) != len(groups) or entries != len(groups):
            # subject keys repeat (a dump without uids): keep the plain answer, judge all again next time
            ix.incremental = False
            return Diagnosis.build(groups)
        pairs = sorted((sort_key(f, i), f) for g in groups for i, f in enumerate(g) if f.is_problem)
        self._keys = [k for k, _ in pairs]
        self._flat = [f for _, f in pairs]
        for entry in self._by_skey.values():
            self._count(entry.findings, +1)
        self._base, self._overlay = self._overlay, {}
        self.last_changed = None
        return self._publish()

    # ---- incremental pass -----------------------------------------------------------------------

    def _incremental(self, snap: ClusterSnapshot, changes: Mapping[str, Any]) -> Diagnosis:
        ix, prev = self._ix, self._snap
        assert ix is not None and prev is not None
        was_listing = ix.listing("Pod")  # (the index still reads the previous snapshot)
        dirty: dict[str, set[str]] = defaultdict(set)  # field -> store keys to judge again
        records: set[str] = set()  # pods whose record changed (judged again only if it matters)
        quiet_keys: set[str] = set()  # ...of which nothing but their own findings can reach another object
        dirty_ns: set[str] = set()
        everything = False
        slow_ns: set[str] = set()
        touched: dict[str, list[Any]] = defaultdict(list)  # ns -> changed pods (both versions)
        for kind, changed in changes.items():
            field = SNAPSHOT_FIELD_BY_KIND.get(kind)
            if field is None or kind in _IGNORED or not changed:
                continue
            if kind == "Pod":
                for key, pod in changed.items():
                    old = ix.pods.get(key)
                    if old is not None and pod is not None and quiet(old, pod):
                        quiet_keys.add(key)  # rolled up only if its findings move in or out of problems
                    else:
                        for rec in (old, pod):
                            if rec is not None:
                                touched[rec.metadata.namespace].append(rec)
                    records.add(key)
                ix.apply_pods(changed)
            elif kind == "Event":
                self._event_changes(ix, changed, dirty, dirty_ns, slow_ns)
            else:
                for key, rec in changed.items():
                    if field in self._entries:
                        dirty[field].add(key)
                    if rec is None or kind in _CLUSTER_WIDE:
                        everything = True  # a deletion's namespace is unknown: be safe
                        continue
                    ns = rec.metadata.namespace
                    dirty_ns.add(ns)
                    if kind in _READ_BY_SLOW_PODS:
                        slow_ns.add(ns)
                    elif kind == "Node":
                        dirty["pods"].update(self._slow_by_node.get(rec.metadata.name, ()))
                ix.refresh(snap, [field])
        ix.retarget(snap)
        if snap.forbidden != prev.forbidden:
            everything = True
        elif snap.synced != prev.synced and was_listing and ix.listing("Pod"):
            # Another kind's list ended while pods still list: every object but pods and nodes says it
            # waits for them whatever else is known; only the slow pods read the other kinds.
            slow_ns.update(self._slow_by_ns)
            dirty["nodes"].update(self._entries["nodes"])
        elif snap.synced != prev.synced:
            everything = True
        if snap.logs is not prev.logs and snap.logs != prev.logs and not everything:
            log_changes(ix, snap.logs, prev.logs, dirty)
        self._snap = snap
        self._probe_changes(snap, dirty)
        self._expired(snap.now, dirty)
        if everything:
            slow_ns.update(self._slow_by_ns)
            dirty_ns.update(self._others_by_ns)
        for ns in slow_ns:
            dirty["pods"].update(self._slow_by_ns.get(ns, ()))
        return self._rejudge(snap, ix, dirty, dirty_ns, records, touched, quiet_keys)

    def _event_changes(
        self, ix: Index, changed: Mapping[str, Any], dirty: dict[str, set[str]],
        dirty_ns: set[str], slow_ns: set[str],
    ) -> None:
        """Mark what reads the changed events (a pod's: that pod, if its verdict read them)."""
        nodes = False
        pods = self._entries["pods"]
        for key, ev in changed.items():
            old = ix.events._all.get(key)
            for rec in (old[1] if old else None, ev):
                if rec is None:
                    continue
                io = rec.involved_object
                ns = io.namespace or rec.metadata.namespace
                if io.kind == "Pod" and io.uid:
                    entry = pods.get(io.uid)
                    if entry is None or entry.slow:
                        dirty["pods"].add(io.uid)
                elif io.kind == "Node":
                    nodes = True
                else:  # a claim's or a workload's events, or a pod's without uid
                    dirty_ns.add(ns)
                    slow_ns.add(ns)
                    if io.kind == "Pod":
                        dirty_ns.add(ns)
        ix.events.apply(changed)
        if nodes:
            dirty["nodes"].update(self._entries["nodes"])

    def _probe_changes(self, snap: ClusterSnapshot, dirty: dict[str, set[str]]) -> None:
        probes = probes_by_subject(snap.probes)
        if probes == self._probes:
            return
        for skey in set(probes) | set(self._probes):
            if probes.get(skey) != self._probes.get(skey):
                entry = self._by_skey.get(skey)
                if entry is not None:
                    dirty[entry.field].add(entry.key)
        self._probes = probes

    def _expired(self, now: datetime, dirty: dict[str, set[str]]) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, field, key = heapq.heappop(heap)
            entry = self._entries[field].get(key)
            if entry is not None and entry.expires is not None and entry.expires <= now:
                dirty[field].add(key)

    def _rejudge(
        self, snap: ClusterSnapshot, ix: Index, dirty: dict[str, set[str]], dirty_ns: set[str],
        records: set[str], touched: dict[str, list[Any]], quiet_keys: frozenset[str] | set[str] = frozenset(),
    ) -> Diagnosis:
        judge = Judge(ix, self._probes, self._findings_of)
        changed: set[str] = set()
        quoted: set[str] = set()  # quiet pods whose problem kept its kind but not its words
        pods = self._entries["pods"]
        again = dirty.get("pods", set())
        for key in records | again:
            current = ix.pods.get(key)
            old = pods.get(key)
            if key not in again and old is not None and current and same_verdict(old.obj, current):
                # only what its findings never read moved (annotations, labels, resourceVersion): they
                # stand; it stays filed under the same keys, namespace and node
                old.obj = current
                continue
            before = old.findings if old is not None else None
            was = old.obj if old is not None else None
            ns = self._replace("pods", key, current, judge, changed)
            if ns is None:
                continue
            now = pods.get(key)
            after = now.findings if now is not None else None
            if key not in quiet_keys or roots_moved(before, after):
                # its Services and workloads count its findings (only its problems: a healthy
                # pod's new restart count or condition time reaches none of them)
                for rec in (was, current):
                    if rec is not None:
                        touched[rec.metadata.namespace].append(rec)
            elif problems_moved(before, after):
                quoted.add(key)  # the same problem in other words: only what repeats them reads it
        if not ix.known("Pod"):
            # Until the pod list is complete no other object's rules read pods (Index.known): the
            # pages of a first list re-judge no workload or Service; the list's end does, once.
            touched = {}
        for key in quoted:
            for field, okey in self._quoters.get(key, ()):
                dirty[field].add(okey)
        if quoted:
            dirty["ingresses"].update(self._entries["ingresses"])  # (they quote controller pods)
        for ns, changed_pods in touched.items():
            if ns in dirty_ns:
                continue
            # a pod matters to a Service only if the selector matches it (before or after the
            # change; Services reading more than their selected pods are in _cross, below), and to
            # a workload only if the workload owns it (directly or through its ReplicaSet)
            others = self._others_by_ns.get(ns)
            if not others:
                continue
            owners = self._owners(changed_pods) if any(f in _OWNERS for f, _ in others) else None
            selecting = self._selectors.selecting(snap.services, self._entries["services"], ns, changed_pods)
            for field, key in others:
                if field == "services":
                    if key in selecting:
                        dirty[field].add(key)
                elif owners is None or field not in _OWNERS or key in owners:
                    dirty[field].add(key)
        if dirty_ns or touched:
            for ns in dirty_ns:
                for field, key in self._others_by_ns.get(ns, ()):
                    dirty[field].add(key)
            # they read other namespaces: the ingress controller's pods, labels elsewhere, any slice
            dirty["ingresses"].update(self._entries["ingresses"])
            if dirty_ns:
                dirty["services"].update(self._cross)
            else:  # only pods changed: a Service matching nothing reads its own namespace's pods
                # and, elsewhere, only pods its selector matches
                services = self._entries["services"]
                for key in self._cross:
                    svc = services[key].obj
                    if svc.metadata.namespace in touched or any(
                        selects(svc, changed_pods) for changed_pods in touched.values()
                    ):
                        dirty["services"].add(key)
        for field in FIELDS[1:]:
            keys = dirty.get(field)
            if not keys:
                continue
            by_key = self._records_by_key(snap, field)
            for key in keys:
                self._replace(field, key, by_key.get(key), judge, changed)
        self.last_changed = frozenset(changed)
        return self._publish()

    def _owners(self, pods: list[Any]) -> set[str] | None:
        """Keys of the judged workloads that own these pods, up the owner chain (None: cannot tell).

        Owners are found by uid, as ``Index.owned`` files the pods; a reference without a uid
        (a dump) could match by name: then every workload of the namespace counts.
        """
        found: set[str] = set()
        todo = [ref for pod in pods for ref in pod.metadata.owner_references if ref.controller is not False]
        while todo:
            ref = todo.pop()
            if not ref.uid:
                return None
            for field in _OWNERS:
                entry = self._entries[field].get(ref.uid)
                if entry is not None and ref.uid not in found:
                    found.add(ref.uid)
                    todo.extend(r for r in entry.obj.metadata.owner_references if r.controller is not False)
        return found

    def _records_by_key(self, snap: ClusterSnapshot, field: str) -> dict[str, Any]:
        """The snapshot's records of one field by store key, made again only when that kind changed."""
        records = getattr(snap, field)
        cached = self._by_key.get(field)
        if cached is None or cached[0] is not records:
            cached = self._by_key[field] = (records, {store_key(o): o for o in records})
        return cached[1]

    # ---- bookkeeping ----------------------------------------------------------------------------

    def _judge(self, judge: Judge, field: str, key: str, obj: Any, old: _Entry | None = None) -> _Entry:
        findings = judge.judge(field, obj)
        self.judged += 1
        slow = field == "pods" and not judge.fast
        same = old is not None and _same_subject(old.obj, obj)
        skey = old.skey if same and old is not None else subject_key(ref_of(obj))
        return _Entry(field, key, obj, skey, findings, judge.expires, slow, judge.quotes)

    def _replace(self, field: str, key: str, obj: Any, judge: Judge, changed: set[str]) -> str | None:
        """Judge one object again (None: it is gone); its namespace when its findings changed."""
        old = self._entries[field].get(key)
        if obj is None:
            if old is None:
                return None
            self._forget(old)
            changed.add(old.skey)
            return str(old.obj.metadata.namespace)
        entry = self._judge(judge, field, key, obj, old)
        if old is not None and old.skey == entry.skey and old.findings == entry.findings:
            entry.findings = old.findings  # same answer: its place in the sorted list and counts stay
            self._refile(old, entry)
            return None
        if old is not None and self._swap(old, entry):
            changed.add(entry.skey)
            return str(obj.metadata.namespace)
        if old is not None:
            self._forget(old)
        self._store(entry)
        self._insert(entry.findings)
        self._count(entry.findings, +1)
        changed.add(entry.skey)
        return str(obj.metadata.namespace)


def _same_subject(old: Any, new: Any) -> bool:
    """Whether two records name the same subject (kind, namespace, name, uid): its key stays."""
    a, b = old.metadata, new.metadata
    return old.kind == new.kind and a.uid == b.uid and a.name == b.name and a.namespace == b.namespace
