"""Make decoded records share what repeats between them, so 10k cached pods cost kilobytes, not tens.

The pods of one workload carry the same container specs, labels, annotations and owner, and every
pod repeats the same namespace, node and condition strings. A decoder makes a fresh copy of each for
every pod (and again for every watch event), so a post-step hands back one shared object per
distinct value: equal parts are looked up by a hash of their msgpack encoding and kept only when
they compare equal (a hash collision never merges different values). Records are frozen, so a
shared part is never changed under another record. Pure (msgspec only); safe to call from several
threads (at worst two equal values stay separate).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from ktui.resources.meta import Condition, ObjectMeta
from ktui.resources.pods import ContainerStatus, Pod, PodSpec, PodStatus, Volume

_encode = msgspec.msgpack.Encoder().encode
_intern = sys.intern
_NO_META = ObjectMeta()
_NO_SPEC = PodSpec()


class Shared:
    """Equal values in, one object out; holds at most ``limit`` distinct values (then starts over)."""

    def __init__(self, limit: int = 16384) -> None:
        self._seen: dict[int, Any] = {}
        self._limit = limit

    def __call__(self, value: Any) -> Any:
        """``value``, or an equal value seen before (so the two share one object)."""
        if not value:
            return value
        key = hash(_encode(value))
        seen = self._seen.get(key)
        if seen is not None and type(seen) is type(value) and seen == value:
            return seen
        self._keep(key, value)
        return value

    def strings(self, value: dict[str, str] | None) -> dict[str, str] | None:
        """Like calling it, for a str -> str map; a map not seen before gets interned keys and values."""
        if not value:
            return value
        key = hash(_encode(value))
        seen = self._seen.get(key)
        if seen is not None and type(seen) is dict and seen == value:
            return seen  # type: ignore[no-any-return]
        value = {_intern(k): _intern(v) for k, v in value.items()}
        self._keep(key, value)
        return value

    def _keep(self, key: int, value: Any) -> None:
        if len(self._seen) >= self._limit:
            # Values live on in the records that hold them: this only forgets what to share next.
            self._seen.clear()
        self._seen[key] = value

    def __len__(self) -> int:
        return len(self._seen)


class PodCompactor:
    """Pods in, pods out that share labels, specs, owners, conditions and common strings."""

    def __init__(self, limit: int = 16384) -> None:
        self.share = Shared(limit)
        self._times: dict[tuple[datetime, Any], datetime] = {}
        self._limit = limit
        self._last: Pod | None = None  # the last pod compacted without a version of its own

    def time(self, value: datetime | None) -> datetime | None:
        """One datetime object per instant (the pods of a rollout start within the same seconds)."""
        if value is None:
            return None
        key = (value, value.tzinfo)  # equal instants in other zones print differently: keep them apart
        seen = self._times.get(key)
        if seen is not None:
            return seen
        if len(self._times) >= self._limit:
            self._times.clear()
        self._times[key] = value
        return value

    def __call__(self, pod: Pod, prev: Pod | None = None) -> Pod:
        """An equal pod sharing its repeated parts with ``prev`` (its last version) or earlier pods.

        A watch event usually changes a pod's status only: parts equal to the last version's are
        taken from it (one comparison each, no hashing).
        """
        share = self.share
        meta, spec, status = pod.metadata, pod.spec, pod.status
        if prev is None:
            # A list sends a workload's pods one after the other (sorted by name): most parts equal
            # the pod before's, found by one comparison each (``like``) before any hashing.
            last = self._last
            meta = self.meta(meta, last.metadata if last is not None else None)
            spec = self._spec(spec, last.spec if last is not None else None)
            status = self._status(status, like=last.status if last is not None else None)
            pod = self._last = Pod(metadata=meta, spec=spec, status=status, kind=_intern(pod.kind))
            return pod
        old = prev.metadata
        meta = replace(
            meta,
            # the held uid object, not an equal copy: every table keyed by uid (store, rows, findings,
            # index) then finds it by identity, without reading the held key's characters again
            uid=old.uid if meta.uid == old.uid else meta.uid,
            name=old.name if meta.name == old.name else meta.name,
            namespace=old.namespace if meta.namespace == old.namespace else _intern(meta.namespace),
            labels=old.labels if meta.labels == old.labels else share.strings(meta.labels),
            # changed annotations are kept as sent: they are often per-version stamps, not worth hashing
            annotations=old.annotations if meta.annotations == old.annotations else meta.annotations,
            owner_references=(
                old.owner_references if meta.owner_references == old.owner_references
                else share(meta.owner_references)
            ),
            creation_timestamp=(
                old.creation_timestamp if meta.creation_timestamp == old.creation_timestamp
                else self.time(meta.creation_timestamp)
            ),
        )
        if spec is not prev.spec:  # (the same object: taken from prev by the watch's decoder)
            if spec.volumes:  # compared as kept: the token volume is dropped (``_checked``)
                spec = replace(spec, volumes=_checked(spec.volumes))
            spec = prev.spec if spec == prev.spec else self._spec(spec)
        status = prev.status if status == prev.status else self._status(status, prev.status)
        kind = prev.kind if pod.kind == prev.kind else pod.kind
        return Pod(metadata=meta, spec=spec, status=status, kind=kind)

    def meta(self, meta: ObjectMeta, like: ObjectMeta | None = None) -> ObjectMeta:
        """Metadata sharing its namespace, labels, annotations, owners and creation time with earlier
        records (any kind's: a pod's first version, a workload, a Service); ``like``: the metadata
        of the record before, whose parts are tried first."""
        share = self.share
        if like is None:
            like = _NO_META
        # (each part compared here, not in ``share``: ~10 parts a pod, the calls alone cost ~10%)
        namespace, labels, notes = meta.namespace, meta.labels, meta.annotations
        owners = meta.owner_references
        return replace(
            meta, namespace=like.namespace if namespace == like.namespace else _intern(namespace),
            labels=like.labels if labels == like.labels else share.strings(labels),
            annotations=like.annotations if notes == like.annotations else share.strings(notes),
            owner_references=like.owner_references if owners == like.owner_references else share(owners),
            creation_timestamp=self.time(meta.creation_timestamp),
        )

    def _spec(self, spec: PodSpec, like: PodSpec | None = None) -> PodSpec:
        if not (spec.containers or spec.volumes):
            return spec
        share = self.share
        node, account = spec.node_name, spec.service_account_name
        if like is None:
            like = _NO_SPEC
        containers, inits, volumes = spec.containers, spec.init_containers, _checked(spec.volumes)
        selector, affinity, secrets = spec.node_selector, spec.affinity, spec.image_pull_secrets
        return replace(
            spec, containers=like.containers if containers == like.containers else share(containers),
            init_containers=like.init_containers if inits == like.init_containers else share(inits),
            node_name=_intern(node) if node else node,
            volumes=like.volumes if volumes == like.volumes else share(volumes),
            service_account_name=_intern(account) if account else account,
            node_selector=like.node_selector if selector == like.node_selector else share.strings(selector),
            affinity=like.affinity if affinity == like.affinity else share(affinity),
            image_pull_secrets=(
                like.image_pull_secrets if secrets == like.image_pull_secrets else share(secrets)
            ),
        )

    def _status(self, status: PodStatus, prev: PodStatus | None = None, like: PodStatus | None = None
                ) -> PodStatus:
        """``prev``: the pod's own last status (parts taken as they were); ``like``: another pod's."""
        if not (status.conditions or status.container_statuses):
            return status
        share = self.share
        phase = status.phase
        conditions = status.conditions
        statuses = status.container_statuses
        if prev is not None and conditions == prev.conditions:
            conditions = prev.conditions
        elif like is not None and conditions == like.conditions:
            conditions = like.conditions
        else:
            conditions = share(conditions)
        if prev is not None and len(statuses) == len(prev.container_statuses):
            pairs = zip(statuses, prev.container_statuses, strict=True)
            statuses = tuple(was if cs == was else _like(cs, was) for cs, was in pairs)
        elif like is not None and len(statuses) == len(like.container_statuses):
            pairs = zip(statuses, like.container_statuses, strict=True)
            statuses = tuple(other if cs == other else share(cs) for cs, other in pairs)
        else:
            statuses = tuple(share(cs) for cs in statuses)
        return replace(
            status, phase=_intern(phase) if phase else phase, conditions=conditions,
            start_time=prev.start_time if prev is not None and status.start_time == prev.start_time
            else self.time(status.start_time),
            container_statuses=statuses, init_container_statuses=share(status.init_container_statuses),
        )


def _words_shared(conditions: tuple[Condition, ...]) -> tuple[Condition, ...]:
    """Conditions whose type, status and reason are the interned strings (each workload's messages
    differ, so whole conditions are rarely shared; their words always are)."""
    return tuple(
        replace(c, type=_intern(c.type), status=_intern(c.status), reason=c.reason and _intern(c.reason))
        for c in conditions
    )


def _like(cs: ContainerStatus, was: ContainerStatus) -> ContainerStatus:
    """A changed container status sharing its unchanged parts with the last one (no hashing)."""
    return replace(
        cs, name=was.name if cs.name == was.name else cs.name,
        image=was.image if cs.image == was.image else cs.image,
        state=was.state if cs.state == was.state else cs.state,
        last_state=was.last_state if cs.last_state == was.last_state else cs.last_state,
    )


def _checked(volumes: tuple[Volume, ...]) -> tuple[Volume, ...]:
    """The volumes whose source a rule reads (ConfigMap, Secret, claim); the token volume goes."""
    kept = tuple(v for v in volumes if v.config_map or v.secret or v.persistent_volume_claim)
    return volumes if len(kept) == len(volumes) else kept


_WORKLOADS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"})


class ObjectCompactor:
    """Workloads, Services, EndpointSlices and Events in, the same records sharing repeated parts out.

    A cluster keeps a Deployment, its old ReplicaSets, a Service and its slices per workload: they
    repeat labels, selectors, owners, conditions and names (at 10k pods, ~5,800 such objects held
    ~22 MB as decoded). Shares through a pod compactor's tables, so a Service's selector and its
    pods' labels can be one object. Events share their words (reason, type, reporter, object kind).
    Other kinds pass through as they are.
    """

    def __init__(self, pods: PodCompactor) -> None:
        self.share = pods.share
        self._meta = pods.meta
        self._time = pods.time
        self._conditions: dict[Any, Any] = {}

    def __call__(self, kind: str, record: Any) -> Any:
        """``record`` sharing what repeats (``kind``: its kind, as the reflector knows it)."""
        if kind in _WORKLOADS:
            share = self.share
            spec, status = record.spec, record.status
            template, selector = spec.template, spec.selector
            if template.metadata.labels:  # its pods' labels: one dict for the ReplicaSet and its pods
                labels = share.strings(template.metadata.labels)
                template = replace(template, metadata=replace(template.metadata, labels=labels))
            if selector is not None and selector.match_labels:
                selector = replace(selector, match_labels=share.strings(selector.match_labels))
            spec = replace(spec, selector=share(selector), template=share(template))
            if status.conditions:
                status = replace(status, conditions=share(_words_shared(status.conditions)))
            return replace(record, metadata=self._meta(record.metadata), spec=spec, status=status,
                           kind=_intern(record.kind))
        if kind == "EndpointSlice":
            endpoints = tuple(self._endpoint(e) for e in record.endpoints)
            return replace(record, metadata=self._meta(record.metadata), endpoints=endpoints,
                           ports=self.share(record.ports), kind=_intern(record.kind))
        if kind == "Event":
            return self._event(record)
        if kind == "Service":
            spec = record.spec
            spec = replace(spec, selector=self.share.strings(spec.selector), ports=self.share(spec.ports),
                           type=_intern(spec.type))
            return replace(record, metadata=self._meta(record.metadata), spec=spec, kind=_intern(record.kind))
        return record

    def _event(self, event: Any) -> Any:
        # An event's words repeat across events (reason, type, its object's kind and container path,
        # the component and node that reported it); its message and names mostly do not.
        obj, time = event.involved_object, self._time
        path = obj.field_path
        obj = replace(obj, kind=_intern(obj.kind), namespace=_intern(obj.namespace),
                      api_version=_intern(obj.api_version), field_path=path and _intern(path))
        return replace(
            event, metadata=self._meta(event.metadata), involved_object=obj, kind=_intern(event.kind),
            reason=event.reason and _intern(event.reason), type=event.type and _intern(event.type),
            source=self.share(event.source), action=event.action and _intern(event.action),
            reporting_component=event.reporting_component and _intern(event.reporting_component),
            reporting_instance=event.reporting_instance and _intern(event.reporting_instance),
            first_timestamp=time(event.first_timestamp), last_timestamp=time(event.last_timestamp),
        )

    def _endpoint(self, endpoint: Any) -> Any:
        # An endpoint's conditions take a few values in all: one object each, found without hashing.
        cond = endpoint.conditions
        key = (cond.ready, cond.serving, cond.terminating)
        cond = self._conditions.setdefault(key, cond)
        ref = endpoint.target_ref
        if ref is not None:
            ref = replace(ref, kind=_intern(ref.kind), namespace=_intern(ref.namespace))
        node = endpoint.node_name
        return replace(endpoint, conditions=cond, target_ref=ref, node_name=_intern(node) if node else node)
