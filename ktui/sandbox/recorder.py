"""Events as the real components write them: legacy (kubelet, controllers) and new (scheduler) style.

The legacy recorder (client-go ``tools/record``) dedupes identical events into one object whose
``count`` and ``lastTimestamp`` climb, so ``kubectl describe`` prints ``4s (x42 over 10m)``; after ten
different messages for the same object and reason within ten minutes it combines them
(``(combined from similar events): ...``). The new recorder (client-go ``tools/events``, used by the
scheduler) writes ``eventTime`` and, on the first repeat, ``series {count: 2, lastObservedTime}``;
later repeats are only counted in memory and flushed every 30 minutes, as client-go does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ktui.sandbox.clock import SimClock
from ktui.sandbox.errors import ApiError

# client-go record.EventCorrelator defaults
_AGGREGATE_MAX_EVENTS = 10
_AGGREGATE_WINDOW = 600.0
# client-go tools/events: isomorphic events are re-sent every 30 minutes
_SERIES_REFRESH = 1800.0


@dataclass
class _Legacy:
    name: str
    namespace: str


@dataclass
class _Series:
    name: str
    namespace: str
    count: int = 1
    last_flush: float = 0.0
    last_observed: str = ""


@dataclass
class _Similar:
    messages: dict[str, float] = field(default_factory=dict)


def involved_object(
    obj: dict[str, Any],
    *,
    field_path: str | None = None,
    kind: str | None = None,
    api_version: str | None = None,
) -> dict[str, Any]:
    """The ObjectReference an event points at (kind, namespace, name, uid, apiVersion, resourceVersion)."""
    meta = obj.get("metadata", {})
    ref: dict[str, Any] = {"kind": kind or obj.get("kind", "")}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    ref["name"] = meta.get("name", "")
    if meta.get("uid"):
        ref["uid"] = meta["uid"]
    ref["apiVersion"] = api_version or obj.get("apiVersion", "")
    if meta.get("resourceVersion"):
        ref["resourceVersion"] = meta["resourceVersion"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref


class EventRecorder:
    """Creates and aggregates core/v1 Events in the store, in the style of the component emitting them."""

    def __init__(self, store: Any, clock: SimClock) -> None:
        self.store = store
        self.clock = clock
        self._legacy: dict[tuple[Any, ...], _Legacy] = {}
        self._similar: dict[tuple[Any, ...], _Similar] = {}
        self._series: dict[tuple[Any, ...], _Series] = {}
        self._last_nanos = 0

    # -- public API -------------------------------------------------------------------------------

    def kubelet_event(
        self,
        pod: dict[str, Any],
        type_: str,
        reason: str,
        message: str,
        *,
        field_path: str | None = None,
        host: str,
    ) -> dict[str, Any] | None:
        """A kubelet event about ``pod`` (or one of its containers via ``field_path``)."""
        return self.event(pod, type_, reason, message, component="kubelet", host=host, field_path=field_path)

    def event(
        self,
        obj: dict[str, Any],
        type_: str,
        reason: str,
        message: str,
        *,
        component: str,
        host: str | None = None,
        field_path: str | None = None,
        kind: str | None = None,
        api_version: str | None = None,
    ) -> dict[str, Any] | None:
        """A legacy-style event from ``component`` (kubelet, replicaset-controller, node-controller...)."""
        ref = involved_object(obj, field_path=field_path, kind=kind, api_version=api_version)
        namespace = ref.get("namespace") or "default"
        source = {"component": component}
        if host:
            source["host"] = host
        message, combined = self._correlate(ref, type_, reason, message, component, host)
        # combined events share one object whose message follows the latest (client-go aggregateKey)
        key = (_ref_key(ref), type_, reason, None if combined else message, component, host)
        now = self.clock.stamp()
        cached = self._legacy.get(key)
        if cached is not None:

            def bump(ev: dict[str, Any]) -> None:
                ev["count"] = int(ev.get("count") or 1) + 1
                ev["lastTimestamp"] = now
                ev["message"] = message

            updated = self.store.mutate("events", cached.namespace, cached.name, bump)
            if updated is not None:
                return dict(updated)
        event = self._event(
            ref,
            namespace,
            reason,
            message,
            source=source,
            firstTimestamp=now,
            lastTimestamp=now,
            count=1,
            type=type_,
            eventTime=None,
            reportingComponent=component,
            reportingInstance=host or "",
        )
        created = self._create(event, namespace)
        if created is not None:
            self._legacy[key] = _Legacy(event["metadata"]["name"], namespace)
        return created

    def scheduler_event(
        self,
        pod: dict[str, Any],
        type_: str,
        reason: str,
        message: str,
        action: str = "Scheduling",
        *,
        host: str = "control-plane",
        component: str = "default-scheduler",
    ) -> dict[str, Any] | None:
        """A new-style (events.k8s.io) event as kube-scheduler writes it."""
        ref = involved_object(pod)
        namespace = ref.get("namespace") or "default"
        instance = f"{component}-{host}"
        key = (_ref_key(ref), type_, reason, message, action, component, instance)
        now_micro = self.clock.micro_stamp()
        sim_now = time.monotonic() * self.clock.speed
        series = self._series.get(key)
        if series is not None and self.store.get("events", series.namespace, series.name) is not None:
            series.count += 1
            series.last_observed = now_micro
            # client-go writes the series on the first repeat, then only on its 30-minute refresh
            if series.count > 2 and sim_now - series.last_flush < _SERIES_REFRESH:
                return None
            series.last_flush = sim_now
            count, observed = series.count, now_micro

            def set_series(ev: dict[str, Any]) -> None:
                ev["series"] = {"count": count, "lastObservedTime": observed}

            return self.store.mutate("events", series.namespace, series.name, set_series)
        event = self._event(
            ref,
            namespace,
            reason,
            message,
            source={},
            firstTimestamp=None,
            lastTimestamp=None,
            type=type_,
            eventTime=now_micro,
            action=action,
            reportingComponent=component,
            reportingInstance=instance,
        )
        created = self._create(event, namespace)
        if created is not None:
            name = event["metadata"]["name"]
            self._series[key] = _Series(name, namespace, last_flush=sim_now, last_observed=now_micro)
        return created

    def forget(self, uid: str) -> None:
        """Drop aggregation state for a deleted object (its events stay until they expire)."""
        for cache in (self._legacy, self._similar, self._series):
            for key in [k for k in cache if k[0][3] == uid]:
                del cache[key]

    # -- internals --------------------------------------------------------------------------------

    def _correlate(
        self, ref: dict[str, Any], type_: str, reason: str, message: str, component: str, host: str | None
    ) -> tuple[str, bool]:
        """client-go EventAggregator: many distinct messages for one object+reason get combined."""
        key = (_ref_key(ref), type_, reason, component, host)
        similar = self._similar.setdefault(key, _Similar())
        now = time.monotonic() * self.clock.speed
        similar.messages = {m: t for m, t in similar.messages.items() if now - t < _AGGREGATE_WINDOW}
        similar.messages[message] = now
        if len(similar.messages) >= _AGGREGATE_MAX_EVENTS:
            return "(combined from similar events): " + message, True
        return message, False

    def _name(self, base: str) -> str:
        # client-go: fmt.Sprintf("%v.%x", ref.Name, t.UnixNano()); keep names unique within a tick
        nanos = max(time.time_ns(), self._last_nanos + 1)
        self._last_nanos = nanos
        return f"{base}.{nanos:x}"

    def _event(
        self, ref: dict[str, Any], namespace: str, reason: str, message: str, **fields: Any
    ) -> dict[str, Any]:
        """A new core/v1 Event: the fields both recorders write, then ``fields`` in the component's order."""
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self._name(ref["name"]), "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            **fields,
        }

    def _create(self, event: dict[str, Any], namespace: str) -> dict[str, Any] | None:
        try:
            return dict(self.store.create("events", event, namespace=namespace))
        except ApiError:  # a missing or terminating namespace rejects events, as on a real cluster
            return None


def _ref_key(ref: dict[str, Any]) -> tuple[Any, ...]:
    return (
        ref.get("kind"),
        ref.get("namespace"),
        ref.get("name"),
        ref.get("uid"),
        ref.get("apiVersion"),
        ref.get("fieldPath"),
    )
