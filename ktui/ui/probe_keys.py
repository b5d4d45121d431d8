"""Running probes and honest forwards from the TUI: a small, invisible widget the app mounts once.

``ProbeRunner`` owns the workers (``@work(thread=True)``: a probe blocks on the network) and the
``ForwardManager``. Workers never touch widgets: they report with ``post_message`` only, and the
messages bubble to the screen and the app, which put the result into the snapshot's ``probes`` and
the path view. Forwards are closed when the runner unmounts (the app quits).

Wiring (in the app or a screen)::

    yield ProbeRunner(lambda: self.conn, readonly=self.readonly)          # compose
    self.query_one(ProbeRunner).probe(ref, snapshot)                      # key "t" on a selection
    def on_probe_runner_finished(self, msg: ProbeRunner.Finished): ...    # msg.result: ProbeResult
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.message import Message
from textual.widget import Widget

from ktui.kube.client import Connection, KubeError
from ktui.probes import run_probe
from ktui.probes.forwards import Forward, ForwardManager
from ktui.probes.pod import ProbeUsageError, now
from ktui.resources import ClusterSnapshot, ProbeResult, Ref


def failed(target: Ref, why: str) -> ProbeResult:
    """A result for a probe that could not be attempted (no connection, bad port, API error)."""
    return ProbeResult(
        target=target,
        ok=False,
        summary=f"probe not run: {why}",
        tested=f"{target.kind} {target.namespace}/{target.name}",
        hop="",
        at=now(),
    )


class ProbeRunner(Widget):
    """Starts probes and forwards off the UI thread and reports them as messages."""

    DEFAULT_CSS = "ProbeRunner { display: none; }"

    @dataclass
    class Started(Message):
        """A probe began (show a spinner / 'probing service web:80...')."""

        target: Ref
        what: str
        key: int = 0
        """Matches the Finished message of the same probe."""

    @dataclass
    class Finished(Message):
        """A probe ended; ``result`` goes into ``snapshot.probes`` and the path view."""

        result: ProbeResult
        key: int = 0
        """The key of the Started message of the same probe."""

    @dataclass
    class ForwardChanged(Message):
        """A forward opened, re-targeted or died; ``dead`` is the cause ("pod replaced") or None."""

        forward_id: int
        description: str
        dead: str | None
        history: tuple[str, ...]

    def __init__(
        self,
        connection: Callable[[], Connection | None],
        *,
        readonly: bool = False,
        watch_interval: float = 1.0,
        id: str | None = "probe-runner",
    ) -> None:
        super().__init__(id=id)
        self._connection = connection
        self.readonly = readonly
        self._watch_interval = watch_interval
        self._manager: ForwardManager | None = None
        self._keys = itertools.count(1)

    @property
    def enabled(self) -> bool:
        """Probes can run (a connection exists and --readonly is off): grey the key out otherwise."""
        return not self.readonly and self._connection() is not None

    # ----------------------------------------------------------------- probes

    def probe(
        self,
        target: Ref,
        snapshot: ClusterSnapshot,
        *,
        port: int | str | None = None,
        path: str | None = None,
        host: str | None = None,
    ) -> int:
        """Probe a Pod, Service or Ingress in a worker; Started now, Finished later; returns their key."""
        key = next(self._keys)
        if self.readonly:
            self.post_message(self.Finished(failed(target, "probes are off (--readonly)"), key))
            return key
        what = f"probing {target.kind.lower()} {target.name}" + (f":{port}" if port is not None else "")
        what += f" {host or ''}{path or ''}".rstrip() if target.kind == "Ingress" else ""
        self.post_message(self.Started(target, what, key))
        self._probe_worker(key, target, snapshot, port, path, host)
        return key

    @work(thread=True, exit_on_error=False, group="probes", description="probe")
    def _probe_worker(
        self,
        key: int,
        target: Ref,
        snapshot: ClusterSnapshot,
        port: int | str | None,
        path: str | None,
        host: str | None,
    ) -> None:
        conn = self._connection()
        if conn is None:
            result = failed(target, "not connected to a cluster")
        else:
            try:
                result = run_probe(conn, snapshot, target, port=port, path=path, host=host)
            except (KubeError, ProbeUsageError) as exc:
                result = failed(target, str(exc))
            except Exception as exc:  # a probe must never take the app down; say what broke
                result = failed(target, f"{type(exc).__name__}: {exc}")
        self.post_message(self.Finished(result, key))

    # ----------------------------------------------------------------- forwards

    def open_forward(
        self, target: Ref, snapshot: ClusterSnapshot, port: int | str | None = None, local_port: int = 0
    ) -> None:
        """Open a forward that watches its pod (Service: re-targets; Pod: dies with the cause)."""
        if not self.readonly:
            self._forward_worker(target, snapshot, port, local_port)

    @work(thread=True, exit_on_error=False, group="forwards", description="forward")
    def _forward_worker(
        self, target: Ref, snapshot: ClusterSnapshot, port: int | str | None, local_port: int
    ) -> None:
        conn = self._connection()
        if conn is None:
            return
        from ktui.probes.pod import pick_port

        if self._manager is None:
            self._manager = ForwardManager(conn, on_change=self._changed, interval=self._watch_interval)
        try:
            if target.kind == "Service":
                fwd = self._manager.forward_service(
                    snapshot, target.namespace, target.name, port, local_port=local_port
                )
            else:
                pod = next(
                    p
                    for p in snapshot.pods
                    if p.metadata.namespace == target.namespace and p.metadata.name == target.name
                )
                number, _ = pick_port(pod, port)
                fwd = self._manager.forward_pod(target.namespace, target.name, number, local_port=local_port)
        except (KubeError, ProbeUsageError, StopIteration) as exc:
            why = str(exc) or "not found"
            self.post_message(self.ForwardChanged(0, f"{target.kind} {target.name}", why, ()))
            return
        self._changed(fwd)

    def _changed(self, fwd: Forward) -> None:
        # Called from forward threads: only post a message.
        self.post_message(self.ForwardChanged(fwd.id, fwd.description, fwd.dead, tuple(fwd.history)))

    @property
    def forwards(self) -> list[Forward]:
        """The open forwards."""
        return self._manager.forwards if self._manager else []

    def close_forwards(self) -> None:
        """Close every forward (bounded)."""
        if self._manager is not None:
            self._manager.close_all()

    def reset(self) -> None:
        """Close every forward and forget the connection's manager (the context changed)."""
        manager, self._manager = self._manager, None
        if manager is not None:
            manager.close_all()

    def on_unmount(self) -> None:
        """The app quits: no forward outlives it."""
        self.close_forwards()
