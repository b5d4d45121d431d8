"""Decode the protobuf bodies kubectl's typed clients send (``kubectl create ns|configmap|secret|sa``).

kubectl's generator commands POST ``application/vnd.kubernetes.protobuf``: the ``k8s\\x00`` magic, a
``runtime.Unknown`` envelope, then the object in the field numbers of k8s.io/api ``generated.proto``.
No Python package ships those schemas, so the few kinds those commands create are described here;
anything else gets 415 and the client's error says to send JSON.
"""

from __future__ import annotations

import base64
from typing import Any

from ktui.sandbox.errors import ApiError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

Schema = dict[int, tuple[str, Any, bool]]  # field number -> (json name, kind, repeated)

_MAP_STR = ("map", "string")
_MAP_BYTES = ("map", "bytes")
OWNER_REF: Schema = {
    1: ("kind", "string", False),
    3: ("name", "string", False),
    4: ("uid", "string", False),
    5: ("apiVersion", "string", False),
    6: ("controller", "bool", False),
    7: ("blockOwnerDeletion", "bool", False),
}
OBJECT_META: Schema = {
    1: ("name", "string", False),
    2: ("generateName", "string", False),
    3: ("namespace", "string", False),
    5: ("uid", "string", False),
    6: ("resourceVersion", "string", False),
    11: ("labels", _MAP_STR, False),
    12: ("annotations", _MAP_STR, False),
    13: ("ownerReferences", OWNER_REF, True),
    14: ("finalizers", "string", True),
}
OBJECT_REF: Schema = {
    1: ("kind", "string", False),
    2: ("namespace", "string", False),
    3: ("name", "string", False),
}
LOCAL_REF: Schema = {1: ("name", "string", False)}
LABEL_SELECTOR: Schema = {1: ("matchLabels", _MAP_STR, False)}
CONTAINER: Schema = {
    1: ("name", "string", False),
    2: ("image", "string", False),
    3: ("command", "string", True),
    4: ("args", "string", True),
    5: ("workingDir", "string", False),
    6: (
        "ports",
        {1: ("name", "string", False), 3: ("containerPort", "int", False), 4: ("protocol", "string", False)},
        True,
    ),
    7: ("env", {1: ("name", "string", False), 2: ("value", "string", False)}, True),
    14: ("imagePullPolicy", "string", False),
}
POD_TEMPLATE: Schema = {
    1: ("metadata", OBJECT_META, False),
    2: ("spec", {2: ("containers", CONTAINER, True), 3: ("restartPolicy", "string", False)}, False),
}
INT_OR_STRING: Schema = {
    1: ("type", "int", False),
    2: ("intVal", "int", False),
    3: ("strVal", "string", False),
}
SERVICE_PORT: Schema = {
    1: ("name", "string", False),
    2: ("protocol", "string", False),
    3: ("port", "int", False),
    4: ("targetPort", INT_OR_STRING, False),
    5: ("nodePort", "int", False),
}
KINDS: dict[str, Schema] = {
    "Deployment": {
        1: ("metadata", OBJECT_META, False),
        2: (
            "spec",
            {
                1: ("replicas", "int", False),
                2: ("selector", LABEL_SELECTOR, False),
                3: ("template", POD_TEMPLATE, False),
                4: ("strategy", {1: ("type", "string", False)}, False),
            },
            False,
        ),
    },
    "Service": {
        1: ("metadata", OBJECT_META, False),
        2: (
            "spec",
            {
                1: ("ports", SERVICE_PORT, True),
                2: ("selector", _MAP_STR, False),
                3: ("clusterIP", "string", False),
                4: ("type", "string", False),
                7: ("externalName", "string", False),
            },
            False,
        ),
    },
    "Namespace": {
        1: ("metadata", OBJECT_META, False),
        2: ("spec", {1: ("finalizers", "string", True)}, False),
    },
    "ConfigMap": {
        1: ("metadata", OBJECT_META, False),
        2: ("data", _MAP_STR, False),
        3: ("binaryData", _MAP_BYTES, False),
        4: ("immutable", "bool", False),
    },
    "Secret": {
        1: ("metadata", OBJECT_META, False),
        2: ("data", _MAP_BYTES, False),
        3: ("type", "string", False),
        4: ("stringData", _MAP_STR, False),
        5: ("immutable", "bool", False),
    },
    "ServiceAccount": {
        1: ("metadata", OBJECT_META, False),
        2: ("secrets", OBJECT_REF, True),
        3: ("imagePullSecrets", LOCAL_REF, True),
        4: ("automountServiceAccountToken", "bool", False),
    },
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of one message: ints for varints, bytes for length-delimited."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated field")
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _value(kind: Any, raw: int | bytes) -> Any:
    if kind == "string":
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    if kind == "bytes":
        return base64.b64encode(raw if isinstance(raw, bytes) else b"").decode()
    if kind == "bool":
        return bool(raw)
    if kind == "int":
        return int(raw) if isinstance(raw, int) else 0
    if isinstance(kind, dict) and isinstance(raw, bytes):
        return decode_message(raw, kind)
    raise ValueError("field type mismatch")


def decode_message(data: bytes, schema: Schema) -> dict[str, Any]:
    """One message as a JSON dict, keeping only the fields ``schema`` names."""
    out: dict[str, Any] = {}
    for number, raw in fields(data):
        if number not in schema:
            continue
        name, kind, repeated = schema[number]
        if isinstance(kind, tuple):  # map<string, V>: entries are messages {1: key, 2: value}
            entry = dict(fields(raw if isinstance(raw, bytes) else b""))
            key = entry.get(1, b"")
            out.setdefault(name, {})[_value("string", key)] = _value(kind[1], entry.get(2, b""))
        elif repeated:
            out.setdefault(name, []).append(_value(kind, raw))
        else:
            value = _value(kind, raw)
            # Go writes every non-pointer field, zero or not; JSON omits empty ones (omitempty), and
            # server-side defaulting must see them as absent. replicas is a pointer: 0 is meaningful.
            empty = value is False or (
                kind != "bool" and not value and not (kind == "int" and name == "replicas")
            )
            if empty:
                continue
            out[name] = value
    return out


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf-encoded object as JSON; 415 for kinds the sandbox has no schema for."""
    try:
        if not body.startswith(MAGIC):
            raise ValueError("missing k8s protobuf magic")
        envelope = dict(fields(body[len(MAGIC) :]))
        meta_raw = envelope.get(1, b"")
        type_meta = dict(fields(meta_raw if isinstance(meta_raw, bytes) else b""))
        api_version = _value("string", type_meta.get(1, b""))
        kind = _value("string", type_meta.get(2, b""))
        raw = envelope.get(2, b"")
        schema = KINDS.get(kind)
        if schema is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the sandbox cannot decode protobuf {kind} bodies; send application/json",
            )
        obj = decode_message(raw if isinstance(raw, bytes) else b"", schema)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            400, "BadRequest", f"the object provided is unrecognized: protobuf decode error: {exc}"
        ) from None
    obj["apiVersion"], obj["kind"] = api_version, kind
    for port in (obj.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort")
        if isinstance(target, dict):  # IntOrString: {type, intVal, strVal} on the wire
            port["targetPort"] = (
                target.get("strVal", "") if target.get("type") == 1 else target.get("intVal", 0)
            )
    return obj
