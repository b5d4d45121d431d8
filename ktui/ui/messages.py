"""Messages that cross from threads (the feed, log workers) to the event loop.

Small dataclasses in one module (toolong's messages.py). High-rate ones coalesce with
``can_replace``: a burst of watch events renders once, with the newest snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from ktui.model.object_rows import ObjectRow
from ktui.model.tables import PodRow
from ktui.resources import ClusterSnapshot


@dataclass
class SnapshotUpdated(Message):
    """A new cluster snapshot with its diagnosis, pod rows and object rows, computed on the feed thread."""

    snapshot: ClusterSnapshot
    diagnosis: Any
    rows: Sequence[PodRow]
    seq: int = 0
    """Merge order (``ProbeBook.merge``): a lower one is older and is never applied after a higher one."""
    objects: Mapping[str, tuple[ObjectRow, ...]] = field(default_factory=dict)
    """Kind -> rows of the Services, Ingresses, Deployments, ReplicaSets and Nodes lists."""
    changed: frozenset[str] | None = None
    """Uids whose pod rows changed since the previous SnapshotUpdated (None: any may have)."""
    post: int = 0
    """This message's number in the order the app posted them (0: not numbered)."""
    since: int = -1
    """The ``post`` that ``changed`` is relative to (trusted only if the app applied that one)."""

    def can_replace(self, message: Message) -> bool:
        """A pending snapshot merged later supersedes this one (and takes over the rows this one changed)."""
        if not isinstance(message, SnapshotUpdated) or message.seq < self.seq:
            return False
        if message.changed is not None:
            message.changed = None if self.changed is None else message.changed | self.changed
        message.since = self.since  # the pending one now carries this one's changes too
        return True


@dataclass
class ConnectionChanged(Message):
    """The feed's connection state: connecting, live, reconnecting or unreachable."""

    state: str
    message: str = ""
    forbidden: Mapping[str, str] = field(default_factory=dict)

    def can_replace(self, message: Message) -> bool:
        """Only the latest state matters."""
        return isinstance(message, ConnectionChanged)


@dataclass
class LogsLoaded(Message):
    """The whole (tailed) log of a container, replacing what the log view shows."""

    key: tuple[str, ...]
    lines: list[str]


@dataclass
class LogsAppended(Message):
    """More lines from a followed log stream."""

    key: tuple[str, ...]
    lines: list[str]


@dataclass
class LogsUnavailable(Message):
    """Why a container has no logs to show (the server's message or the container's state)."""

    key: tuple[str, ...]
    reason: str


@dataclass
class DetailLoaded(Message):
    """An object's full YAML, fetched on demand."""

    title: str
    text: str
    error: str = ""
