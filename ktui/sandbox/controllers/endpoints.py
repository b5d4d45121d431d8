"""Endpoints and EndpointSlice controllers: Service selector + pod readiness -> addresses and target ports.

As in kube-controller-manager, ports are the pods' *target* ports, resolved per pod (a named targetPort
is looked up in each pod's container ports; a pod without it is left out of that port). Not-ready pods go
to ``notReadyAddresses`` / ``conditions.ready: false``; a selector matching nothing still gets an
Endpoints object without subsets and a placeholder slice without endpoints. Selector-less Services get
neither: their Endpoints are the user's.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.controllers.objects import (
    generated,
    is_ready,
    is_terminal,
    map_matches,
    owner_ref,
    random_suffix,
)
from ktui.sandbox.errors import ApiError

SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SLICE_MANAGER = "endpointslice-controller.k8s.io"
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"
MAX_PER_SLICE = 100


def find_port(pod: dict[str, Any], port: dict[str, Any]) -> int | None:
    """``podutil.FindPort``: a named targetPort from the pod's containers, a number as is."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = port.get("protocol", "TCP")
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == protocol:
                return int(p["containerPort"])
    return None


def _target_ref(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}


def _port_entry(port: dict[str, Any], number: int, with_empty_name: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if port.get("name") or with_empty_name:
        entry["name"] = port.get("name") or ""
    entry["port"] = number
    entry["protocol"] = port.get("protocol", "TCP")
    if port.get("appProtocol"):
        entry["appProtocol"] = port["appProtocol"]
    return entry


class EndpointsController(Controller):
    """Maintains Endpoints and EndpointSlices for every Service with a selector."""

    name = "endpoint-controller"
    watches = ("services", "pods")

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """A pod change touches every Service in its namespace whose selector matched before or now.

        The generator's pods and Services touch none: their slices stay as generated.
        """
        if generated(obj):
            return []
        if resource == "services":
            return [key_of(obj)]
        ns = obj["metadata"].get("namespace") or ""
        labels = [obj["metadata"].get("labels")] + ([old["metadata"].get("labels")] if old else [])
        services, _ = self.store.list("services", ns)
        return [
            key_of(s)
            for s in services
            if any(map_matches((s.get("spec") or {}).get("selector"), lab) for lab in labels)
        ]

    def reconcile(self, key: Key) -> None:
        """Recompute one Service's Endpoints and slices."""
        ns, name = key
        svc = self.store.get("services", ns, name)
        if svc is not None and generated(svc):
            return
        selector = (svc.get("spec") or {}).get("selector") if svc else None
        if svc is None or not selector or svc["spec"].get("type") == "ExternalName":
            if svc is None:
                self._drop(ns, name)
            return
        publish_not_ready = bool(svc["spec"].get("publishNotReadyAddresses"))
        pods = [
            p
            for p in self.store.list("pods", ns)[0]
            if map_matches(selector, p["metadata"].get("labels"))
            and not is_terminal(p)
            and (p.get("status") or {}).get("podIP")
        ]
        self._write_endpoints(svc, pods, publish_not_ready)
        self._write_slices(svc, pods, publish_not_ready)

    # -- core/v1 Endpoints -------------------------------------------------------------------------

    def _write_endpoints(
        self, svc: dict[str, Any], pods: list[dict[str, Any]], publish_not_ready: bool
    ) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        groups: dict[tuple[tuple[Any, ...], ...], dict[str, list[dict[str, Any]]]] = {}
        ports_of: dict[tuple[tuple[Any, ...], ...], list[dict[str, Any]]] = {}
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") and not publish_not_ready:
                continue  # terminating pods leave the legacy Endpoints at once
            ports = [
                _port_entry(p, n, False)
                for p in svc["spec"].get("ports") or []
                if (n := find_port(pod, p)) is not None
            ]
            if not ports:
                continue
            sig = tuple(tuple(sorted(p.items())) for p in ports)
            ports_of[sig] = ports
            address: dict[str, Any] = {"ip": pod["status"]["podIP"]}
            if pod["spec"].get("nodeName"):
                address["nodeName"] = pod["spec"]["nodeName"]
            address["targetRef"] = _target_ref(pod)
            bucket = "addresses" if is_ready(pod) or publish_not_ready else "notReadyAddresses"
            groups.setdefault(sig, {}).setdefault(bucket, []).append(address)
        subsets = []
        for sig, buckets in groups.items():
            subset: dict[str, Any] = {}
            for bucket in ("addresses", "notReadyAddresses"):
                if buckets.get(bucket):
                    subset[bucket] = sorted(buckets[bucket], key=lambda a: a["ip"])
            subset["ports"] = ports_of[sig]
            subsets.append(subset)
        labels = dict(svc["metadata"].get("labels") or {})
        current = self.store.get("endpoints", ns, name)
        if (
            current is not None
            and current.get("subsets") == (subsets or None)
            and (current["metadata"].get("labels") or {}) == labels
        ):
            return
        meta: dict[str, Any] = {"name": name, "namespace": ns, "annotations": {TRIGGER: self.clock.stamp()}}
        if labels:
            meta["labels"] = labels
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        if subsets:
            obj["subsets"] = subsets
        if current is None:
            with contextlib.suppress(ApiError):
                self.store.create("endpoints", obj, namespace=ns)
            return

        def replace(ep: dict[str, Any]) -> None:
            ep["metadata"]["annotations"] = {
                **(ep["metadata"].get("annotations") or {}),
                **meta["annotations"],
            }
            ep["metadata"].pop("labels", None)
            if labels:
                ep["metadata"]["labels"] = labels
            ep.pop("subsets", None)
            if subsets:
                ep["subsets"] = subsets

        self.store.mutate("endpoints", ns, name, replace)

    # -- discovery.k8s.io/v1 EndpointSlices -----------------------------------------------------------

    def _write_slices(self, svc: dict[str, Any], pods: list[dict[str, Any]], publish_not_ready: bool) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        by_ports: dict[tuple[tuple[Any, ...], ...], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for pod in pods:
            ports = [
                _port_entry(p, n, True)
                for p in svc["spec"].get("ports") or []
                if (n := find_port(pod, p)) is not None
            ]
            if not ports:
                continue
            sig = tuple(tuple(sorted(p.items())) for p in ports)
            terminating = bool(pod["metadata"].get("deletionTimestamp"))
            ready = is_ready(pod)
            endpoint: dict[str, Any] = {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {
                    "ready": (ready and not terminating) or publish_not_ready,
                    "serving": ready,
                    "terminating": terminating,
                },
                "targetRef": _target_ref(pod),
            }
            if pod["spec"].get("nodeName"):
                endpoint["nodeName"] = pod["spec"]["nodeName"]
            by_ports.setdefault(sig, (ports, []))[1].append(endpoint)
        wanted: list[tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]] = []
        for ports, endpoints in by_ports.values():
            endpoints.sort(key=lambda e: e["addresses"][0])
            for i in range(0, len(endpoints), MAX_PER_SLICE):
                wanted.append((ports, endpoints[i : i + MAX_PER_SLICE]))
        if not wanted:
            wanted.append((None, None))  # the placeholder slice the real controller keeps
        existing = self.store.list(
            "endpointslices.discovery.k8s.io", ns, label_selector=f"{SERVICE_NAME}={name}"
        )[0]
        existing = [
            s for s in existing if (s["metadata"].get("labels") or {}).get(MANAGED_BY) == SLICE_MANAGER
        ]
        labels = {**(svc["metadata"].get("labels") or {}), SERVICE_NAME: name, MANAGED_BY: SLICE_MANAGER}
        for i, (slice_ports, slice_eps) in enumerate(wanted):
            if i < len(existing):
                current = existing[i]
                if (
                    current.get("ports") == slice_ports
                    and current.get("endpoints") == slice_eps
                    and current["metadata"].get("labels") == labels
                ):
                    continue
                stamp = self.clock.stamp()

                def replace(
                    obj: dict[str, Any],
                    slice_ports: Any = slice_ports,
                    slice_eps: Any = slice_eps,
                    stamp: str = stamp,
                ) -> None:
                    obj["metadata"]["labels"] = labels
                    obj["metadata"].setdefault("annotations", {})[TRIGGER] = stamp
                    obj["ports"], obj["endpoints"] = slice_ports, slice_eps

                self.store.mutate("endpointslices.discovery.k8s.io", ns, current["metadata"]["name"], replace)
                continue
            obj = {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-{random_suffix()}",
                    "generateName": f"{name}-",
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {TRIGGER: self.clock.stamp()},
                    "ownerReferences": [owner_ref(svc)],
                },
                "addressType": "IPv4",
                "endpoints": slice_eps,
                "ports": slice_ports,
            }
            with contextlib.suppress(ApiError):
                self.store.create("endpointslices.discovery.k8s.io", obj, namespace=ns)
        for extra in existing[len(wanted) :]:
            self.store.remove("endpointslices.discovery.k8s.io", ns, extra["metadata"]["name"])

    def _drop(self, ns: str, name: str) -> None:
        """The Service is gone: its Endpoints go (slices go by owner garbage collection too)."""
        self.store.remove("endpoints", ns, name)
        for s in self.store.list(
            "endpointslices.discovery.k8s.io", ns, label_selector=f"{SERVICE_NAME}={name}"
        )[0]:
            if (s["metadata"].get("labels") or {}).get(MANAGED_BY) == SLICE_MANAGER:
                self.store.remove("endpointslices.discovery.k8s.io", ns, s["metadata"]["name"])
