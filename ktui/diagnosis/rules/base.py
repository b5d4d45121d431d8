"""What a rule returns (a Hit: category + parameters + evidence), and turning it into a Finding."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from ktui.diagnosis.catalog import CATALOG, render
from ktui.diagnosis.findings import Finding, Severity
from ktui.diagnosis.shell import DESCRIBE_SUBJECT, describe
from ktui.resources import Ref, ref_of


@dataclass(slots=True)
class Hit:
    """A fact a rule established: the catalog category, the template parameters, the evidence."""

    category: str
    params: dict[str, Any] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    detail: str = ""
    severity: Severity | None = None  # overrides the catalog default (e.g. old OOM -> warning)
    summary: str | None = None  # a ready sentence (rollups); otherwise rendered from the catalog
    code: str | None = None  # rollups keep the code of the cause they repeat
    quotes: str = ""  # the store key of the pod whose finding this one repeats (rollups), if any


def to_finding(subject: Ref, hit: Hit) -> Finding:
    """Render a Hit through the catalog into a Finding about ``subject``."""
    entry = CATALOG[hit.category]
    params = {"namespace": subject.namespace, "name": subject.name, **hit.params}
    evidence, commands = hit.evidence, hit.commands
    # `kubectl describe` of the subject first (the common case) is a flag, written out when read
    describes = bool(commands) and commands[0] is DESCRIBE_SUBJECT
    if describes:
        commands = commands[1:]
    if DESCRIBE_SUBJECT in commands:  # placed after another command: written out here
        own = describe(subject.kind, subject.namespace, subject.name)
        commands = [own if c is DESCRIBE_SUBJECT else c for c in commands]
    # one finding per watch event: skip the de-duplication (and its dict) where nothing can repeat
    return Finding(
        subject,
        hit.category,
        hit.code or entry.code,
        hit.severity or entry.severity,
        hit.summary if hit.summary is not None else shared_text(render(entry.summary, params)),
        hit.detail,
        tuple(evidence) if len(evidence) < 2 else tuple(dict.fromkeys(evidence)),
        tuple([render(s, params) for s in entry.steps]) if entry.steps else (),
        tuple(commands) if len(commands) < 2 else tuple(dict.fromkeys(commands)),
        describes,
    )


def shared_text(text: str) -> str:
    """One str object for a short sentence many objects share ("Running, 1/1 ready"): 10k pods, one copy."""
    return sys.intern(text) if len(text) <= 48 else text


def findings_for(obj: Any, hits: list[Hit]) -> tuple[Finding, ...]:
    """The Findings of one object, root cause first."""
    ref = ref_of(obj)
    return tuple(to_finding(ref, h) for h in hits)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 pod', '3 pods'."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
