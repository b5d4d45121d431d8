"""What the engine says: a Finding about one object, its Severity, and the Diagnosis of a snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ktui.resources import Ref


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


@dataclass(frozen=True, slots=True)
class Finding:
    """One statement about one object: what is wrong (or that it is fine), why, and what to do."""

    subject: Ref
    category: str
    code: str
    severity: Severity
    summary: str
    detail: str = ""
    evidence: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

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


def _sort_key(item: tuple[int, Finding]) -> tuple[int, int, str, str, str, int]:
    position, f = item
    s = f.subject
    return (SEVERITY_RANK[f.severity], KIND_RANK.get(s.kind, 50), s.kind, s.namespace, s.name, position)


@dataclass(frozen=True)
class Diagnosis:
    """All findings of one snapshot, problems first, with per-object lookups."""

    findings: tuple[Finding, ...] = ()
    _by_subject: dict[str, tuple[Finding, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, per_subject: Iterable[tuple[Finding, ...]]) -> Diagnosis:
        """Assemble from each subject's findings (root cause first within a subject)."""
        by_subject: dict[str, tuple[Finding, ...]] = {}
        flat: list[tuple[int, Finding]] = []
        for group in per_subject:
            if not group:
                continue
            key = subject_key(group[0].subject)
            by_subject[key] = by_subject.get(key, ()) + group
            flat.extend((i, f) for i, f in enumerate(group))
        flat.sort(key=_sort_key)
        return cls(findings=tuple(f for _, f in flat), _by_subject=by_subject)

    def for_uid(self, uid: str) -> tuple[Finding, ...]:
        """The findings about one object, root cause first (a uid, or kind/ns/name without one)."""
        return self._by_subject.get(uid, ())

    def verdict(self, uid: str) -> Severity:
        """The worst severity of one object (INFO when healthy or unknown to the engine)."""
        group = self._by_subject.get(uid, ())
        if not group:
            return Severity.INFO
        return min((f.severity for f in group), key=SEVERITY_RANK.__getitem__)

    def problems(self) -> tuple[Finding, ...]:
        """The error, warning and unknown findings, in display order."""
        return tuple(f for f in self.findings if f.severity in PROBLEM_SEVERITIES)

    def counts(self) -> dict[Severity, int]:
        """How many objects have each worst severity."""
        out = dict.fromkeys(Severity, 0)
        for key in self._by_subject:
            out[self.verdict(key)] += 1
        return out

    def subjects(self) -> tuple[Ref, ...]:
        """Every object the engine judged."""
        return tuple(group[0].subject for group in self._by_subject.values())
