"""The live feed: one reflector per kind into a ClusterStore, coalesced into snapshots at <= max_hz.

Reflector threads only write to the store and flag "changed"; one feed thread wakes on that flag.
A change after a quiet spell is delivered at once (leading edge); under load, changes that arrive
within one interval of the last snapshot ride along with the next (so a storm of 10,000 events/s
makes at most ``max_hz`` snapshots). The default, 30 Hz, is one snapshot per ~2 frames: each one is
cheap now (the store hands over its change set and the pipeline works in proportion to it), so
waiting longer would only add latency. The feed thread takes the snapshot and calls ``on_snapshot``
and, when the connection state changed, ``on_status`` - always from the feed thread.

Start-up lists Pods first: the other kinds start once the first snapshot holding pods has been
delivered (or the pod list failed, or ``LEAD_DELAY`` passed), so that page and its diagnosis do not
queue for the GIL behind 19 other lists and the first screenful of rows shows sooner; after that
every kind lists in parallel.
"""

from __future__ import annotations

import logging
import operator
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ktui import resources as r
from ktui.kube import allocator
from ktui.kube import reflector as rf
from ktui.kube.api import RESOURCES
from ktui.kube.client import Connection
from ktui.model.feed_status import FeedStatus, summarize
from ktui.model.store import ClusterStore
from ktui.resources import collector

log = logging.getLogger(__name__)

DEFAULT_KINDS: tuple[str, ...] = tuple(RESOURCES)
"""Every kind the diagnosis reads, including Secrets/ConfigMaps (for missing-reference checks)."""
LEAD_KIND = "Pod"
"""The kind listed first: the pod list is the first screen."""
LEAD_DELAY = 0.5
"""Seconds after which the other kinds start even if no page of pods arrived (a slow server)."""
CLOCK_TICK = 1.0
"""Seconds after which a quiet feed hands over the same records at a new time: AGE columns and
time-dependent findings ("Pending for 5m") move on although nothing in the cluster changed."""
SYNC_INTERVAL = 0.5
"""While the first pod list streams in (after its first page), at most two snapshots a second: each
costs the app a pass, a re-sort of the pod list and a repaint whatever its size, and none is the
final screen. B1's full sync at 10k pods, alternated runs: 1.33 s at 0.1 and 1.28 s at 0.25 (an
earlier build); 1.61 s at 0.25, 1.56 s at 0.5 and 1.47 s at 1.0 (12 runs each). Not 1.0: after a
storm had restarted every pod (B3, then B4's fresh feed), the feed's first storm lagged 3.6 s at
p99 with 1.0, against 233 ms with 0.5 and 331 ms with 0.25 (the first pass over those pods is
heavier, and fewer, larger passes left it after the list). The count still moves twice a second,
and the list's end is handed over at once, not at the next of these ticks."""


class _Gate:
    """Holds the other kinds' reflectors back (they wait on it, at most ``LEAD_DELAY``) until opened."""

    def __init__(self) -> None:
        self.event = threading.Event()

    @property
    def pending(self) -> bool:
        """Whether the held reflectors are still waiting."""
        return not self.event.is_set()

    def open(self) -> None:
        """Let the held reflectors list now (also how a stop wakes them)."""
        self.event.set()


def _start_all(reflectors: list[rf.Reflector], stop: threading.Event) -> None:
    """Start these reflectors' threads, unless the feed stopped meanwhile."""
    for refl in reflectors:
        if stop.is_set():
            return
        refl.start()


def _held(store: ClusterStore, kind: str, records: list[Any]) -> int | None:
    """How many of these records of ``kind`` the store holds, if it holds a first part of them (the
    same objects in the same order) and nothing else; None otherwise.

    A first sync applies its pages as they come, all but the last: its closing ``replace`` then
    adds that page instead of marking the whole kind changed (a full diagnosis pass over what is
    already judged).
    """
    held = store.records(kind)
    if len(held) <= len(records) and all(map(operator.is_, held, records)):
        return len(held)
    return None


