"""Where the app's data comes from: a live cluster (``ClusterSource``); fixed records for tests and
screenshots are ``ktui.ui.static_source.StaticSource``.

The app takes a source as a constructor argument (posting's ``make_posting``, harlequin's adapters),
so the CLI, the demo, Pilot tests and snapshot tests build the same app over different data. A
source pushes snapshots and connection states through two callbacks, called from its own thread;
it also answers the on-demand reads the screens need (logs, an object's YAML, contexts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol

from ktui.kube.client import Connection, KubeError
from ktui.resources import ClusterSnapshot, Ref

if TYPE_CHECKING:
    from ktui.model.feed import ClusterFeed
    from ktui.model.feed_status import FeedStatus

SnapshotCallback = Callable[[ClusterSnapshot], None]
StatusCallback = Callable[[str, str, Mapping[str, str]], None]
"""on_status(state, message, forbidden): state is connecting / live / reconnecting / unreachable."""
FeedStatusCallback = Callable[["FeedStatus"], None]


class Source(Protocol):
    """The contract between the app and its data."""

    context: str
    server: str
    namespace: str | None
    """The namespace watched, None for all namespaces."""

    def start(self, on_snapshot: SnapshotCallback, on_status: StatusCallback) -> None:
        """Begin delivering snapshots (from a thread) until stop()."""

    def stop(self) -> None:
        """Stop delivering; bounded."""

    def set_namespace(self, namespace: str | None) -> None:
        """Watch another namespace (None: all)."""

    def contexts(self) -> list[str]:
        """Context names this source can switch to."""

    def with_context(self, name: str) -> Source:
        """A new, unstarted source on another context; KubeError if impossible."""

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool,
        tail_lines: int | None,
        timestamps: bool,
    ) -> str:
        """A container's log; KubeError carrying the server's message."""

    def follow_logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        tail_lines: int | None,
        timestamps: bool,
        stop: threading.Event,
    ) -> Iterator[list[str]]:
        """Batches of log lines until stop is set or the stream ends."""

    def object_yaml(self, ref: Ref) -> str:
        """The object as the server has it now, as YAML; KubeError on failure."""


def _warm_imports() -> None:
    """Import what the app's snapshot callback uses (diagnosis, pipeline, rows)."""
    import ktui.diagnosis.incremental
    import ktui.model.pipeline  # noqa: F401


class _Relay:
    """A prefetched feed's callbacks: the feed thread waits in them until the app's are attached."""

    def __init__(self) -> None:
        self._attached = threading.Event()
        self._on_snapshot: SnapshotCallback | None = None
        self._on_status: FeedStatusCallback | None = None

    def attach(self, on_snapshot: SnapshotCallback, on_status: FeedStatusCallback) -> None:
        """Give the callbacks and let the feed thread go on (with the snapshot it holds)."""
        self._on_snapshot, self._on_status = on_snapshot, on_status
        self._attached.set()

    def release(self) -> None:
        """Let a waiting feed thread go on without callbacks (the source stops)."""
        self._attached.set()

    def snapshot(self, snapshot: ClusterSnapshot) -> None:
        """The feed's on_snapshot."""
        self._attached.wait()
        if self._on_snapshot is not None:
            self._on_snapshot(snapshot)

    def status(self, status: FeedStatus) -> None:
        """The feed's on_status."""
        self._attached.wait()
        if self._on_status is not None:
            self._on_status(status)


