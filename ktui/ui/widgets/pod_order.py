"""The pod list's data, kept in order incrementally: sorted rows, the filtered view, counts, widths.

A watch storm changes a few rows per snapshot; re-sorting and re-measuring 20,000 rows for each one
stalled the event loop (bench B5). Here every row is keyed by uid and only changed rows are touched:
a row whose sort key is unchanged (restarts, ready, age) is replaced where it stands; one that moves
is taken out and put back by a bisect on the sort keys kept beside the rows (the list insert/delete
is a memmove, microseconds at 20k). Without a change set, the rows that changed are found by
comparing the new rows with the last ones position by position at C speed (snapshots keep their
order and unchanged rows their object). Severity counts and column widths (``pod_columns``) follow
the same edits. A filter query that extends the previous one narrows the current view.

Pure: no Textual, so the widget's behaviour is tested on plain rows.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any

from ktui.model.tables import (
    SEVERITY_RANK,
    PodRow,
    RowFilter,
    SelectorError,
    matches_selector,
    parse_selector,
)
from ktui.ui.widgets.pod_columns import Histogram, Widths

SortKey = Callable[[PodRow], tuple[Any, ...]]

# Display order per column; every order ends in namespace, name (as sort_rows) and uid, so keys
# are unique and a row's position is found by binary search.
_KEYS: dict[str, SortKey] = {
    "severity": lambda r: (SEVERITY_RANK.get(r.severity, 3), r.namespace, r.name, r.uid),
    "name": lambda r: (r.namespace, r.name, r.uid),
    "status": lambda r: (r.status, r.namespace, r.name, r.uid),
    "restarts": lambda r: (-r.restart_count, r.namespace, r.name, r.uid),
    "age": lambda r: (-r.created, r.namespace, r.name, r.uid),
    "node": lambda r: (r.node, r.namespace, r.name, r.uid),
}

@dataclass(slots=True)
class Dirty:
    """What an update changed in the view: display indexes ``lo``..``hi``, or ``lo`` to the end."""

    lo: int | None = None
    hi: int | None = None
    to_end: bool = False
    """Rows from ``lo`` to the end shifted (a row came or went)."""
    resized: bool = False
    """The number of rows shown changed."""
    everything: bool = False
    """The whole view was rebuilt (or the column widths changed): repaint it all."""

    def mark(self, lo: int, hi: int | None) -> None:
        """Widen the changed range to cover ``lo``..``hi`` (None: to the end)."""
        self.lo = lo if self.lo is None else min(self.lo, lo)
        if hi is None:
            self.to_end = True
        else:
            self.hi = hi if self.hi is None else max(self.hi, hi)

    def touches(self, top: int, bottom: int) -> tuple[int, int] | None:
        """The part of ``top``..``bottom`` (inclusive display indexes) that changed, if any."""
        if self.everything:
            return top, bottom
        if self.lo is None:
            return None
        hi = bottom if self.to_end or self.hi is None else min(self.hi, bottom)
        lo = max(self.lo, top)
        return (lo, hi) if lo <= hi else None


Key = tuple[Any, ...]
_uid = attrgetter("uid")


def _position(keys: list[Key], key: Key, reverse: bool) -> int:
    """Where ``key`` goes in ``keys`` (ascending, or descending when reverse)."""
    if not reverse:
        return bisect_left(keys, key)  # all in C: the keys are kept beside the rows for this
    lo, hi = 0, len(keys)
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] > key:
            lo = mid + 1
        else:
            hi = mid
    return lo


class PodOrder:
    """Every row by uid, all rows sorted, the filtered view in display order, counts and widths."""

    REBUILD_FRACTION = 4
    """Above 1/REBUILD_FRACTION of the rows changed, one sort beats that many single moves."""

    def __init__(self) -> None:
        self.by_uid: dict[str, PodRow] = {}
        """Every row (before filtering) by uid."""
        self.all: list[PodRow] = []
        """Every row in display order."""
        self.view: list[PodRow] = self.all
        """The rows that pass the filter, in display order (``all`` itself when nothing is filtered)."""
        # Each row's sort key, beside it: finding a position is then a bisect without Python calls.
        self._all_keys: list[Key] = []
        self._view_keys: list[Key] = self._all_keys
        self.counts: Counter[str] = Counter()
        """Rows (before filtering) per severity."""
        self.error = ""
        """Why the filter's selector is invalid (the view then shows every row)."""
        self.sort_key = "severity"
        self.reverse = False
        self._keyf = _KEYS["severity"]
        self._filter = RowFilter()
        self._requirements: list[tuple[str, str, frozenset[str]]] = []
        self._all_hist = Histogram()
        self._view_hist: Histogram | None = None  # None: the view is every row
        # uid -> index in the last rows given: snapshots keep the order, so a changed row is found
        # without scanning 20k rows.
        self._slot: dict[str, int] = {}
        self._prev: Sequence[PodRow] = ()  # the rows last taken in
        self.widths = Widths()

    # ------------------------------------------------------------------ queries

    def index_of(self, uid: str) -> int | None:
        """Display index of a shown row, None when it is filtered out or gone."""
        row = self.by_uid.get(uid)
        if row is None:
            return None
        i = _position(self._view_keys, self._keyf(row), self.reverse)
        return i if i < len(self.view) and self.view[i] is row else None

    def passes(self, row: PodRow) -> bool:
        """Whether the filter shows this row."""
        f = self._filter
        if self.error:
            return True
        if f.problems_only and row.severity == "info":
            return False
        if f.text and f.text not in row.search_text:
            return False
        return not self._requirements or matches_selector(dict(row.labels), self._requirements)

    # ------------------------------------------------------------------ whole-view changes

    def set_sort(self, key: str, reverse: bool) -> None:
        """Sort by another column (one full sort)."""
        self.sort_key, self.reverse = key, reverse
        self._keyf = _KEYS.get(key, _KEYS["name"])
        self._sort_all()
        self._refilter(narrow=False)

    def _sort_all(self) -> None:
        keyf = self._keyf
        pairs = sorted(((keyf(row), row) for row in self.by_uid.values()), key=itemgetter(0),
                       reverse=self.reverse)
        self._all_keys = [key for key, _ in pairs]
        self.all = [row for _, row in pairs]

    def set_filter(self, query: str, problems_only: bool) -> None:
        """Filter by a filter-bar query; a query extending the previous text narrows the view."""
        new = RowFilter.parse(query, problems_only)
        old, old_error = self._filter, self.error
        self._filter = new
        try:
            self._requirements = parse_selector(new.selector) if new.selector else []
            self.error = ""
        except SelectorError as exc:
            self._requirements, self.error = [], str(exc)
        # Every row passing "abc" contains "ab": scan only the rows the previous text let through.
        narrow = (
            not old_error
            and not self.error
            and not new.selector
            and not old.selector
            and new.problems_only == old.problems_only
            and old.text in new.text
        )
        self._refilter(narrow=narrow)

    def _select(self, rows: list[PodRow], keep: bool = True) -> list[int]:
        """Indexes of the rows that pass (or, ``keep=False``, fail) the filter, in order."""
        f = self._filter
        if f.text and not f.problems_only and not self._requirements:
            text = f.text  # the common case, inlined: ~1 ms per 20k rows instead of a call per row
            return [i for i, row in enumerate(rows) if (text in row.search_text) is keep]
        return [i for i, row in enumerate(rows) if self.passes(row) is keep]

    def _refilter(self, *, narrow: bool) -> None:
        f = self._filter
        if self.error or not (f.text or f.selector or f.problems_only):
            self.view, self._view_keys, self._view_hist = self.all, self._all_keys, None
            self._set_widths()
            return
        source, keys = (self.view, self._view_keys) if narrow else (self.all, self._all_keys)
        source_hist = (self._view_hist or self._all_hist) if narrow else self._all_hist
        kept = self._select(source)
        view = [source[i] for i in kept]
        # Measure whichever is smaller: the rows kept, or the rows the filter took away.
        if len(view) <= len(source) - len(view):
            self._view_hist = Histogram(view)
        else:
            self._view_hist = source_hist.without([source[i] for i in self._select(source, keep=False)])
        self.view, self._view_keys = view, [keys[i] for i in kept]
        self._set_widths()

    def _set_widths(self) -> bool:
        widths = (self._view_hist or self._all_hist).widths()
        changed = widths != self.widths
        self.widths = widths
        return changed

    # ------------------------------------------------------------------ data changes

    def replace(self, rows: Sequence[PodRow], changed: frozenset[str] | None = None) -> Dirty:
        """Take a snapshot's rows; only rows whose uid is in ``changed`` (None: diff them) move."""
        if not self.by_uid:
            return self._reset(rows)
        if changed is None:
            self._slot = {}
            edits = self._diff(rows)
        else:
            found = self._find(rows, changed)
            edits = [(self.by_uid.get(uid), found.get(uid)) for uid in changed]
            edits = [(old, new) for old, new in edits if old is not new]
        if len(edits) * self.REBUILD_FRACTION > max(len(self.by_uid), 64):
            return self._reset(rows)
        dirty = Dirty()
        for old, new in edits:
            self._move(old, new, dirty)
        if changed is not None and len(self.by_uid) != len(rows):
            # A change set that missed a row (it cannot be trusted): find the rest by diffing.
            self._slot = {}
            for old, new in self._diff(rows):
                self._move(old, new, dirty)
        if self._set_widths():
            dirty.everything = True
        self._prev = rows
        return dirty

    def _find(self, rows: Sequence[PodRow], changed: frozenset[str]) -> dict[str, PodRow]:
        """The rows of the changed uids: where they were last time, else one scan (a pod came or went)."""
        get = getattr(rows, "get", None)
        if get is not None:  # Records: each row by uid, without building the whole sequence
            return {uid: row for uid in changed if (row := get(uid)) is not None}
        slot, found = self._slot, {}
        for uid in changed:
            i = slot.get(uid)
            if i is None or i >= len(rows) or rows[i].uid != uid:
                break
            found[uid] = rows[i]
        else:
            return found
        self._slot = {row.uid: i for i, row in enumerate(rows)}
        return {uid: rows[self._slot[uid]] for uid in changed if uid in self._slot}

    def _diff(self, rows: Sequence[PodRow]) -> list[tuple[PodRow | None, PodRow | None]]:
        """(old, new) per row that is not the same object and not equal, plus deletions."""
        by_uid, prev = self.by_uid, self._prev
        if len(prev) == len(rows):
            # Snapshots keep their order and unchanged rows their object: find the positions
            # holding another object at C speed (~0.2 ms per 10k rows), then look at those only.
            pairs = []
            for i in compress(count(), map(is_not, prev, rows)):
                if prev[i].uid != rows[i].uid:
                    break  # positions shifted (a pod came and another went)
                pairs.append((by_uid.get(rows[i].uid), rows[i]))
            else:
                return [(old, new) for old, new in pairs if old is not new and old != new]
        return self._diff_all(rows)

    def _diff_all(self, rows: Sequence[PodRow]) -> list[tuple[PodRow | None, PodRow | None]]:
        """Every row against the one kept for its uid, plus deletions: the lookups and identity checks
        at C speed (a relist that shifted 40k rows: ~4 ms), Python only for the rows that differ."""
        by_uid = self.by_uid
        olds = list(map(by_uid.get, map(_uid, rows)))
        edits: list[tuple[PodRow | None, PodRow | None]] = [
            (olds[i], rows[i]) for i in compress(count(), map(is_not, olds, rows)) if olds[i] != rows[i]
        ]
        if sum(map(is_not, olds, repeat(None))) < len(by_uid):
            edits.extend((by_uid[uid], None) for uid in by_uid.keys() - set(map(_uid, rows)))
        return edits

    def _reset(self, rows: Sequence[PodRow]) -> Dirty:
        self._prev = rows
        self.by_uid = {row.uid: row for row in rows}
        self._slot = {}
        self.counts = Counter(row.severity for row in self.by_uid.values())
        self._sort_all()
        self._all_hist = Histogram(self.all)
        self._refilter(narrow=False)
        return Dirty(lo=0, resized=True, everything=True)

    def _move(self, old: PodRow | None, new: PodRow | None, dirty: Dirty) -> None:
        """Take ``old`` out and put ``new`` in (either may be None), marking the view range touched."""
        keyf, reverse, aliased = self._keyf, self.reverse, self.view is self.all
        all_keys, view_keys = self._all_keys, self._view_keys
        if old is not None and new is not None and keyf(old) == keyf(new) and (
            aliased or self.passes(old) == self.passes(new)
        ):
            self._replace_in_place(old, new, keyf(new), dirty)
            return
        removed_at = inserted_at = None
        if old is not None:
            del self.by_uid[old.uid]
            self.counts[old.severity] -= 1
            if not self.counts[old.severity]:
                del self.counts[old.severity]
            key = keyf(old)
            i = _position(all_keys, key, reverse)
            del self.all[i], all_keys[i]
            self._all_hist.remove(old)
            if aliased:
                removed_at = i
            elif self.passes(old):
                removed_at = _position(view_keys, key, reverse)
                del self.view[removed_at], view_keys[removed_at]
                if self._view_hist is not None:
                    self._view_hist.remove(old)
        if new is not None:
            self.by_uid[new.uid] = new
            self.counts[new.severity] += 1
            key = keyf(new)
            i = _position(all_keys, key, reverse)
            self.all.insert(i, new)
            all_keys.insert(i, key)
            self._all_hist.add(new)
            if aliased:
                inserted_at = i
            elif self.passes(new):
                inserted_at = _position(view_keys, key, reverse)
                self.view.insert(inserted_at, new)
                view_keys.insert(inserted_at, key)
                if self._view_hist is not None:
                    self._view_hist.add(new)
        if removed_at is not None and inserted_at is not None:
            # Same length: only the rows between the two positions shifted.
            dirty.mark(min(removed_at, inserted_at), max(removed_at, inserted_at))
        elif removed_at is not None or inserted_at is not None:
            at = removed_at if inserted_at is None else inserted_at
            assert at is not None
            dirty.mark(at, None)
            dirty.resized = True


    def _replace_in_place(self, old: PodRow, new: PodRow, key: Key, dirty: Dirty) -> None:
        """A row that keeps its place (the common change: restarts, ready, age): no list shifts."""
        self.by_uid[new.uid] = new
        self.counts[old.severity] -= 1
        if not self.counts[old.severity]:
            del self.counts[old.severity]
        self.counts[new.severity] += 1
        i = _position(self._all_keys, key, self.reverse)
        self.all[i] = new
        self._all_hist.remove(old)
        self._all_hist.add(new)
        if self.view is self.all:
            dirty.mark(i, i)
        elif self.passes(new):
            j = _position(self._view_keys, key, self.reverse)
            self.view[j] = new
            if self._view_hist is not None:
                self._view_hist.remove(old)
                self._view_hist.add(new)
            dirty.mark(j, j)