class _Sink:
    """Reflector -> store adapter for one generation of reflectors (stale ones are ignored)."""

    def __init__(self, feed: ClusterFeed, generation: int, gate: _Gate | None = None) -> None:
        self.feed = feed
        self.generation = generation
        self.gate = gate
        """Holds the other kinds back until the first pods are delivered (None: nothing held)."""

    def _current(self) -> bool:
        return self.generation == self.feed._generation

    def _lead_failed(self, kind: str) -> None:
        gate = self.gate
        if gate is not None and kind == LEAD_KIND and gate.pending:
            gate.open()

    def replace(self, kind: str, records: list[Any]) -> None:
        if self._current():
            store = self.feed.store
            held = _held(store, kind, records)
            if held is None:
                store.replace(kind, records)
            else:  # the pages not applied yet (none when all were), and the end of the list
                store.apply_many(kind, [("ADDED", rec) for rec in records[held:]], synced=True)
            if kind == LEAD_KIND:
                self.feed._lead_synced = True
                self.feed._trim_due = True
                self.feed._flush.set()  # the pod list is whole: its snapshot waits for no interval
            store.set_forbidden(f"list {RESOURCES[kind].plural}", None)
            self.feed._wake.set()

    def apply(self, kind: str, events: list[tuple[str, Any]]) -> None:
        if self._current() and self.feed.store.apply_many(kind, events):
            self.feed._wake.set()

    def current(self, kind: str, uid: str) -> Any | None:
        """The record the store holds under uid (a watched pod shares its unchanged parts with it)."""
        return self.feed.store.get(kind, uid)

    def status(self, kind: str, state: str, message: str = "") -> None:
        # The lead kind failing (unreachable, forbidden, absent...) must not hold the others back.
        if state != rf.LIVE:
            self._lead_failed(kind)
        if not self._current():
            return
        feed = self.feed
        key = f"list {RESOURCES[kind].plural}"
        if state == rf.FORBIDDEN:
            feed.store.set_forbidden(key, message)
        elif state == rf.LIVE:
            feed.store.set_forbidden(key, None)
        with feed._states_lock:
            feed._states[kind] = (state, message)
        feed._status_dirty = True
        feed._wake.set()


