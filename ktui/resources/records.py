"""Records: a frozen sequence of one kind's records, handed out in proportion to what changed.

A live view of 20k pods makes a snapshot ~30 times a second. As a tuple, each snapshot would copy
every record reference and free the previous copy: ~40k reference-count writes to objects scattered
over ~110 MB, ~0.7 ms a snapshot whatever changed (B4-scale). A ``Records`` is instead a shared base
dict plus the change sets made since it (key -> the record now, or None when deleted): handing one
out costs a tuple of references to those change sets. ``RecordLog`` folds the changes into a new
base once they outgrow a fraction of it, so lookups stay short and memory bounded.

Reading one whole (iteration, an index, equality) builds its tuple once and keeps it. Consumers that
follow the change sets (the diagnosis, the pod rows, the pod list) never do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar, overload

T = TypeVar("T")

FOLD_FRACTION = 4
"""Changes are folded into a new base once they hold more than 1/4 of the records (or 64)."""
MAX_DELTAS = 32
"""...or once 32 change sets are chained (a lookup walks them, newest first)."""


class Records(Sequence[T]):
    """One kind's records at one moment: a base dict (never changed again) under change sets."""

    __slots__ = ("_base", "_deltas", "_items", "_size")

    def __init__(
        self, base: Mapping[str, T] | None = None, deltas: tuple[Mapping[str, T | None], ...] = (),
        size: int | None = None,
    ) -> None:
        self._base: Mapping[str, T] = base if base is not None else {}
        self._deltas = deltas
        self._size = len(self._base) if size is None else size
        self._items: tuple[T, ...] | None = None

    def get(self, key: str, default: Any = None) -> Any:
        """The record under ``key`` (a uid, or namespace/name), or ``default``; no copy is made."""
        for delta in reversed(self._deltas):
            if key in delta:
                found = delta[key]
                return default if found is None else found
        return self._base.get(key, default)

    @property
    def built(self) -> bool:
        """Whether the whole tuple has been built (someone read the records whole)."""
        return self._items is not None

    def as_tuple(self) -> tuple[T, ...]:
        """Every record, in the order of the store (built on first use, then kept)."""
        items = self._items
        if items is None:
            if not self._deltas:
                items = tuple(self._base.values())
            else:
                merged = dict(self._base)
                for delta in self._deltas:
                    for key, value in delta.items():
                        if value is None:
                            merged.pop(key, None)
                        else:
                            merged[key] = value
                items = tuple(merged.values())
            self._items = items  # two threads may both build it: equal tuples, either one stays
        return items

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def __iter__(self) -> Iterator[T]:
        return iter(self.as_tuple())

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.as_tuple()[index]

    def __add__(self, other: Sequence[T]) -> tuple[T, ...]:
        return self.as_tuple() + tuple(other)

    def __radd__(self, other: Sequence[T]) -> tuple[T, ...]:
        return tuple(other) + self.as_tuple()

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, Records):
            return self._size == other._size and self.as_tuple() == other.as_tuple()
        if isinstance(other, tuple):
            return self.as_tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.as_tuple())

    def __repr__(self) -> str:
        return f"Records({self.as_tuple()!r})"


EMPTY: Records[Any] = Records()


class RecordLog:
    """Makes the Records of one changing dict: its owner says which keys changed since the last one."""

    __slots__ = ("_base", "_deltas", "_pending", "_view")

    def __init__(self) -> None:
        self._base: dict[str, Any] = {}
        self._deltas: tuple[Mapping[str, Any], ...] = ()
        self._pending = 0
        self._view: Records[Any] = EMPTY

    def view(self, current: dict[str, Any], delta: Mapping[str, Any] | None) -> Records[Any]:
        """The Records of ``current`` now, given ``delta``: each key changed since the last view with
        its value now (None: deleted), or None when anything may have changed (a relist).

        ``delta`` is kept as it is: the caller must not change it afterwards.
        """
        if delta is not None and not delta:
            return self._view
        if (
            delta is None or self._pending + len(delta) > max(64, len(current) // FOLD_FRACTION)
            or len(self._deltas) >= MAX_DELTAS
        ):
            self._base, self._deltas, self._pending = dict(current), (), 0
        else:
            self._deltas += (delta,)
            self._pending += len(delta)
        self._view = Records(self._base, self._deltas, len(current))
        return self._view
