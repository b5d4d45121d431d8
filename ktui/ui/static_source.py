"""Fixed records as the app's source (``StaticSource``): Pilot and snapshot tests, screenshots.

It answers the ``ktui.ui.source.Source`` protocol as a live cluster's source does, from a snapshot
and stored logs and YAML given to it, and pushes new snapshots or connection states when told.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import yaml

from ktui.kube.client import KubeError
from ktui.resources import ClusterSnapshot, Ref
from ktui.ui.source import SnapshotCallback, StatusCallback


@dataclass
class StaticSource:
    """Fixed snapshots and logs, for snapshot tests and demos without a cluster.

    ``logs`` maps ``(pod, container, previous)`` to the log text, or to an Exception to raise.
    ``push()`` delivers another snapshot, ``status()`` another connection state. With
    ``crash_logs_in_snapshot`` (the default) the snapshots delivered already carry the stored logs of
    the crashed containers, as a live app's snapshots do once it has read them: screens over a static
    source are then the same on every run, not a race with the read. Off, the app reads them itself.
    """

    snapshot: ClusterSnapshot
    context: str = "static"
    server: str = "https://127.0.0.1"
    namespace: str | None = "default"
    logs_by_key: dict[tuple[str, str, bool], str | Exception] = field(default_factory=dict)
    yaml_by_name: dict[str, str] = field(default_factory=dict)
    other_contexts: tuple[str, ...] = ()
    crash_logs_in_snapshot: bool = True

    def __post_init__(self) -> None:
        self._on_snapshot: SnapshotCallback | None = None
        self._on_status: StatusCallback | None = None

    def start(self, on_snapshot: SnapshotCallback, on_status: StatusCallback) -> None:
        """Deliver the snapshot at once."""
        self._on_snapshot, self._on_status = on_snapshot, on_status
        on_status("live", "", dict(self.snapshot.forbidden))
        on_snapshot(self._scoped(self.snapshot))

    def stop(self) -> None:
        """Nothing to stop."""
        self._on_snapshot = self._on_status = None

    def push(self, snapshot: ClusterSnapshot) -> None:
        """Deliver a new snapshot as a feed would."""
        self.snapshot = snapshot
        if self._on_snapshot is not None:
            self._on_snapshot(self._scoped(snapshot))

    def status(self, state: str, message: str = "", forbidden: Mapping[str, str] | None = None) -> None:
        """Deliver a connection state as a feed would."""
        if self._on_status is not None:
            self._on_status(state, message, dict(forbidden or {}))

    def _scoped(self, snapshot: ClusterSnapshot) -> ClusterSnapshot:
        import msgspec

        if self.namespace is not None:
            ns = self.namespace
            snapshot = msgspec.structs.replace(
                snapshot,
                pods=tuple(p for p in snapshot.pods if p.metadata.namespace == ns),
                events=tuple(e for e in snapshot.events if e.metadata.namespace == ns),
            )
        if self.crash_logs_in_snapshot:
            snapshot = self._with_crash_logs(snapshot)
        return snapshot

    def _with_crash_logs(self, snapshot: ClusterSnapshot) -> ClusterSnapshot:
        """The snapshot with the stored logs of its crashed containers (stored errors are left to the app)."""
        import msgspec

        from ktui.model.crash_logs import LOG_TAIL, crash_requests, log_lines

        logs = dict(snapshot.logs)
        for pod in snapshot.pods:
            for rq in crash_requests(pod):
                text = self.logs_by_key.get((rq.pod, rq.container, rq.previous))
                if isinstance(text, str) and rq.key not in logs and (lines := log_lines(text, LOG_TAIL)):
                    logs[rq.key] = lines
        return msgspec.structs.replace(snapshot, logs=logs) if logs != snapshot.logs else snapshot

    def set_namespace(self, namespace: str | None) -> None:
        """Re-deliver the snapshot scoped to another namespace."""
        self.namespace = namespace
        self.push(self.snapshot)

    def contexts(self) -> list[str]:
        """This context and the extra names given."""
        return [self.context, *self.other_contexts]

    def with_context(self, name: str) -> StaticSource:
        """The same data under another context name."""
        if name not in self.contexts():
            raise KubeError(f'context "{name}" does not exist')
        return StaticSource(
            self.snapshot,
            context=name,
            server=self.server,
            namespace=self.namespace,
            logs_by_key=self.logs_by_key,
            other_contexts=tuple(self.contexts()),
            crash_logs_in_snapshot=self.crash_logs_in_snapshot,
        )

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
        """The stored log, or the stored error."""
        value = self.logs_by_key.get((pod, container, previous), "")
        if isinstance(value, Exception):
            raise value
        lines = value.splitlines()
        if tail_lines is not None:
            lines = lines[-tail_lines:]
        return "\n".join(lines)

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
        """The stored log as one batch."""
        text = self.logs(
            namespace, pod, container, previous=False, tail_lines=tail_lines, timestamps=timestamps
        )
        yield text.splitlines()

    def object_yaml(self, ref: Ref) -> str:
        """The stored YAML, or the record from the snapshot."""
        if ref.name in self.yaml_by_name:
            return self.yaml_by_name[ref.name]
        import msgspec

        from ktui.resources import SNAPSHOT_FIELD_BY_KIND

        for obj in getattr(self.snapshot, SNAPSHOT_FIELD_BY_KIND.get(ref.kind, "pods"), ()):
            if obj.metadata.uid == ref.uid:
                return yaml.safe_dump(msgspec.to_builtins(obj), sort_keys=False)
        raise KubeError(f'{ref.kind.lower()}s "{ref.name}" not found')
