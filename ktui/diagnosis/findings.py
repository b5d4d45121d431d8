"""What the engine says: a Finding about one object, its Severity, and the Diagnosis of a snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import Field, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import msgspec

from ktui.diagnosis.shell import describe
from ktui.resources import Ref
from ktui.resources.dataclass_compat import dataclass_compatible


class Severity(StrEnum):
    """How bad a finding is; UNKNOWN means ktui could not check (e.g. RBAC forbade a read)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    UNKNOWN = "unknown"


SEVERITY_RANK: dict[Severity, int] = {
    Severity.ERROR: 0,
    Severity.WARNING: 1,
    Severity.UNKNOWN: 2,
    Severity.INFO: 3,
}
"""Worst first: an error outranks a warning, which outranks 'could not check', which outranks info."""

PROBLEM_SEVERITIES = frozenset({Severity.ERROR, Severity.WARNING, Severity.UNKNOWN})
"""Severities that count as a problem (``Diagnosis.problems``)."""

KIND_RANK: dict[str, int] = {
    "Pod": 0,
    "Service": 1,
    "Ingress": 2,
    "Deployment": 3,
    "StatefulSet": 4,
    "DaemonSet": 5,
    "ReplicaSet": 6,
    "Job": 7,
    "PersistentVolumeClaim": 8,
    "Node": 9,
}
"""Display order of subjects: the learnk8s path Pod -> Service -> Ingress, then the rest."""


@dataclass_compatible
class Finding(msgspec.Struct, frozen=True, gc=False):
    """One statement about one object: what is wrong (or that it is fine), why, and what to do.

    A Struct (built and compared in C; ``gc=False``: 10k of them are never walked by the collector,
    and they hold no cycles); ``dataclasses.replace`` still works on it.
    """

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    subject: Ref
    category: str
    code: str
    severity: Severity
    summary: str
    detail: str = ""
    evidence: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    extra_commands: tuple[str, ...] = ()
    """The commands to copy, after `kubectl describe` of the subject when ``describes``."""
    describes: bool = False
    """Whether ``commands`` starts with `kubectl describe` of the subject (written out when read)."""

    @property
    def commands(self) -> tuple[str, ...]:
        """The commands to copy, in order."""
        if not self.describes:
            return self.extra_commands
        s = self.subject
        return (describe(s.kind, s.namespace, s.name), *self.extra_commands)

    @property
    def is_problem(self) -> bool:
        """Whether this finding is an error, a warning or an unverifiable check."""
        return self.severity in PROBLEM_SEVERITIES

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with every field (the ``--json`` shape)."""
        s = self.subject
        return {
            "subject": {"kind": s.kind, "namespace": s.namespace, "name": s.name, "uid": s.uid},
            "category": self.category,
            "code": self.code,
            "severity": self.severity.value,
            "summary": self.summary,
            "detail": self.detail,
            "evidence": list(self.evidence),
            "next_steps": list(self.next_steps),
            "commands": list(self.commands),
        }


def subject_key(ref: Ref) -> str:
    """The key findings are grouped by: the uid, or kind/namespace/name for dumps without uids."""
    return ref.uid or f"{ref.kind}/{ref.namespace}/{ref.name}"


def sort_key(f: Finding, position: int) -> str:
    """Display order: severity, then Pod -> Service -> Ingress -> others, namespace, name, uid, rank.

    One string (NUL between the parts, which names never contain) orders like the tuple of those
    parts, and compares in C: keeping 10k findings sorted under changes is a bisect per finding.
    """
    s = f.subject
    return (
        f"{SEVERITY_RANK[f.severity]}{KIND_RANK.get(s.kind, 50):02d}{s.kind}\0{s.namespace}\0"
        f"{s.name}\0{s.uid}\0{position:04d}"
    )


def worst(group: tuple[Finding, ...]) -> Severity:
    """The worst severity of one subject's findings (INFO for none)."""
    if len(group) == 1:  # the common case: one finding per subject
        return group[0].severity
    if not group:
        return Severity.INFO
    return min((f.severity for f in group), key=SEVERITY_RANK.__getitem__)


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """All findings of one snapshot, problems first, with per-object lookups.

    A live engine publishes ~30 Diagnoses a second and the UI reads them per object, so it leaves
    ``findings`` out: the whole sorted tuple is then made from ``_by_subject`` on first use (copying
    20k findings into a tuple per publish was ~0.4 ms whether anyone read it or not).
    """

    _sorted: tuple[Finding, ...] | None = field(default=None, repr=False)
    _by_subject: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict, repr=False)
    _counts: dict[Severity, int] | None = field(default=None, repr=False)
    _problems: tuple[Finding, ...] | None = field(default=None, repr=False)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, problems first, in display order."""
        found = self._sorted
        if found is None:
            pairs = sorted(
                (sort_key(f, i), f) for group in self._by_subject.values() for i, f in enumerate(group)
            )
            found = tuple(f for _, f in pairs)
            object.__setattr__(self, "_sorted", found)  # a cache: the value follows from the map
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Diagnosis):
            return NotImplemented
        return other is self or self.findings == other.findings

    def __hash__(self) -> int:
        return hash(self.findings)

    @classmethod
    def build(cls, per_subject: Iterable[tuple[Finding, ...]]) -> Diagnosis:
        """Assemble from each subject's findings (root cause first within a subject)."""
        by_subject: dict[str, tuple[Finding, ...]] = {}
        flat: list[tuple[str, Finding]] = []
        for group in per_subject:
            if not group:
                continue
            key = subject_key(group[0].subject)
            by_subject[key] = by_subject.get(key, ()) + group
            flat.extend((sort_key(f, i), f) for i, f in enumerate(group))
        flat.sort(key=_first)
        return cls(_sorted=tuple(f for _, f in flat), _by_subject=by_subject)

    def for_uid(self, uid: str) -> tuple[Finding, ...]:
        """The findings about one object, root cause first (a uid, or kind/ns/name without one)."""
        return self._by_subject.get(uid, ())

    def verdict(self, uid: str) -> Severity:
        """The worst severity of one object (INFO when healthy or unknown to the engine)."""
        return worst(self._by_subject.get(uid, ()))

    def problems(self) -> tuple[Finding, ...]:
        """The error, warning and unknown findings, in display order."""
        if self._problems is not None:
            return self._problems
        return tuple(f for f in self.findings if f.severity in PROBLEM_SEVERITIES)

    def counts(self) -> dict[Severity, int]:
        """How many objects have each worst severity."""
        if self._counts is not None:
            return dict(self._counts)
        out = dict.fromkeys(Severity, 0)
        for group in self._by_subject.values():
            out[worst(group)] += 1
        return out

    def subjects(self) -> tuple[Ref, ...]:
        """Every object the engine judged (in no particular order)."""
        return tuple(group[0].subject for group in self._by_subject.values())


