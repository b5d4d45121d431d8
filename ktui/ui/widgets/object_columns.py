"""Which columns an object list draws at a given width, and how wide each is (pure).

Columns are sized to their content (capped, the diagnosis pane has the whole value); when the list
is too narrow, the least useful ones go first (a ClusterIP before the verdict) and VERDICT takes
what is left.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

from ktui.model.object_rows import COLUMNS, ObjectRow

MAX_WIDTH = {"NAME": 40, "SELECTOR": 32, "PORTS": 24, "BACKENDS": 40, "HOSTS": 32, "ROLES": 24, "CLASS": 12}
"""Columns wider than this are cut with an ellipsis (the diagnosis pane has the whole value)."""

DROP_ORDER = ("CLUSTER-IP", "ADDRESS", "AGE", "UP-TO-DATE", "CURRENT", "TYPE", "CLASS", "ROLES",
              "SELECTOR", "HOSTS", "PORTS", "AVAILABLE")
"""Which columns a narrow table gives up first; NAME, the counts and VERDICT stay."""

VERDICT_MIN = 28
"""VERDICT keeps at least this many cells before other columns are dropped for it."""

DIM_COLUMNS = frozenset({"NAMESPACE", "AGE", "CLUSTER-IP", "TYPE", "CLASS", "ADDRESS", "ROLES"})


def layout(
    rows: Sequence[ObjectRow], kind: str, width: int, show_namespace: bool
) -> list[tuple[str, int]]:
    """(column, width) to draw at this table width: sized to the data, dropped and cut to fit."""
    names = (("NAMESPACE",) if show_namespace else ()) + COLUMNS[kind]
    cols: list[tuple[str, int]] = []
    for index, name in enumerate(names):
        if name == "VERDICT":
            cols.append((name, 0))
            continue
        offset = index - (1 if show_namespace else 0)
        widest = max(
            (cell_len(r.namespace if name == "NAMESPACE" else r.cells[offset]) for r in rows), default=0
        )
        cap = MAX_WIDTH.get(name, 24 if name == "NAMESPACE" else 40)
        cols.append((name, min(max(len(name), widest), cap)))

    def used() -> int:
        # The mark takes 2 cells; each column one separating space.
        return 2 + sum(w + 1 for n, w in cols if n != "VERDICT")

    for name in DROP_ORDER:
        if width - used() - 1 >= VERDICT_MIN:
            break
        cols = [c for c in cols if c[0] != name]
    if width - used() - 1 < VERDICT_MIN:
        cols = [(n, max(w - (used() + 1 + VERDICT_MIN - width), 12) if n == "NAME" else w) for n, w in cols]
    spare = width - used() - 1
    return [(n, max(spare, 0) if n == "VERDICT" else w) for n, w in cols if n != "VERDICT" or spare > 3]
