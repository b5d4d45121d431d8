"""The pod list's filter: free text, label selectors (equality and set-based), problems only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ktui.model.pod_rows import PodRow


class SelectorError(ValueError):
    """A label selector that cannot be parsed."""


def parse_selector(text: str) -> list[tuple[str, str, frozenset[str]]]:
    """An equality/set-based label selector -> requirements ``(key, op, values)``.

    Supports ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k`` and ``!k``.
    """
    requirements: list[tuple[str, str, frozenset[str]]] = []
    for term in _split_terms(text):
        term = term.strip()
        if not term:
            continue
        words = term.split(None, 1)
        if len(words) == 2 and words[1].lstrip().startswith(("in ", "in(", "notin ", "notin(")):
            op, _, rest = words[1].strip().partition("(")
            values = rest.rstrip().rstrip(")")
            requirements.append((words[0], op.strip(), frozenset(v.strip() for v in values.split(","))))
        elif "!=" in term:
            key, value = term.split("!=", 1)
            requirements.append((key.strip(), "!=", frozenset([value.strip()])))
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            requirements.append((key.strip(), "=", frozenset([value.strip()])))
        elif term.startswith("!"):
            requirements.append((term[1:].strip(), "!", frozenset()))
        else:
            requirements.append((term, "exists", frozenset()))
        if not requirements[-1][0] or any(c in requirements[-1][0] for c in " ()"):
            raise SelectorError(f"invalid label selector term {term!r}")
    return requirements


def _split_terms(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return terms


def matches_selector(labels: Mapping[str, str], requirements: list[tuple[str, str, frozenset[str]]]) -> bool:
    """Whether labels satisfy every requirement of a parsed selector."""
    for key, op, values in requirements:
        present = key in labels
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
        if op in ("=", "in") and (not present or labels[key] not in values):
            return False
        if op in ("!=", "notin") and present and labels[key] in values:
            return False
    return True


@dataclass(frozen=True, slots=True)
class RowFilter:
    """What the pod list shows: free text (substring of ns/name, status, node), a selector, problems only."""

    text: str = ""
    selector: str = ""
    problems_only: bool = False

    @classmethod
    def parse(cls, query: str, problems_only: bool = False) -> RowFilter:
        """A filter-bar query: ``-l app=web``, or any ``=``/``!=`` term is a label selector, else text."""
        query = query.strip()
        if query.startswith("-l"):
            return cls(selector=query[2:].strip(), problems_only=problems_only)
        if "=" in query or query.startswith("!"):
            return cls(selector=query, problems_only=problems_only)
        return cls(text=query.lower(), problems_only=problems_only)

    def apply(self, rows: Iterable[PodRow]) -> list[PodRow]:
        """The rows that pass; SelectorError for a bad selector."""
        requirements = parse_selector(self.selector) if self.selector else []
        text = self.text
        out = []
        for row in rows:
            if self.problems_only and row.severity == "info":
                continue
            if text and text not in row.search_text:
                continue
            if requirements and not matches_selector(dict(row.labels), requirements):
                continue
            out.append(row)
        return out
