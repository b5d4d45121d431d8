"""The store's change history and its fan-out to listeners and watches (410 Expired below the floor)."""

from __future__ import annotations

import builtins
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from ktui.sandbox.errors import expired

log = logging.getLogger(__name__)

Listener = Callable[[str, str, dict[str, Any], "dict[str, Any] | None"], None]

WARM = 8192
"""Changes whose encoded watch lines are kept: watchers that keep up share them; older ones re-encode.

Keeping every change's bytes would hold the whole history encoded (200k changes x 7 KB = GBs)."""


class Change:
    """One stored change: (rv, type, storage key, object, previous object) plus cached encodings."""

    __slots__ = ("cache", "obj", "old", "resource", "rv", "type")

    def __init__(self, rv: int, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None):
        self.rv, self.type, self.resource, self.obj, self.old = rv, type_, resource, obj, old
        # encoded watch lines per view (and the metadata they all embed), shared by every watcher;
        # None once the change is no longer warm
        self.cache: dict[str, bytes] | None = {}


def _add(listeners: builtins.list[Any], fn: Any) -> Callable[[], None]:
    """Append ``fn`` to ``listeners``; returns the function that takes it out again."""
    listeners.append(fn)

    def unsubscribe() -> None:
        if fn in listeners:
            listeners.remove(fn)

    return unsubscribe


class ChangeLog:
    """A bounded history of changes and the listeners told of each one, in order."""

    def __init__(self, history: int, start_rv: int) -> None:
        self._history: deque[Change] = deque(maxlen=history)
        self._warm: deque[Change] = deque()
        self.floor = start_rv  # watches may start from any rv >= floor
        self._listeners: builtins.list[Listener] = []
        self._change_listeners: builtins.list[Callable[[Change], None]] = []

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        """Call ``fn(type, resource, obj, old)`` after each change; returns the unsubscribe function."""
        return _add(self._listeners, fn)

    def watch_changes(self, fn: Callable[[Change], None]) -> Callable[[], None]:
        """Like ``subscribe``, but ``fn`` gets the ``Change`` and its shared encodings (watch fan-out)."""
        return _add(self._change_listeners, fn)

    def record(
        self, rv: int, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        """Keep the change and tell every watcher, then every listener; their failures are logged only."""
        if len(self._history) == self._history.maxlen:
            self.floor = self._history[0].rv
        change = Change(rv, type_, resource, obj, old)
        self._history.append(change)
        warm = self._warm
        warm.append(change)
        if len(warm) > WARM:
            warm.popleft().cache = None
        for watcher in list(self._change_listeners):
            try:
                watcher(change)
            except Exception:
                log.exception("store watcher failed")
        for fn in list(self._listeners):
            try:
                fn(type_, resource, obj, old)
            except Exception:  # a listener bug must not corrupt the store or fail the write
                log.exception("store listener failed")

    def since(self, rv: int, current_rv: int) -> builtins.list[Change]:
        """Changes after ``rv``, oldest first; 410 Expired if the history no longer reaches back that far."""
        if rv < self.floor:
            raise expired(rv, current_rv)
        if rv >= current_rv:
            return []
        out = []
        for change in reversed(self._history):
            if change.rv <= rv:
                break
            out.append(change)
        out.reverse()
        return out

    def compact(self, current_rv: int) -> None:
        """Forget the history: the next watch from an older rv gets 410."""
        self._history.clear()
        for change in self._warm:
            change.cache = None
        self._warm.clear()
        self.floor = current_rv
