"""Server-side ``Table`` printing, after k/k ``pkg/printers/internalversion/printers.go``.

The apiserver prints with ``Wide: true`` and kubectl hides priority-1 columns unless ``-o wide``, so
every row carries all cells. Rows carry a ``PartialObjectMetadata`` so ``get -A`` fills NAMESPACE.
The cells of each kind live in ``podprint``, ``netprint`` and ``objprint``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ktui.sandbox import netprint, objprint
from ktui.sandbox.podprint import pod_cells
from ktui.sandbox.printfmt import Printer

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority


def columns(spec: str) -> list[Column]:
    """``"Name,Ready,IP*,Count#"``: ``*`` marks a wide (priority 1) column, ``#`` an integer one."""
    out = []
    for name in spec.split(","):
        wide, integer = name.endswith("*"), name.rstrip("*").endswith("#")
        out.append((name.rstrip("*").rstrip("#"), "integer" if integer else "string", 1 if wide else 0))
    return out


_CELLS: dict[str, tuple[str, Printer]] = {
    "pods": ("Name,Ready,Status,Restarts,Age,IP*,Node*,Nominated Node*,Readiness Gates*", pod_cells),
    **netprint.CELLS,
    **objprint.CELLS,
}
PRINTERS: dict[str, tuple[list[Column], Printer]] = {
    key: (columns(spec), fn) for key, (spec, fn) in _CELLS.items()
}
DEFAULT: tuple[list[Column], Printer] = (columns("Name,Age"), objprint.default_cells)


def column_definitions(resource: str) -> list[Obj]:
    """The ``columnDefinitions`` of ``resource``'s Table."""
    cols = PRINTERS.get(resource, DEFAULT)[0]
    return [
        {
            "name": n,
            "type": t,
            "format": "name" if n == "Name" and i == 0 else "",
            "description": n,
            "priority": p,
        }
        for i, (n, t, p) in enumerate(cols)
    ]


def row(resource: str, obj: Obj, now: datetime | None = None) -> Obj:
    """One Table row for ``obj``, with its metadata as ``PartialObjectMetadata``."""
    now = now or datetime.now(UTC)
    printer = PRINTERS.get(resource, DEFAULT)[1]
    return {
        "cells": printer(obj, now),
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        },
    }


def table(
    resource: str,
    items: list[Obj],
    *,
    resource_version: int | str,
    cont: str | None = None,
    remaining: int | None = None,
    now: datetime | None = None,
) -> Obj:
    """A ``meta.k8s.io/v1`` Table for ``items``."""
    now = now or datetime.now(UTC)
    meta: Obj = {"resourceVersion": str(resource_version)}
    if cont:
        meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": column_definitions(resource),
        "rows": [row(resource, o, now) for o in items],
    }
