"""Fault hooks for tests: a Python API (not a Kubernetes path) that the server consults per request."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from ktui.sandbox.errors import ApiError, forbidden, internal


class Faults:
    """Switchable faults; safe to flip from the test thread while the loop serves requests."""

    def __init__(self) -> None:
        self.latency = 0.0  # seconds added before every request is served
        self.failure_share = 0.0  # share of requests answered with 500
        self._expire_watches = 0
        self._denied: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._random = random.Random(0)  # deterministic: a test re-run sees the same failures
        # installed by the runner: run a callable on the loop thread and wait for it
        self._call: Callable[..., Any] | None = None
        self._drop: Callable[[bool], int] | None = None
        self._restart: Callable[[], Any] | None = None

    # ---- test-facing API ------------------------------------------------------------------------

    def add_latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` (0 turns it off)."""
        self.latency = max(0.0, seconds)

    def fail_share(self, share: float, *, seed: int = 0) -> None:
        """Answer ``share`` (0..1) of requests with 500 InternalError."""
        self.failure_share = min(1.0, max(0.0, share))
        self._random.seed(seed)

    def expire_next_watch(self, count: int = 1) -> None:
        """The next ``count`` watches get an in-band 410 Expired ERROR event, then close."""
        with self._lock:
            self._expire_watches += count

    def deny(self, user: str, verb: str, resource: str) -> None:
        """403 for ``user`` doing ``verb`` on ``resource`` (``pods``, ``pods/log``, ``deployments.apps``)."""
        with self._lock:
            self._denied.add((user, verb, resource))

    def allow(self, user: str, verb: str, resource: str) -> None:
        """Undo one ``deny``."""
        with self._lock:
            self._denied.discard((user, verb, resource))

    def drop_watches(self, *, abort: bool = False) -> int:
        """End every open watch now (abort=True cuts the connection instead); returns how many."""
        if self._call is None or self._drop is None:
            return 0
        result: int = self._call(self._drop, abort)
        return result

    def restart(self) -> None:
        """Stop listening and listen again on the same port; the store is kept, open connections drop."""
        if self._call is None or self._restart is None:
            raise RuntimeError("restart needs a running sandbox")
        self._call(self._restart)

    def clear(self) -> None:
        """Turn every fault off."""
        self.latency = 0.0
        self.failure_share = 0.0
        with self._lock:
            self._expire_watches = 0
            self._denied.clear()

    # ---- server-facing checks -------------------------------------------------------------------

    def should_fail(self) -> ApiError | None:
        """A 500 for this request, or None."""
        if self.failure_share and self._random.random() < self.failure_share:
            return internal("etcdserver: request timed out")
        return None

    def take_watch_expiry(self) -> bool:
        """Whether this watch must be answered with 410 (consumes one)."""
        with self._lock:
            if self._expire_watches > 0:
                self._expire_watches -= 1
                return True
            return False

    def check(
        self,
        user: str,
        verb: str,
        plural: str,
        group: str,
        *,
        namespace: str | None,
        name: str | None,
        subresource: str | None,
    ) -> None:
        """Raise the RBAC 403 when a deny rule matches."""
        if not self._denied:
            return
        key = f"{plural}.{group}" if group else plural
        names = {
            f"{key}/{subresource}" if subresource else key,
            "*",
        }  # as RBAC: "pods" does not cover pods/log
        with self._lock:
            hit = any((u in (user, "*")) and (v in (verb, "*")) and r in names for u, v, r in self._denied)
        if hit:
            raise forbidden(
                user, verb, plural, group, namespace=namespace, name=name, subresource=subresource
            )
