"""What every sandbox controller shares: a keyed work queue fed by store changes, and delayed requeues.

Controllers follow client-go's shape: a store change maps to object keys, keys are deduplicated in a
queue, and one task reconciles them in order on the loop thread. Reconciling is synchronous (the store
is), so a controller never sees a half-applied change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from ktui.sandbox.clock import SimClock
from ktui.sandbox.recorder import EventRecorder

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects


def key_of(obj: dict[str, Any]) -> Key:
    """The queue key of an object."""
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


class Controller:
    """A reconcile loop over keys; subclasses map store changes to keys and reconcile one key."""

    name = "controller"
    watches: tuple[str, ...] = ()  # storage keys whose changes reach ``keys_for``

    def __init__(self, store: Any, clock: SimClock, recorder: EventRecorder) -> None:
        self.store = store
        self.clock = clock
        self.recorder = recorder
        self._queue: dict[Key, None] = {}  # ordered set: FIFO without duplicates
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe to the store, queue every existing object, start the worker."""
        watched = set(self.watches)

        def listener(type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
            if resource in watched:
                for key in self.keys_for(type_, resource, obj, old):
                    self.enqueue(key)

        self._unsubscribe = self.store.subscribe(listener)
        for key in self.initial_keys():
            self.enqueue(key)
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"sandbox-{self.name}")

    async def stop(self) -> None:
        """Stop the worker and all timers."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- queue -------------------------------------------------------------------------------------

    def enqueue(self, key: Key) -> None:
        """Queue ``key`` for reconciling (no-op if already queued)."""
        self._queue[key] = None
        self._wake.set()

    def enqueue_after(self, key: Key, sim_seconds: float) -> None:
        """Queue ``key`` after ``sim_seconds`` of cluster time; an earlier pending timer wins."""
        loop = asyncio.get_running_loop()
        when = loop.time() + self.clock.real_seconds(max(sim_seconds, 0.0))
        current = self._timers.get(key)
        if current is not None and current.when() <= when:
            return
        if current is not None:
            current.cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self.enqueue(key)

        self._timers[key] = loop.call_at(when, fire)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                key = next(iter(self._queue))
                del self._queue[key]
                try:
                    result = self.reconcile(key)
                    if asyncio.iscoroutine(result):
                        await result
                except asyncio.CancelledError:
                    raise
                except Exception:  # one bad object must not stop the controller
                    log.exception("%s: reconciling %s failed", self.name, key)
                await asyncio.sleep(0)  # let the API server and kubelets interleave

    # -- subclass hooks ------------------------------------------------------------------------------

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> Iterable[Key]:
        """Keys to reconcile after a change (default: the object itself)."""
        return [key_of(obj)]

    def initial_keys(self) -> Iterable[Key]:
        """Keys to reconcile at start (default: every object of the first watched resource)."""
        if not self.watches:
            return []
        items, _ = self.store.list(self.watches[0])
        return [key_of(obj) for obj in items]

    def reconcile(self, key: Key) -> Any:
        """Bring the world in line with the object at ``key`` (may be a coroutine)."""
        raise NotImplementedError
