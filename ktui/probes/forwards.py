"""Forwards that stay honest: each watches its target pod and re-targets or dies with a cause.

k9s and kubectl keep a forward "open" after its pod is gone, and every connection then fails with
no word why (k9s #1893, #2233, #2486, #3301; kubectl #686). Here one watcher thread polls each
forward's pod (a GET per interval: cheap, bounded, and it needs no watch permission). When the pod
is deleted, terminating, or replaced by a new instance of the same name:
- a Service forward re-targets to another ready endpoint (the EndpointSlices are re-read), mapping
  the Service port as kube-proxy does; with none left it is marked dead, "pod replaced";
- a pod forward re-targets to a same-name replacement (StatefulSet) or is marked dead.
The session itself marks "connection refused on :N" and "local port busy". ``close_all`` stops
every forward and the watcher; call it when the app quits.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ktui import decode
from ktui import resources as r
from ktui.kube import api, listing
from ktui.kube.client import Connection, KubeError
from ktui.model.paths import EndpointInfo, find_service_port, is_ready
from ktui.probes.pod import ProbeUsageError
from ktui.probes.service import endpoint_port

if TYPE_CHECKING:
    from ktui.kube.portforward import PortForwardSession

_ids = itertools.count(1)


@dataclass
class Forward:
    """One live forward and what became of it."""

    target: r.Ref
    session: PortForwardSession
    service_port: r.ServicePort | None = None
    pod_uid: str = ""
    id: int = field(default_factory=lambda: next(_ids))
    history: list[str] = field(default_factory=list)

    @property
    def dead(self) -> str | None:
        """The cause when the forward is dead ("pod replaced", "connection refused on :81"...)."""
        return self.session.dead

    @property
    def description(self) -> str:
        """'service web:80 -> pod web-7f9c:8080 on 127.0.0.1:40123'."""
        s = self.session
        head = (f"service {self.target.name}:{self.service_port.port}" if self.service_port
                else f"pod {self.target.name}")
        return f"{head} -> pod {s.pod}:{s.port} on {s.address}"


class ForwardManager:
    """Opens forwards, watches their pods and closes them all at the end."""

    def __init__(self, conn: Connection, *, on_change: Callable[[Forward], None] | None = None,
                 interval: float = 1.0) -> None:
        self.conn = conn
        self.interval = interval
        self._on_change = on_change
        self._forwards: dict[int, Forward] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def forwards(self) -> list[Forward]:
        """Every open forward (dead ones included until closed)."""
        with self._lock:
            return list(self._forwards.values())

    # ----------------------------------------------------------------- opening

    def forward_pod(self, namespace: str, pod: str, port: int, *, local_port: int = 0) -> Forward:
        """Forward 127.0.0.1:local_port to pod:port; PortForwardError when the port is busy."""
        uid = self._pod_uid(namespace, pod) or ""
        target = r.Ref(kind="Pod", namespace=namespace, name=pod, uid=uid)
        return self._open(target, namespace, pod, port, local_port, None, uid)

    def forward_service(self, snapshot: r.ClusterSnapshot, namespace: str, name: str,
                        port: int | str | None = None, *, local_port: int = 0) -> Forward:
        """Forward to a ready endpoint of the Service, mapped as kube-proxy would."""
        svc = next((s for s in snapshot.services
                    if s.metadata.namespace == namespace and s.metadata.name == name), None)
        if svc is None:
            raise ProbeUsageError(f'service "{name}" not found in namespace {namespace}')
        sp = find_service_port(svc, port)
        if sp is None:
            raise ProbeUsageError(f"service {name} does not have a service port {port}")
        picked = self._pick_endpoint(namespace, svc, sp, exclude="")
        if picked is None:
            raise ProbeUsageError(f"service {name} has no ready endpoint to forward to")
        pod, number, uid = picked
        return self._open(r.ref_of(svc), namespace, pod, number, local_port, sp, uid)

    def _open(self, target: r.Ref, namespace: str, pod: str, port: int, local_port: int,
              sp: r.ServicePort | None, uid: str) -> Forward:
        holder: list[Forward] = []

        def changed(_session: PortForwardSession) -> None:
            if holder:
                self._changed(holder[0])

        from ktui.kube.portforward import PortForwardSession  # on the first forward (see probes.http)

        session = PortForwardSession(self.conn, namespace, pod, port, local_port=local_port,
                                     on_change=changed)
        fwd = Forward(target, session, sp, uid)
        holder.append(fwd)
        session.start()
        # Ready like kubectl's "Forwarding from": the first WebSocket is up (a spare to splice onto).
        session.wait_ready(5.0)
        with self._lock:
            self._forwards[fwd.id] = fwd
        self._ensure_watcher()
        return fwd

    # ----------------------------------------------------------------- closing

    def close(self, fwd: Forward) -> None:
        """Stop one forward."""
        with self._lock:
            self._forwards.pop(fwd.id, None)
        fwd.session.close()

    def close_all(self, timeout: float = 3.0) -> None:
        """Stop every forward and the watcher (bounded)."""
        self._stop.set()
        for fwd in self.forwards:
            self.close(fwd)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout)

    # ----------------------------------------------------------------- watching

    def _changed(self, fwd: Forward) -> None:
        if self._on_change is not None:
            self._on_change(fwd)

    def _ensure_watcher(self) -> None:
        if self._watcher is None or not self._watcher.is_alive():
            self._stop.clear()
            self._watcher = threading.Thread(target=self._watch, name="ktui-forward-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            for fwd in self.forwards:
                if self._stop.is_set():
                    return
                if fwd.session.dead is None or fwd.session.dead == "pod replaced":
                    self.check(fwd)

    def _read_pod(self, namespace: str, name: str) -> r.Pod | None:
        """The pod, or None when it does not exist (KubeError for anything else)."""
        try:
            obj = api.get_json(self.conn, f"/api/v1/namespaces/{namespace}/pods/{name}", timeout=5.0)
        except api.ApiStatusError as exc:
            if exc.code == 404:
                return None
            raise
        pod = decode.decode_typed("Pod", obj)
        return pod if isinstance(pod, r.Pod) else None

    def _pod_uid(self, namespace: str, name: str) -> str | None:
        try:
            pod = self._read_pod(namespace, name)
        except KubeError:
            return None
        return pod.metadata.uid if pod else None

    def check(self, fwd: Forward) -> None:
        """Look at the forward's pod once; re-target or mark dead when it has gone."""
        s = fwd.session
        try:
            pod = self._read_pod(s.namespace, s.pod)
        except KubeError:
            return  # the API server is unreachable: that says nothing about the pod
        if pod is not None and pod.metadata.deletion_timestamp is None and (
                not fwd.pod_uid or pod.metadata.uid == fwd.pod_uid):
            return
        if pod is None or pod.metadata.deletion_timestamp is not None:
            gone = f"pod {s.pod} was deleted" if pod is None else f"pod {s.pod} is terminating"
        else:
            gone = f"pod {s.pod} was replaced by a new instance"
        if fwd.service_port is not None:
            self._retarget_service(fwd, gone)
        elif pod is not None and pod.metadata.deletion_timestamp is None and is_ready(pod):
            fwd.history.append(f"{gone}; now forwarding to the new instance")
            fwd.pod_uid = pod.metadata.uid
            s.retarget(s.pod, s.port)
        else:
            fwd.history.append(gone)
            s.mark_dead("pod replaced", gone)

    def _retarget_service(self, fwd: Forward, gone: str) -> None:
        s, sp = fwd.session, fwd.service_port
        assert sp is not None
        try:
            svc_obj = api.get_json(self.conn, f"/api/v1/namespaces/{s.namespace}/services/{fwd.target.name}",
                                   timeout=5.0)
            svc = decode.decode_typed("Service", svc_obj)
            picked = self._pick_endpoint(s.namespace, svc, sp, exclude=s.pod) if isinstance(
                svc, r.Service) else None
        except KubeError as exc:
            fwd.history.append(f"{gone}; could not re-read the service: {exc.message}")
            s.mark_dead("pod replaced", gone)
            return
        if picked is None:
            fwd.history.append(f"{gone}; no other ready endpoint")
            s.mark_dead("pod replaced", f"{gone}; service {fwd.target.name} has no other ready endpoint")
            return
        pod, number, uid = picked
        fwd.history.append(f"{gone}; re-targeted to pod {pod}:{number}")
        fwd.pod_uid = uid
        s.retarget(pod, number)

    def _pick_endpoint(self, namespace: str, svc: r.Service, sp: r.ServicePort, *, exclude: str
                       ) -> tuple[str, int, str] | None:
        """(pod, port, uid) of a ready endpoint read fresh from the EndpointSlices."""
        selector = f"kubernetes.io/service-name={svc.metadata.name}"
        slices, _ = listing.list_all(self.conn, api.RESOURCES["EndpointSlice"], namespace,
                                 label_selector=selector)
        for sl in slices:
            if not isinstance(sl, r.EndpointSlice):
                continue
            ports = {p.name or "": p.port for p in sl.ports or () if p.port is not None}
            for ep in sl.endpoints or ():
                ref = ep.target_ref
                cond = ep.conditions
                if ref is None or ref.name == exclude or cond.ready is False or cond.terminating:
                    continue
                pod = self._read_pod(namespace, ref.name)
                if pod is None or pod.metadata.deletion_timestamp is not None:
                    continue
                info = EndpointInfo(ep.addresses[0] if ep.addresses else "", True, False, ref, ports)
                number, _ = endpoint_port(sp, info, pod)
                if number is not None:
                    return ref.name, number, pod.metadata.uid
        return None
