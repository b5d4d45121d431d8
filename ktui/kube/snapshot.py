"""One-shot view of a cluster: a paged LIST of every kind, in parallel, into a ClusterSnapshot.

Used by ``ktui diagnose`` and other one-shot commands (the TUI keeps a live feed instead). A kind
RBAC refuses is recorded in ``snapshot.forbidden`` as ``{"list <plural>": server message}`` while
the others load; a kind the server does not serve (404) is skipped quietly; ``snapshot.synced``
names the kinds (``"Pod"``, ``"Secret"``...) that listed completely.
"""

from __future__ import annotations

import gc
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

from ktui import resources as r
from ktui.kube import api, listing
from ktui.kube.client import Connection, KubeError

MAX_WORKERS = 6
"""Parallel lists: enough to hide round trips, few enough not to swamp a 2-core box or server."""


def _list_kind(conn: Connection, kind: str, namespace: str | None, label_selector: str | None
               ) -> tuple[str, list[Any] | None, str | None]:
    """(kind, records, None) | (kind, None, forbidden message) | (kind, None, None) if not served."""
    resource = api.RESOURCES[kind]
    try:
        records, _ = listing.list_all(conn, resource, namespace,
                                  label_selector=label_selector if kind == "Pod" else None)
        return kind, records, None
    except api.ApiStatusError as exc:
        if exc.code == 403:
            return kind, None, exc.message
        if exc.code == 404:
            return kind, None, None
        raise KubeError(f"list {resource.plural}: {exc.message}") from None


def load_snapshot(
    conn: Connection, namespace: str | None, label_selector: str | None = None, *,
    kinds: tuple[str, ...] = tuple(api.RESOURCES), max_workers: int = MAX_WORKERS,
) -> r.ClusterSnapshot:
    """List every kind (namespace-scoped where it applies); KubeError if the cluster is unreachable."""
    fields: dict[str, Any] = {}
    forbidden: dict[str, str] = {}
    synced: set[str] = set()
    pool = ThreadPoolExecutor(max_workers=min(max_workers, len(kinds)) or 1,
                              thread_name_prefix="ktui-list")
    try:
        futures: list[Future[tuple[str, list[Any] | None, str | None]]] = [
            pool.submit(_list_kind, conn, kind, namespace, label_selector) for kind in kinds
        ]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for fut in futures:
            if fut in done and fut.exception() is not None:
                # Unreachable, TLS, 401 or a server error: the snapshot would be wrong, not partial.
                raise fut.exception()  # type: ignore[misc]
        for fut in futures:
            kind, records, message = fut.result()
            if records is not None:
                fields[r.SNAPSHOT_FIELD_BY_KIND[kind]] = tuple(records)
                synced.add(kind)
            elif message is not None:
                forbidden[f"list {api.RESOURCES[kind].plural}"] = message
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    snapshot = r.ClusterSnapshot(now=datetime.now(UTC), forbidden=forbidden,
                                 synced=frozenset(synced), **fields)
    gc.freeze()  # the records live as long as the snapshot: keep them out of later collections
    return snapshot