def _first(item: tuple[Any, Finding]) -> Any:
    return item[0]


_GONE: Any = object()
"""An overlay entry marking a subject removed since the base was made."""


class Layered(Mapping[str, tuple[Finding, ...]]):
    """A read-only map: a shared base dict under a small overlay of changes (``_GONE`` = deleted).

    Successive Diagnoses of a live cluster share the base, so publishing one costs a copy of the
    changes since the base was made, not of 10k subjects.
    """

    __slots__ = ("_base", "_overlay", "_size")

    def __init__(
        self, base: dict[str, tuple[Finding, ...]], overlay: dict[str, tuple[Finding, ...]], size: int
    ) -> None:
        self._base, self._overlay, self._size = base, overlay, size

    def __getitem__(self, key: str) -> tuple[Finding, ...]:
        found = self._overlay.get(key)
        if found is None:
            return self._base[key]
        if found is _GONE:
            raise KeyError(key)
        return found

    def get(self, key: str, default: Any = None) -> Any:
        """The value, or ``default``."""
        found = self._overlay.get(key)
        if found is None:
            return self._base.get(key, default)
        return default if found is _GONE else found

    def __contains__(self, key: object) -> bool:
        return self.get(key, _GONE) is not _GONE  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[str]:
        overlay = self._overlay
        for key in self._base:
            if key not in overlay:
                yield key
        for key, value in overlay.items():
            if value is not _GONE:
                yield key

    def __len__(self) -> int:
        return self._size
