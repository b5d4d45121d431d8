"""Crash logs as evidence in the TUI: which to read, when, and what became of each read.

``ktui diagnose`` reads the previous run's log of each crashing container once; the TUI must do the
same on a live feed without a request storm. ``EvidenceBook`` keeps, under one lock:
- a ``CrashIndex`` of every failed container, fed by the feed thread from the change sets;
- the outcome of every read by (pod uid, container, restart count): lines, or the error. A run's
  log is read once; a new restart makes a new key, so a crash loop is read once per restart;
- which reads are in flight, and which namespaces refused ``pods/log`` (403: nothing more is asked
  there until the context changes).
``claim`` hands out the reads due now: the selected pod's at once, and at most ``MAX_TRACKED``
other containers, one read at a time in the background (the app holds these until the pod list is
synced: each one's re-diagnosis and repaint would compete with the first list for the CPU). The
lines go into the snapshot's ``logs`` (through ``ProbeBook``), and a read that failed becomes an
evidence line of the pod's finding (``with_log_notes``), so the Diagnosis pane says why the crash
has no log quoted.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from ktui.model.crash_logs import CrashIndex, LogRequest
from ktui.resources import ClusterSnapshot

MAX_TRACKED = 20
"""Containers (besides the selected pod's) whose crash logs are read in the background."""
BACKGROUND_IN_FLIGHT = 1
"""Background reads at a time: evidence, not urgent; the selected pod's reads do not wait for them."""
MAX_KEPT = 256
"""Read outcomes remembered (oldest dropped first)."""
RETRY_AFTER = 15.0
"""Seconds before a read that failed for a transient reason (unreachable, 5xx) is tried again..."""
MAX_ATTEMPTS = 3
"""...at most this many times for the same run (doubling the wait each time)."""

Container = tuple[str, str]
"""(pod uid, container name)."""


@dataclass
class CrashLogFetched(Message):
    """A crash-log read finished: the lines, or the error (``code``: the HTTP status, 0 if none)."""

    request: LogRequest
    generation: int
    lines: tuple[str, ...] = ()
    error: str = ""
    code: int = 0


@dataclass
class _Outcome:
    lines: tuple[str, ...] | None = None
    error: str = ""
    attempts: int = 0
    retry_at: float | None = None
    """When a transient failure may be retried (None: never, for this run)."""


class EvidenceBook:
    """What the app knows about crashed containers' logs; every method is thread-safe."""

    def __init__(self, max_tracked: int = MAX_TRACKED) -> None:
        self.max_tracked = max_tracked
        self._lock = threading.Lock()
        self._index = CrashIndex()
        self._outcomes: OrderedDict[tuple[str, str, int], _Outcome] = OrderedDict()
        self._latest: OrderedDict[Container, tuple[str, ...]] = OrderedDict()
        self._errors: OrderedDict[Container, str] = OrderedDict()
        self._in_flight: dict[tuple[str, str, int], bool] = {}  # key -> in the background
        self._tracked: dict[Container, None] = {}
        self._forbidden: dict[str, str] = {}
        self._carried: frozenset[str] = frozenset()
        self._top_up = True  # the index or the tracked set changed since the last top-up
        self.generation = 0
        """Bumped by ``clear``: reads started before it are ignored when they finish."""

    def observe(self, snapshot: ClusterSnapshot) -> None:
        """Take a raw snapshot from the feed (its thread): which containers failed now."""
        with self._lock:
            if self._index.update(snapshot):
                self._top_up = True
            # A dump or a static source may carry logs already: those are not read again.
            if snapshot.logs or self._carried:
                self._carried = frozenset(snapshot.logs)

    def clear(self) -> None:
        """Forget everything (another context); reads still running are ignored when they finish."""
        with self._lock:
            self._index = CrashIndex()
            for table in (self._outcomes, self._latest, self._errors, self._in_flight, self._tracked,
                          self._forbidden):
                table.clear()
            self._carried = frozenset()
            self._top_up = True
            self.generation += 1

    # ------------------------------------------------------------------ what to read

    def claim(self, selected: str | None, now: float, *, background: bool = True) -> list[LogRequest]:
        """The reads to start now (marked in flight): the selected pod's, then (``background``) others."""
        with self._lock:
            out = [rq for rq in self._index.of(selected) if self._due(rq, now)] if selected else []
            for rq in out:
                self._in_flight[rq.cache_key] = False
            slots = BACKGROUND_IN_FLIGHT - sum(self._in_flight.values()) if background else 0
            if slots > 0:
                for rq in self._background():
                    if slots <= 0:
                        break
                    if self._due(rq, now):
                        self._in_flight[rq.cache_key] = True
                        out.append(rq)
                        slots -= 1
            return out

    def _background(self) -> list[LogRequest]:
        """The current read of each tracked container, after topping the tracked set up."""
        current: list[LogRequest] = []
        for uid, name in list(self._tracked):
            rq = next((q for q in self._index.of(uid) if q.container == name), None)
            if rq is None or rq.namespace in self._forbidden:
                del self._tracked[(uid, name)]  # gone, recovered, or never readable: free the slot
                self._top_up = True
            else:
                current.append(rq)
        # Scanning the index for new containers only when something changed keeps a claim per
        # snapshot cheap even with thousands of crash loops that cannot all be tracked.
        if self._top_up and len(self._tracked) < self.max_tracked:
            self._top_up = False
            for rq in self._index:
                if len(self._tracked) >= self.max_tracked:
                    break
                ident = (rq.cache_key[0], rq.container)
                if ident not in self._tracked and rq.namespace not in self._forbidden:
                    self._tracked[ident] = None
                    current.append(rq)
        return current

    def _due(self, rq: LogRequest, now: float) -> bool:
        key = rq.cache_key
        if key in self._in_flight or rq.namespace in self._forbidden or rq.key in self._carried:
            return False
        outcome = self._outcomes.get(key)
        return outcome is None or (outcome.retry_at is not None and outcome.retry_at <= now)

    # ------------------------------------------------------------------ results

    def record(self, fetched: CrashLogFetched, now: float) -> bool:
        """Keep a finished read's outcome; True when it changes what the diagnosis can say.

        A crash loop usually prints the same lines every run: reading them again changes nothing, and
        the (whole-cluster) re-diagnosis is skipped. A read of a cleared generation is dropped.
        """
        with self._lock:
            if fetched.generation != self.generation:
                return False
            rq = fetched.request
            key, ident = rq.cache_key, (rq.cache_key[0], rq.container)
            self._in_flight.pop(key, None)
            outcome = self._outcomes.pop(key, None) or _Outcome()
            self._outcomes[key] = outcome
            while len(self._outcomes) > MAX_KEPT:
                self._outcomes.popitem(last=False)
            outcome.attempts += 1
            if not fetched.error:
                outcome.lines, outcome.error, outcome.retry_at = fetched.lines, "", None
                changed = self._errors.pop(ident, None) is not None and ident not in self._latest
                if fetched.lines:
                    changed = changed or self._latest.pop(ident, None) != fetched.lines
                    self._latest.pop(ident, None)
                    self._latest[ident] = fetched.lines
                    while len(self._latest) > MAX_KEPT:
                        self._latest.popitem(last=False)
                return changed
            outcome.error = fetched.error
            changed = ident not in self._latest and self._errors.get(ident) != fetched.error
            if fetched.code == 403 and rq.namespace not in self._forbidden:
                # RBAC: every pod of the namespace alike. Its other pods are named without this one's name.
                self._forbidden[rq.namespace] = "forbidden: " + fetched.error.split(" is forbidden: ", 1)[-1]
                changed = True
            transient = fetched.code == 0 or fetched.code >= 500 or fetched.code == 429
            if transient and outcome.attempts < MAX_ATTEMPTS:
                outcome.retry_at = now + RETRY_AFTER * 2 ** (outcome.attempts - 1)
            else:
                outcome.retry_at = None
            self._errors.pop(ident, None)
            self._errors[ident] = fetched.error
            while len(self._errors) > MAX_KEPT:
                self._errors.popitem(last=False)
            return changed

    def logs(self) -> dict[str, tuple[str, ...]]:
        """``namespace/pod/container`` -> the last lines read, for the containers failing now."""
        with self._lock:
            out: dict[str, tuple[str, ...]] = {}
            for (uid, name), lines in self._latest.items():
                rq = next((q for q in self._index.of(uid) if q.container == name), None)
                if rq is not None:
                    out[rq.key] = lines
            return out

    def has_notes(self) -> bool:
        """Whether any read failed (so the diagnosis needs ``with_log_notes``)."""
        with self._lock:
            return bool(self._errors or self._forbidden)

    def note_for(self, uid: str) -> tuple[tuple[str, str], ...]:
        """(container, why its log could not be read) for each failed container of a pod without lines."""
        with self._lock:
            out = []
            for rq in self._index.of(uid):
                ident = (uid, rq.container)
                if ident in self._latest:
                    continue  # an earlier run's lines are quoted: they say more than the error
                error = self._errors.get(ident) or self._forbidden.get(rq.namespace)
                if error:
                    out.append((rq.container, error))
            return tuple(out)

    def read_runs(self, uid: str) -> list[int]:
        """The restart counts of a pod's containers whose log was read (or tried), oldest first."""
        with self._lock:
            return [restarts for (pod, _, restarts) in self._outcomes if pod == uid]

    def in_flight(self) -> int:
        """Reads started and not yet recorded."""
        with self._lock:
            return len(self._in_flight)


# ---------------------------------------------------------------------- the notes in the diagnosis


class NotedDiagnosis:
    """A Diagnosis whose pods' findings also say which crash logs could not be read.

    The engine judges the snapshot only; a failed log read is not cluster state, so it is added here,
    as one evidence line of the pod's finding about that container. Everything else is the wrapped
    Diagnosis's.
    """

    def __init__(self, base: Any, book: EvidenceBook) -> None:
        self._base, self._book = base, book
        self._cache: dict[str, tuple[Any, ...]] = {}

    def for_uid(self, uid: str) -> tuple[Any, ...]:
        """The findings about one object, with the log-read failures of its containers."""
        cached = self._cache.get(uid)
        if cached is None:
            findings = self._base.for_uid(uid)
            notes = self._book.note_for(uid) if findings and findings[0].subject.kind == "Pod" else ()
            cached = self._cache[uid] = _noted(findings, notes) if notes else findings
        return cached

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def _noted(findings: tuple[Any, ...], notes: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    out = list(findings)
    for container, error in notes:
        line = f"log: could not read the logs of container {container}: {error}"
        # The finding about that container (its summary names it), else the root cause.
        at = next(
            (i for i, f in enumerate(out) if f.is_problem and f"container {container} " in f"{f.summary} "),
            0,
        )
        if out[at].is_problem:
            out[at] = dataclasses.replace(out[at], evidence=(*out[at].evidence, line))
    return tuple(out)


def with_log_notes(diagnosis: Any, book: EvidenceBook) -> Any:
    """The diagnosis, with the failed log reads as evidence (itself when none failed)."""
    if diagnosis is None or not book.has_notes():
        return diagnosis
    return NotedDiagnosis(diagnosis, book)
