"""The object lists' rows per snapshot, made again per kind only when what they show can differ.

A kind's rows read its records (and, for Services and Ingresses, slices, Services and classes),
the RBAC refusals, each object's verdict and first finding, and the time (AGE). In a pod storm
none of these move for most snapshots, while making the rows of 10k ReplicaSets costs ~50 ms: far
more than a snapshot's whole diagnosis. So a kind's rows are made again only when one of those
inputs is a new object, when the findings of one of its objects changed (the engine's
``last_changed``), or when one of its AGE texts would read differently (``since_changes``: each
second for an object a minute old, each day for one a month old). Otherwise the same tuple is
handed on (the lists then see the very rows they hold and redraw nothing). When only findings
moved (no input record changed, no AGE turned), the rows of the judged objects take their new
verdict and first finding in place (``with_verdict``) and the others stay. Deployments and
ReplicaSets, whose rows read only their own object, are otherwise made again row by row: a row
whose record, verdict, summary and AGE text did not change is reused. Only the kinds asked for
are made (``kinds``: the list on screen; the others' rows are made when shown): at 10k pods the
rows of 960 Deployments, 2,880 ReplicaSets and 960 Services cost ~80 ms after the first sync and
~6 MB, for lists most sessions never open.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from ktui import resources as r
from ktui.model.durations import since, since_changes
from ktui.model.object_rows import OWN_ROW, ROW_BUILDERS, ObjectRow, objects_of, row_key, with_verdict

INPUTS = ("services", "endpoint_slices", "endpoints", "ingresses", "ingress_classes", "deployments",
          "replica_sets", "nodes")
"""The snapshot's kinds that object rows read (pods are not among them)."""


def next_age_change(snapshot: r.ClusterSnapshot, kind: str) -> datetime | None:
    """When the first of a kind's AGE texts reads differently from now (None: never)."""
    now = snapshot.now
    times = (since_changes(obj.metadata.creation_timestamp, now) for obj in objects_of(snapshot, kind))
    return min((t for t in times if t is not None), default=None)


def verdict_of(diagnosis: Any, uid: str) -> tuple[str, str]:
    """An object's verdict and the first line of its diagnosis ("" when it has no finding)."""
    findings = diagnosis.for_uid(uid)
    return str(diagnosis.verdict(uid)), findings[0].summary if findings else ""


Made = dict[str, tuple[Any, str, str, str, ObjectRow]]
"""Row uid -> (the record, verdict, summary and AGE text it was made from, the row)."""


def own_rows(snapshot: r.ClusterSnapshot, diagnosis: Any, kind: str, made: Made) -> tuple[ObjectRow, ...]:
    """The rows of a kind whose row reads only its object (``OWN_ROW``): a row whose record,
    verdict, summary and AGE text are the ones it was made from is reused; ``made`` is updated."""
    build = OWN_ROW[kind]
    now = snapshot.now
    rows = []
    seen: Made = {}
    for obj in objects_of(snapshot, kind):
        uid = row_key(obj)
        verdict, summary = verdict_of(diagnosis, uid) if diagnosis is not None else ("info", "")
        age = since(obj.metadata.creation_timestamp, now)
        old = made.get(uid)
        if old is not None and old[0] is obj and old[1] == verdict and old[2] == summary and old[3] == age:
            row = old[4]
        else:
            row = build(obj, now, {uid: verdict}, {uid: summary} if summary else {})
        seen[uid] = (obj, verdict, summary, age, row)
        rows.append(row)
    made.clear()
    made.update(seen)  # rows of objects gone are forgotten
    return tuple(rows)


def rows_of_kind(snapshot: r.ClusterSnapshot, diagnosis: Any, kind: str) -> tuple[ObjectRow, ...]:
    """One kind's rows, with each object's verdict and the first line of its diagnosis."""
    verdicts: dict[str, str] = {}
    summaries: dict[str, str] = {}
    if diagnosis is not None:
        for obj in objects_of(snapshot, kind):
            uid = row_key(obj)
            verdicts[uid], summary = verdict_of(diagnosis, uid)
            if summary:
                summaries[uid] = summary
    return ROW_BUILDERS[kind](snapshot, verdicts, summaries)


