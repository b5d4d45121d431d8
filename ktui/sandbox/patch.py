"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch, JSON patch (RFC 6902).

Hand-written: the strategic flavour needs Kubernetes' merge keys, which no Python library knows,
and the other two are a few lines each.
"""

from __future__ import annotations

from typing import Any

from ktui.sandbox.errors import ApiError, bad_request

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"

# list field name -> merge key, from the API types' patchMergeKey tags (the ones kubectl apply meets)
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ports": "containerPort",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "addresses": "type",
    "taints": "key",
}
# Service ports merge on "port" (not containerPort): keyed by the path's parent
_PORT_KEY_BY_PARENT = {"spec.ports": "port"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any, path: str = "") -> Any:
    """Strategic merge: like merge patch, but lists with a merge key merge element-wise; honours $patch."""
    if not isinstance(patch, dict):
        return patch
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList: ordering hints only
        sub = f"{path}.{key}" if path else key
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and isinstance(result.get(key), list):
            merge_key = _PORT_KEY_BY_PARENT.get(sub) or MERGE_KEYS.get(key)
            result[key] = _merge_list(result[key], value, merge_key, sub) if merge_key else value
        elif isinstance(value, list):
            result[key] = [v for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
        else:
            result[key] = strategic_merge(result.get(key), value, sub)
    return result


def _merge_list(current: list[Any], patch: list[Any], key: str, path: str) -> list[Any]:
    if not all(isinstance(x, dict) for x in current + patch):
        return patch
    out = list(current)
    for item in patch:
        if item.get("$patch") == "replace":
            return [x for x in patch if x.get("$patch") != "replace"]
        idx = next((i for i, x in enumerate(out) if x.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append(strategic_merge({}, item, path))
        else:
            out[idx] = strategic_merge(out[idx], item, path)
    return out


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 operations on a copy-free JSON value (the caller passes a copy)."""
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = target
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"invalid json patch operation: {op!r}")
        kind, path = op["op"], _pointer(op["path"])
        if kind == "add":
            doc = _add(doc, path, op.get("value"))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            doc, _ = _remove(doc, path)
            doc = _add(doc, path, op.get("value"))
        elif kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = _get(doc, src)
            if kind == "move":
                doc, _ = _remove(doc, src)
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise ApiError(
                    422,
                    "Invalid",
                    f"the server rejected our request due to an error in our "
                    f"request: testing value {op['path']} failed",
                )
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc


def _pointer(text: str) -> list[str]:
    if text == "":
        return []
    if not text.startswith("/"):
        raise bad_request(f"invalid json pointer: {text!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in text[1:].split("/")]


def _parent(doc: Any, path: list[str]) -> Any:
    return _get(doc, path[:-1])


def _get(doc: Any, path: list[str]) -> Any:
    cur = doc
    for part in path:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise ApiError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our request: "
                f"path /{'/'.join(path)} does not exist",
            )
    return cur


def _add(doc: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent, last = _parent(doc, path), path[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise bad_request(f"invalid array index in json patch: {last}")
    else:
        raise bad_request("json patch path does not name a container")
    return doc


def _remove(doc: Any, path: list[str]) -> tuple[Any, Any]:
    if not path:
        return None, doc
    parent, last = _parent(doc, path), path[-1]
    if isinstance(parent, dict) and last in parent:
        return doc, parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return doc, parent.pop(int(last))
    raise ApiError(
        422,
        "Invalid",
        f"the server rejected our request due to an error in our request: "
        f"path /{'/'.join(path)} does not exist",
    )


def apply_patch(content_type: str, target: dict[str, Any], body: Any) -> Any:
    """Apply a PATCH body of the given media type to ``target`` (a copy the caller owns)."""
    media = content_type.split(";")[0].strip().lower()
    if media == MERGE:
        return merge_patch(target, body)
    if media in (STRATEGIC, APPLY):
        return strategic_merge(target, body)
    if media == JSON_PATCH:
        return json_patch(target, body)
    raise ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted "
        f"media types include: {JSON_PATCH}, {MERGE}, {STRATEGIC}, {APPLY}",
    )