class ClusterSource:
    """A live cluster: a ClusterFeed for snapshots, the kube layer for on-demand reads."""

    def __init__(
        self,
        conn: Connection,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        max_hz: float = 30.0,
    ) -> None:
        self.conn = conn
        self.context = conn.context
        self.server = conn.server
        self.namespace = namespace
        self.label_selector = label_selector
        self.max_hz = max_hz
        self._feed: ClusterFeed | None = None
        self._relay: _Relay | None = None  # set from prefetch() until start() gives the callbacks

    def prefetch(self) -> None:
        """Start listing now, before the app exists: its first screen then has rows to show at once.

        The CLI calls this right after connecting, so the first page of pods arrives while Textual
        imports and the screen mounts (~130 ms), instead of after. The feed thread keeps that first
        snapshot until ``start`` gives it the app's callbacks; until then the other kinds' lists stay
        held (``ClusterFeed``), so they do not take the GIL from the app's start-up.
        """
        if self._feed is None:
            self._relay = _Relay()
            self._feed = self._new_feed(self._relay.snapshot, self._relay.status)
            self._feed.start()

    def start(self, on_snapshot: SnapshotCallback, on_status: StatusCallback) -> None:
        """Start the feed's reflectors (or hand a prefetched feed its callbacks)."""
        # The first snapshot's diagnosis needs these modules (~10 ms from bytecode): import them now,
        # while the first page of pods is on its way (or before a prefetched one is diagnosed). Not in
        # a thread: under the GIL an import racing the app's mount took ~240 ms, and the first
        # snapshot waited on its import lock.
        relay, self._relay = self._relay, None
        if relay is not None and self._feed is not None:
            _warm_imports()
            relay.attach(on_snapshot, self._status_callback(on_status))
            return
        feed = self._new_feed(on_snapshot, self._status_callback(on_status))
        self._feed = feed
        feed.start()
        _warm_imports()

    def _new_feed(self, on_snapshot: SnapshotCallback, on_status: FeedStatusCallback) -> ClusterFeed:
        from ktui.model.feed import ClusterFeed

        return ClusterFeed(
            self.conn,
            self.namespace,
            on_snapshot=on_snapshot,
            on_status=on_status,
            max_hz=self.max_hz,
            label_selector=self.label_selector,
        )

    @staticmethod
    def _status_callback(on_status: StatusCallback) -> FeedStatusCallback:
        def status(st: FeedStatus) -> None:
            on_status(st.state, st.message, dict(st.forbidden))

        return status

    def stop(self) -> None:
        """Stop the feed (joins its threads, bounded)."""
        relay, self._relay = self._relay, None
        if relay is not None:
            relay.release()  # a prefetched feed thread may be waiting for callbacks that never come
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.stop()
        if self.conn.prelisted is not None:
            self.conn.prelisted.close()  # pages of first lists no feed of this source will read

    def set_namespace(self, namespace: str | None) -> None:
        """Re-list on another namespace."""
        self.namespace = namespace
        if self._feed is not None:
            self._feed.set_namespace(namespace)

    def contexts(self) -> list[str]:
        """The kubeconfig's contexts."""
        return self.conn.contexts()

    def with_context(self, name: str) -> ClusterSource:
        """A source on another context, in that context's default namespace."""
        conn = self.conn.with_context(name)
        return ClusterSource(conn, conn.namespace, label_selector=self.label_selector, max_hz=self.max_hz)

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool,
        tail_lines: int | None,
        timestamps: bool,
    ) -> str:
        """One read of a container's log."""
        from ktui.kube.logs import fetch_logs

        return fetch_logs(
            self.conn,
            namespace,
            pod,
            container,
            previous=previous,
            tail_lines=tail_lines,
            timestamps=timestamps,
        )

    def follow_logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        tail_lines: int | None,
        timestamps: bool,
        stop: threading.Event,
    ) -> Iterator[list[str]]:
        """Follow a container's log."""
        from ktui.kube.logs import follow_logs

        return follow_logs(
            self.conn, namespace, pod, container, tail_lines=tail_lines, timestamps=timestamps, stop=stop
        )

    def object_yaml(self, ref: Ref) -> str:
        """GET the object and dump it as YAML (managedFields dropped, Secret data never fetched)."""
        from ktui.kube.api import RESOURCES, get_json

        if ref.kind == "Secret":
            raise KubeError("Secret values are never shown")
        resource = RESOURCES.get(ref.kind)
        if resource is None:
            raise KubeError(f"cannot fetch kind {ref.kind}")
        doc = get_json(self.conn, f"{resource.path(ref.namespace or None)}/{ref.name}")
        if isinstance(doc, dict):
            doc.get("metadata", {}).pop("managedFields", None)
        import yaml  # on first use: ~10 ms the start does not need

        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
