"""Raw Kubernetes JSON (API responses, watch events, dump files) -> the records of ``resources``.

Pure: msgspec only. Used by the kube layer for live data and by ``ktui diagnose --file`` for dumps.
ConfigMaps and Secrets keep key names only; a Secret's values never leave this module.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ktui import resources as r
from ktui.resources.compact import ObjectCompactor, PodCompactor


class DecodeError(ValueError):
    """A JSON document or object that does not have the shape of a Kubernetes object."""


class _DataWire(msgspec.Struct, rename="camel", gc=False):
    """ConfigMap / Secret as sent: values are read only to take the key names."""

    metadata: r.ObjectMeta = r.ObjectMeta()
    data: dict[str, Any] | None = None
    binary_data: dict[str, Any] | None = None
    string_data: dict[str, Any] | None = None
    type: str | None = None


class _EventV1Wire(msgspec.Struct, rename="camel", gc=False):
    """An events.k8s.io/v1 Event, mapped onto the core/v1 shape."""

    metadata: r.ObjectMeta = r.ObjectMeta()
    regarding: r.ObjectReference = r.ObjectReference()
    reason: str | None = None
    note: str | None = None
    type: str | None = None
    event_time: Any = None
    series: r.EventSeries | None = None
    reporting_controller: str | None = None
    reporting_instance: str | None = None
    action: str | None = None
    deprecated_count: int | None = None
    deprecated_first_timestamp: Any = None
    deprecated_last_timestamp: Any = None
    deprecated_source: r.EventSource | None = None


def _keys(wire: _DataWire) -> tuple[str, ...]:
    names: set[str] = set()
    for part in (wire.data, wire.binary_data, wire.string_data):
        if part:
            names.update(part)
    return tuple(sorted(names))


def _strip_data(kind: str, obj: Any) -> r.ConfigMap | r.Secret:
    wire = msgspec.convert(obj, _DataWire, strict=False)
    if kind == "Secret":
        return r.Secret(metadata=wire.metadata, type=wire.type, keys=_keys(wire))
    return r.ConfigMap(metadata=wire.metadata, keys=_keys(wire))


def _event_v1(obj: Any) -> r.Event:
    wire = msgspec.convert(obj, _EventV1Wire, strict=False)
    core = {
        "metadata": msgspec.to_builtins(wire.metadata),
        "involvedObject": msgspec.to_builtins(wire.regarding),
        "reason": wire.reason,
        "message": wire.note,
        "type": wire.type,
        "eventTime": wire.event_time,
        "series": msgspec.to_builtins(wire.series) if wire.series else None,
        "reportingComponent": wire.reporting_controller,
        "reportingInstance": wire.reporting_instance,
        "action": wire.action,
        "count": wire.deprecated_count,
        "firstTimestamp": wire.deprecated_first_timestamp,
        "lastTimestamp": wire.deprecated_last_timestamp,
        "source": msgspec.to_builtins(wire.deprecated_source) if wire.deprecated_source else None,
    }
    return msgspec.convert(core, r.Event, strict=False)


def decode_object(obj: Any) -> r.AnyObject:
    """One object (a dict from JSON or YAML, with ``kind``) -> its record; DecodeError if unusable."""
    if not isinstance(obj, dict):
        raise DecodeError(f"expected an object, got {type(obj).__name__}")
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind:
        raise DecodeError("object has no kind")
    try:
        if kind in ("ConfigMap", "Secret"):
            return _strip_data(kind, obj)
        if kind == "Event" and str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
            return _event_v1(obj)
        record_type = r.KIND_TYPES.get(kind)
        if record_type is None:
            raise DecodeError(f"unknown kind {kind!r}")
        return msgspec.convert(obj, record_type, strict=False)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        name = (obj.get("metadata") or {}).get("name", "?") if isinstance(obj.get("metadata"), dict) else "?"
        raise DecodeError(f"{kind} {name}: {exc}") from None


def decode_typed(kind: str, obj: Any) -> r.AnyObject:
    """Like decode_object, for an item of a typed list whose items may omit ``kind``."""
    if isinstance(obj, dict) and "kind" not in obj:
        obj = {**obj, "kind": kind}
    return decode_object(obj)


class _ListMeta(msgspec.Struct, frozen=True, rename="camel", gc=False):
    resource_version: str = ""
    # "continue" is a Python keyword: name it explicitly.
    continue_: str | None = msgspec.field(default=None, name="continue")


class _ListHead(msgspec.Struct, gc=False):
    metadata: _ListMeta | None = None


_head = msgspec.json.Decoder(_ListHead)


def continue_token(raw: bytes) -> str | None:
    """The continue token of a raw LIST page (None: last page, or not a list this can read).

    The API server writes ``metadata`` before ``items`` (Go field order: TypeMeta, ListMeta,
    Items), so the head before ``"items":`` decodes in microseconds; a body laid out otherwise is
    read whole (~2 ms for 3 MB: msgspec skips the items unparsed). Callers compare the token with
    the one their full decode finds, so a wrong guess costs a refetch, never a wrong page.
    """
    cut = raw.find(b'"items":')
    if cut > 0:
        head = raw[:cut].rstrip()
        if head.endswith(b","):
            try:
                meta = _head.decode(head[:-1] + b"}").metadata
            except msgspec.DecodeError:
                meta = None
            if meta is not None:
                return meta.continue_ or None
    try:
        meta = _head.decode(raw).metadata
    except msgspec.DecodeError:
        return None
    return meta.continue_ or None if meta is not None else None


_LIST_TYPES: dict[str, Any] = {}


def _list_type(kind: str) -> Any:
    cached = _LIST_TYPES.get(kind)
    if cached is None:
        item: Any = r.KIND_TYPES[kind]
        fields = [("items", tuple[item, ...], ()), ("metadata", _ListMeta, _ListMeta())]
        cached = msgspec.defstruct(f"{kind}List", fields, gc=False)
        _LIST_TYPES[kind] = cached
    return cached


def decode_list(kind: str, raw: bytes) -> tuple[list[r.AnyObject], str, str | None]:
    """A raw LIST response body -> (records, resourceVersion, continue token); the fast path."""
    if kind in ("ConfigMap", "Secret"):
        doc = msgspec.json.decode(raw)
        meta = doc.get("metadata") or {}
        items = [decode_typed(kind, item) for item in doc.get("items") or ()]
        return items, str(meta.get("resourceVersion", "")), meta.get("continue") or None
    try:
        decoded = msgspec.json.decode(raw, type=_list_type(kind), strict=False)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise DecodeError(f"{kind}List: {exc}") from None
    if kind == "Pod":
        records: list[Any] = [compact_pod(p) for p in decoded.items]
    else:
        records = [compact_object(kind, o) for o in decoded.items]
    return records, decoded.metadata.resource_version, decoded.metadata.continue_ or None


compact_pod = PodCompactor()
"""Pods of a live cluster share their repeated parts (``resources.compact``): ~2 KB a pod, not ~8."""
compact_object = ObjectCompactor(compact_pod)
"""Workloads, Services, EndpointSlices and Events too (through the pods' tables: a selector and the
labels it selects can be one object)."""


def compact(kind: str, record: Any) -> Any:
    """A live record made to share what repeats with the records decoded before."""
    return compact_pod(record) if kind == "Pod" else compact_object(kind, record)
