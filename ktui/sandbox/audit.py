"""Audit log of every API request, readable from any thread (tests prove ktui never mutates a cluster)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

READ_VERBS = frozenset({"get", "list", "watch"})


@dataclass(frozen=True)
class AuditEntry:
    """One request as the audit log records it."""

    user: str
    verb: str  # get, list, watch, create, update, patch, delete, deletecollection, or the HTTP method
    resource: str  # "pods", "deployments.apps", "" for non-resource paths (/version, discovery)
    subresource: str
    namespace: str
    name: str
    path: str
    code: int

    @property
    def mutating(self) -> bool:
        """Whether the verb is not get/list/watch (a POST port-forward counts: RBAC calls it create)."""
        return self.verb not in READ_VERBS and self.resource != ""


class AuditLog:
    """Append-only list of entries; written on the loop thread, read from any thread."""

    def __init__(self, limit: int = 200_000) -> None:
        self._entries: list[AuditEntry] = []
        self._limit = limit
        self._lock = threading.Lock()

    def record(self, entry: AuditEntry) -> None:
        """Append an entry (oldest half dropped past the limit, to bound memory under benchmarks)."""
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                del self._entries[: self._limit // 2]

    def entries(self) -> list[AuditEntry]:
        """A copy of all entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def mutations(self) -> list[AuditEntry]:
        """Entries whose verb is not get/list/watch."""
        return [e for e in self.entries() if e.mutating]

    def clear(self) -> None:
        """Forget all entries."""
        with self._lock:
            self._entries.clear()