class ObjectRowsMemo:
    """``rows(snapshot, diagnosis, judged)``: every object list's rows, reused where nothing moved."""

    def __init__(self) -> None:
        self._inputs: tuple[Sequence[Any], ...] = ()
        self._refused: tuple[dict[str, str], frozenset[str]] | None = None
        self._rows: dict[str, tuple[ObjectRow, ...]] = {}
        self._index: dict[str, dict[str, int]] = {}  # kind -> row uid -> its position
        self._made_at: dict[str, datetime] = {}
        self._ages_change: dict[str, datetime | None] = {}
        self._own: dict[str, Made] = {kind: {} for kind in OWN_ROW}
        self.made = 0
        """How many kinds' rows were made (tests check that a pod storm makes none)."""
        self.patched = 0
        """How many kinds' rows took new verdicts in place (the rows of the others reused)."""

    def rows(
        self, snapshot: r.ClusterSnapshot, diagnosis: Any, judged: frozenset[str] | None,
        kinds: Collection[str] | None = None,
    ) -> dict[str, tuple[ObjectRow, ...]]:
        """Kind -> rows for this snapshot, of ``kinds`` only (None: every kind); ``judged``: the
        subject keys whose findings changed since the diagnosis handed over last (None: any may have)."""
        inputs = tuple(getattr(snapshot, field) for field in INPUTS)
        refused = (snapshot.forbidden, snapshot.synced)
        same = (
            diagnosis is not None and judged is not None and len(inputs) == len(self._inputs)
            and all(a is b for a, b in zip(inputs, self._inputs, strict=True)) and refused == self._refused
        )
        self._inputs, self._refused = inputs, refused
        out: dict[str, tuple[ObjectRow, ...]] = {}
        for kind in ROW_BUILDERS:
            if kinds is not None and kind not in kinds:
                self._forget(kind)  # judged sets pass it by from now on: made whole when asked again
                continue
            rows = self._rows.get(kind)
            made = self._made_at.get(kind)
            ages_change = self._ages_change.get(kind)
            if (
                same and rows is not None and made is not None and made <= snapshot.now
                and (ages_change is None or snapshot.now < ages_change)
            ):
                # Only verdicts can have moved: those of the judged objects of this kind, in place.
                index = self._index[kind]
                moved = [uid for uid in judged or () if uid in index]
                if moved:
                    rows = self._rows[kind] = self._with_verdicts(kind, rows, index, moved, diagnosis)
                    self.patched += 1
                out[kind] = rows
                continue
            if kind in OWN_ROW:  # made again row by row: most rows of the kind are the same
                rows = self._rows[kind] = own_rows(snapshot, diagnosis, kind, self._own[kind])
            else:
                rows = self._rows[kind] = rows_of_kind(snapshot, diagnosis, kind)
            self._index[kind] = {row.uid: i for i, row in enumerate(rows)}
            self._made_at[kind] = snapshot.now
            self._ages_change[kind] = next_age_change(snapshot, kind)
            self.made += 1
            out[kind] = rows
        return out

    def _forget(self, kind: str) -> None:
        """Drop a kind's rows (and what reusing them needs)."""
        for table in (self._rows, self._index, self._made_at, self._ages_change):
            table.pop(kind, None)
        if self._own.get(kind):
            self._own[kind] = {}

    def _with_verdicts(
        self, kind: str, rows: tuple[ObjectRow, ...], index: dict[str, int], moved: list[str], diagnosis: Any
    ) -> tuple[ObjectRow, ...]:
        """``rows`` with the verdict and first finding of the ``moved`` objects as the diagnosis says now."""
        new = list(rows)
        own = self._own.get(kind)
        for uid in moved:
            verdict, summary = verdict_of(diagnosis, uid)
            i = index[uid]
            new[i] = with_verdict(rows[i], verdict, summary)
            made = own.get(uid) if own is not None else None
            if own is not None and made is not None:  # what the row now shows, for row-by-row reuse
                own[uid] = (made[0], verdict, summary, made[3], new[i])
        return tuple(new)
