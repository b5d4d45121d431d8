"""Let ``dataclasses.replace`` (and ``fields``/``asdict``) work on a msgspec Struct that was a dataclass.

Findings and pod rows are made once per watch event and kept per pod, so they are msgspec Structs
(built and compared in C, ~20x faster than a frozen dataclass, and with ``gc=False`` never walked by
the collector). Callers written for the dataclasses they were keep working: the Struct gets the
field table of a plain dataclass with the same field names, which is all those functions read.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def dataclass_compatible(cls: type[T]) -> type[T]:
    """Give a Struct class the ``__dataclass_fields__`` of a dataclass with its field names; returns it."""
    names: tuple[str, ...] = cls.__struct_fields__  # type: ignore[attr-defined]
    mirror: Any = dataclasses.make_dataclass(cls.__name__, [(name, Any) for name in names])
    cls.__dataclass_fields__ = mirror.__dataclass_fields__  # type: ignore[attr-defined]
    return cls