class ClusterFeed:
    """Live snapshots of one cluster scope (a namespace or all), coalesced to <= max_hz."""

    def __init__(
        self, conn: Connection, namespace: str | None, *,
        on_snapshot: Callable[[r.ClusterSnapshot], None],
        on_status: Callable[[FeedStatus], None],
        max_hz: float = 30.0, label_selector: str | None = None,
        kinds: tuple[str, ...] = DEFAULT_KINDS, watch_timeout: int = 240, read_timeout: float = 75.0,
        lead_delay: float = LEAD_DELAY, sync_interval: float = SYNC_INTERVAL,
        clock_tick: float = CLOCK_TICK,
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.on_snapshot = on_snapshot
        self.on_status = on_status
        self.interval = 1.0 / max_hz if max_hz > 0 else 0.0
        self.label_selector = label_selector
        self.kinds = kinds
        self.watch_timeout = watch_timeout
        self.read_timeout = read_timeout
        self.lead_delay = lead_delay
        """At most this long the other kinds wait for the first snapshot holding pods."""
        self.sync_interval = sync_interval
        """Seconds between snapshots while the first list of pods streams in (after its first page)."""
        self.clock_tick = clock_tick
        """Seconds of quiet after which the same records are handed over at a new time."""
        self._lead_synced = False
        self._trim_due = False  # a pod list ended: give the C heap's free pages back after its snapshot
        self._settled = False
        self.store = ClusterStore()
        self.snapshots = 0
        self._generation = 0
        self._reflectors: list[rf.Reflector] = []
        self._states: dict[str, tuple[str, str]] = {}
        self._states_lock = threading.Lock()
        self._status_dirty = True
        self._last_status: FeedStatus | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flush = threading.Event()  # cuts a coalescing wait short (set by stop() too)
        self._thread: threading.Thread | None = None
        self._restart_lock = threading.Lock()
        self._gate: _Gate | None = None

    @property
    def status(self) -> FeedStatus:
        """The current connection status."""
        with self._states_lock:
            state, message = summarize(self._states)
        return FeedStatus(state, message, self.store.forbidden())

    def start(self) -> None:
        """Start the reflectors and the feed thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        collector.raise_young_threshold()  # per-snapshot tuples of the whole cluster: see there
        self._start_reflectors()
        self._thread = threading.Thread(target=self._run, name="ktui-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop everything and join the threads within timeout seconds; True if all ended."""
        self._stop.set()
        self._wake.set()
        self._flush.set()
        deadline = time.monotonic() + timeout
        ok = self._stop_reflectors(deadline)
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
            ok = ok and not self._thread.is_alive()
            self._thread = None
        return ok

    def set_namespace(self, namespace: str | None, timeout: float = 3.0) -> None:
        """Watch another namespace (None: all): restart the reflectors on an empty store."""
        with self._restart_lock:
            self._stop_reflectors(time.monotonic() + timeout)
            self.namespace = namespace
            self.store.clear()
            if self._thread is not None and not self._stop.is_set():
                self._start_reflectors()
            self._wake.set()

    def set_label_selector(self, label_selector: str | None, timeout: float = 3.0) -> None:
        """Filter pods by a label selector (server-side); restarts the reflectors."""
        self.label_selector = label_selector
        self.set_namespace(self.namespace, timeout)

    # ---- internals -------------------------------------------------------------------------------

    def _start_reflectors(self) -> None:
        self._generation += 1
        sink = _Sink(self, self._generation)
        with self._states_lock:
            self._states = {kind: (rf.CONNECTING, "") for kind in self.kinds}
        self._status_dirty = True
        stop = threading.Event()
        self._reflectors = [
            rf.Reflector(
                self.conn, kind, sink, namespace=self.namespace, stop=stop,
                label_selector=self.label_selector if kind == "Pod" else None,
                watch_timeout=self.watch_timeout, read_timeout=self.read_timeout,
            )
            for kind in self.kinds
        ]
        self._lead_synced = False
        if LEAD_KIND in self.kinds and len(self.kinds) > 1:
            gate = sink.gate = self._gate = _Gate()
            for refl in self._reflectors:
                refl.hold(gate.event, self.lead_delay, pages=1 if refl.kind == LEAD_KIND else 0)
            lead = [refl for refl in self._reflectors if refl.kind == LEAD_KIND]
            held = [refl for refl in self._reflectors if refl.kind != LEAD_KIND]
            for refl in lead:
                refl.start()
            # The held kinds' threads (they only wait, until the gate opens) are started from a thread
            # of their own: each start waits for the new thread to take the GIL, and 19 of them cost
            # the caller ~20 ms on the way to the first screen (the CLI prefetches while Textual imports).
            threading.Thread(target=_start_all, args=(held, stop), name="ktui-held", daemon=True).start()
            return
        for refl in self._reflectors:
            refl.start()

    def _stop_reflectors(self, deadline: float) -> bool:
        reflectors, self._reflectors = self._reflectors, []
        gate, self._gate = self._gate, None
        self._generation += 1  # anything a straggler delivers from now on is dropped
        for refl in reflectors:
            refl.stop()
        if gate is not None:
            gate.open()  # wakes the held reflectors, which now see the stop and end
        return all(refl.join(max(0.0, deadline - time.monotonic())) for refl in reflectors)

    def _run(self) -> None:
        last_emit = 0.0
        last_version = -1
        # Say "connecting" first, even if every list finishes before this thread gets to run.
        self._last_status = FeedStatus("connecting", f"connecting to {self.conn.server}")
        try:
            self.on_status(self._last_status)
        except Exception:
            log.exception("feed callback failed")
        while not self._stop.is_set():
            ticked = not self._wake.wait(self.clock_tick)
            if self._stop.is_set():
                return
            if ticked:
                self._tick(last_version)
                continue
            # Coalesce: changes arriving within one interval of the last snapshot ride along.
            remaining = last_emit + self._interval_now() - time.monotonic()
            if remaining > 0:
                # The end of the first pod list cuts the wait short: that snapshot is the whole
                # first screen, and SYNC_INTERVAL would have held it back by up to 500 ms.
                self._flush.wait(remaining)
                if self._stop.is_set():
                    return
            self._flush.clear()
            self._wake.clear()
            last_emit = time.monotonic()
            try:
                if self._status_dirty:
                    self._status_dirty = False
                    status = self.status
                    if status != self._last_status:
                        self._last_status = status
                        self.on_status(status)
                if self.store.version != last_version:
                    snap = self.store.snapshot()
                    last_version = snap.version
                    self.snapshots += 1
                    try:
                        self.on_snapshot(snap)
                    finally:
                        self._lead_delivered(snap)
                        self._settle(snap)
                    if self._trim_due and LEAD_KIND in snap.synced:
                        # A whole pod list was read and its snapshot handed over: the pages, the
                        # records its compaction replaced and the superseded snapshots are freed.
                        self._trim_due = False
                        allocator.release_free_heap()
            except Exception:  # a failing callback must not end the feed
                log.exception("feed callback failed")

    def _tick(self, last_version: int) -> None:
        """Nothing changed for a while: the same records at the time now (only once they were listed)."""
        if last_version < 0 or self.store.version != last_version:
            return  # nothing delivered yet, or a change is about to be (the wake is set)
        try:
            self.on_snapshot(self.store.snapshot(now=datetime.now(UTC)))
            self.snapshots += 1
        except Exception:  # a failing callback must not end the feed
            log.exception("feed callback failed")

    def _interval_now(self) -> float:
        """The coalescing interval: longer while the first pod list streams in, after its first page."""
        gate = self._gate
        if gate is not None and not gate.pending and not self._lead_synced:
            return max(self.interval, self.sync_interval)
        return self.interval

    def _settle(self, snap: r.ClusterSnapshot) -> None:
        """Every first list is in a delivered snapshot: a deferred connection may load now."""
        if not self._settled and snap.version == self.store.version and self.status.state == "live":
            self._settled = True
            self.conn.settle()

    def _lead_delivered(self, snap: r.ClusterSnapshot) -> None:
        """Start the held kinds once a snapshot with the lead kind's first page went out."""
        gate = self._gate
        if gate is not None and gate.pending and (
            getattr(snap, r.SNAPSHOT_FIELD_BY_KIND[LEAD_KIND]) or LEAD_KIND in snap.synced
        ):
            gate.open()
