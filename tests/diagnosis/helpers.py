"""Helpers: load dump fixtures and look findings up by subject."""

from __future__ import annotations

from pathlib import Path

from ktui.diagnosis import Diagnosis, Finding
from ktui.dumps import load_dumps
from ktui.resources import ClusterSnapshot

DUMPS = Path(__file__).resolve().parent.parent / "fixtures" / "dumps"
CASES = DUMPS / "cases"
SEED = [str(DUMPS / n) for n in ("seed-pods.json", "seed-events.yaml", "seed-network.yaml")]


def snapshot_of(*names: str) -> ClusterSnapshot:
    """A snapshot from case files (relative to fixtures/dumps/cases) or absolute paths."""
    return load_dumps([n if n.startswith("/") else str(CASES / n) for n in names])


def findings(d: Diagnosis, kind: str, name: str) -> tuple[Finding, ...]:
    """The findings of one subject, root cause first (asserts the subject was judged)."""
    found = [f for f in d.findings if f.subject.kind == kind and f.subject.name == name]
    assert found, f"no finding for {kind} {name}"
    uid = found[0].subject.uid or f"{kind}/{found[0].subject.namespace}/{name}"
    return d.for_uid(uid)


def root(d: Diagnosis, kind: str, name: str) -> Finding:
    """The root-cause finding of one subject."""
    return findings(d, kind, name)[0]
