"""Verb handlers of the API server: list, get, create, update, patch, delete, scale, logs, port-forward."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

import msgspec
import yaml
from aiohttp import web

from ktui.sandbox import protobuf, registry, tables
from ktui.sandbox.codec import copy, encode
from ktui.sandbox.errors import ApiError, bad_request, conflict, continue_expired, invalid
from ktui.sandbox.patch import APPLY, apply_patch
from ktui.sandbox.registry import ResourceType

if TYPE_CHECKING:
    from ktui.sandbox.server import ApiServer, Target


def int_param(request: web.Request, name: str) -> int | None:
    """An integer query parameter (400 when it is not one), or None."""
    value = request.query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def bool_param(request: web.Request, name: str) -> bool:
    """A boolean query parameter (``true``/``1``)."""
    return request.query.get(name, "").lower() in ("true", "1")


async def read_body(request: web.Request, t: ResourceType, *, required: bool = True) -> Any:
    """The request body as JSON (or YAML by Content-Type); 400 in the apiserver's words when it is not."""
    raw = await request.read()
    if not raw.strip():
        if required:
            raise bad_request(
                f"the object provided is unrecognized (must be of type {t.kind}): "
                "couldn't get version/kind; json parse error: unexpected end of JSON input"
            )
        return None
    ctype = request.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
    if ctype == protobuf.MEDIA_TYPE:
        return protobuf.decode(raw)
    try:
        if ctype in ("application/yaml", "application/apply-patch+yaml", "text/yaml"):
            return yaml.safe_load(raw)
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        text = str(exc).splitlines()[0][:200]
        raise bad_request(
            f"the object provided is unrecognized (must be of type {t.kind}): couldn't get "
            f"version/kind; json parse error: {text}"
        ) from None


def check_kind(t: ResourceType, body: Any) -> None:
    """400 unless ``body`` is an object of ``t``'s kind (when it names one)."""
    if not isinstance(body, dict):
        raise bad_request(
            f"the object provided is unrecognized (must be of type {t.kind}): couldn't get "
            "version/kind; json parse error: cannot unmarshal non-object into Go value"
        )
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if (kind and kind != t.kind) or (api_version and api_version != t.api_version):
        raise bad_request(
            f'{t.kind} in version "{t.version}" cannot be handled as a {t.kind}: no kind "{kind}" '
            f'is registered for version "{api_version}" in scheme "pkg/api/legacyscheme/scheme.go:30"'
        )


class Handlers:
    """One method per verb; ``server`` gives the store and the node agent."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.store = server.store

    def _view(self, t: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        return registry.event_to_v1(obj) if t.storage else obj

    def _object_response(
        self, request: web.Request, t: ResourceType, obj: dict[str, Any], status: int = 200
    ) -> web.Response:
        from ktui.sandbox.server import json_response, wants_table

        if wants_table(request):
            return json_response(
                tables.table(t.key, [obj], resource_version=obj["metadata"]["resourceVersion"]), status
            )
        if t.storage:
            return json_response(registry.event_to_v1(obj), status)
        if self.store.get(t.key, obj["metadata"].get("namespace"), obj["metadata"]["name"]) is obj:
            return json_response(self.store.encoded(obj), status)
        return json_response(obj, status)

    # ---- reads -------------------------------------------------------------------------------

    async def list(self, request: web.Request, target: Target) -> web.Response:
        """List with selectors and ``limit``/``continue`` paging (offsets by key, as etcd pages)."""
        from ktui.sandbox.server import json_response, wants_table

        t, q = target.t, request.query
        limit = int_param(request, "limit") or 0
        after = None
        if q.get("continue"):
            start_rv, after = _decode_continue(q["continue"])
            if start_rv < self.store.oldest_version:
                raise continue_expired()
        items, rv, left = self.store.page(
            t.key,
            target.namespace,
            label_selector=q.get("labelSelector"),
            field_selector=q.get("fieldSelector"),
            after=after,
            limit=limit,
        )
        cont_token = _encode_continue(rv, _key(items[-1])) if left and items else None
        remaining = left if cont_token else None
        if wants_table(request):
            return json_response(
                tables.table(t.key, items, resource_version=rv, cont=cont_token, remaining=remaining)
            )
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if cont_token:
            meta["continue"], meta["remainingItemCount"] = cont_token, remaining
        if t.storage:
            body = b",".join(encode(registry.event_to_v1(o)) for o in items)
        else:
            body = b",".join(self.store.encoded(o) for o in items)
        head = encode({"kind": t.list_kind, "apiVersion": t.api_version, "metadata": meta})
        return json_response(head[:-1] + b',"items":[' + body + b"]}")

    async def get(self, request: web.Request, target: Target) -> web.Response:
        """One object."""
        t = target.t
        if target.sub == "status" or target.sub is None:
            return self._object_response(request, t, self.server.get_or_404(target))
        raise bad_request(f"subresource {target.sub} does not support get")

    # ---- writes ------------------------------------------------------------------------------

    async def create(self, request: web.Request, target: Target) -> web.Response:
        """POST to a collection."""
        t = target.t
        body = await _read_object(request, t)
        if _dry_run(request):
            return self._object_response(request, t, body, 201)
        created = self.store.create(t.storage_key, body, namespace=target.namespace)
        return self._object_response(request, t, created, 201)

    async def update(self, request: web.Request, target: Target) -> web.Response:
        """PUT an object (or its status)."""
        t = target.t
        body = await _read_object(request, t)
        return self._object_response(request, t, self._store_update(target, body))

    def _store_update(self, target: Target, body: dict[str, Any]) -> dict[str, Any]:
        t = target.t
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if not isinstance(meta, dict):
            raise bad_request(
                f'{t.kind} in version "{t.version}" cannot be handled as a {t.kind}: json: cannot '
                f"unmarshal into Go struct field {t.kind}.metadata of type v1.ObjectMeta"
            )
        name = meta.get("name") or target.name
        if name != target.name:
            raise bad_request(
                f"the name of the object ({name}) does not match the name on the URL ({target.name})"
            )
        meta["name"] = name
        if target.namespace:
            if meta.get("namespace") and meta["namespace"] != target.namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = target.namespace
        current = self.server.get_or_404(target)
        if target.sub is None and t.has_status() and "status" in current:
            body["status"] = current["status"]  # the main resource never writes status
        return self.store.update(t.storage_key, body, subresource=target.sub)

    async def patch(self, request: web.Request, target: Target) -> web.Response:
        """PATCH with merge, strategic-merge, JSON patch or apply (create when missing)."""
        t = target.t
        ctype = request.headers.get("Content-Type", "")
        body = await read_body(request, t)
        assert target.name is not None
        current = self.store.get(t.key, target.namespace, target.name)
        if current is None and ctype.startswith(APPLY):
            check_kind(t, body)
            body.setdefault("metadata", {})["name"] = target.name
            created = self.store.create(
                t.storage_key, registry.event_from_v1(body) if t.storage else body, namespace=target.namespace
            )
            return self._object_response(request, t, created, 201)
        current = self.server.get_or_404(target)
        base = copy(self._view(t, current))
        patched = apply_patch(ctype, base, body)
        if not isinstance(patched, dict):
            raise invalid(
                t.kind, target.name, [("FieldValueInvalid", "", "patch result is not an object")], t.group
            )
        if t.storage:
            patched = registry.event_from_v1(patched)
        meta = patched.get("metadata")
        if isinstance(meta, dict):
            patch_meta = body.get("metadata") if isinstance(body, dict) else None
            if not (isinstance(patch_meta, dict) and patch_meta.get("resourceVersion")):
                meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        if _dry_run(request):
            return self._object_response(request, t, patched)
        return self._object_response(request, t, self._store_update(target, patched))

    async def delete(self, request: web.Request, target: Target) -> web.Response:
        """DELETE one object (graceful for pods when kubelets run)."""
        t = target.t
        options = await read_body(request, t, required=False) or {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be an object")
        grace = options.get("gracePeriodSeconds")
        if grace is None:
            grace = int_param(request, "gracePeriodSeconds")
        if grace is not None and not isinstance(grace, int):
            raise bad_request("gracePeriodSeconds must be an integer")
        current = self.server.get_or_404(target)
        pre = options.get("preconditions") or {}
        assert target.name is not None
        if pre.get("uid") and pre["uid"] != current["metadata"]["uid"]:
            raise conflict(
                t.plural,
                target.name,
                t.group,
                f"Precondition failed: UID in precondition: "
                f"{pre['uid']}, UID in object meta: {current['metadata']['uid']}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise conflict(t.plural, target.name, t.group)
        if _dry_run(request):
            return self._object_response(request, t, current)
        result = self.store.delete(t.storage_key, target.namespace, target.name, grace_period_seconds=grace)
        return self._object_response(request, t, result)

    async def deletecollection(self, request: web.Request, target: Target) -> web.Response:
        """DELETE a collection (with selectors): returns the deleted objects as a list."""
        from ktui.sandbox.server import json_response

        t = target.t
        items, _ = self.store.list(
            t.key,
            target.namespace,
            label_selector=request.query.get("labelSelector"),
            field_selector=request.query.get("fieldSelector"),
        )
        grace = int_param(request, "gracePeriodSeconds")
        done = []
        for obj in list(items):
            meta = obj["metadata"]
            try:
                done.append(
                    self.store.delete(
                        t.storage_key, meta.get("namespace"), meta["name"], grace_period_seconds=grace
                    )
                )
            except ApiError:
                continue  # gone meanwhile
        return json_response(
            {
                "kind": t.list_kind,
                "apiVersion": t.api_version,
                "metadata": {"resourceVersion": str(self.store.resource_version)},
                "items": [self._view(t, o) for o in done],
            }
        )

    async def scale(self, request: web.Request, target: Target) -> web.Response:
        """The ``scale`` subresource of Deployments and ReplicaSets (autoscaling/v1 Scale)."""
        from ktui.sandbox.server import json_response

        t = target.t
        current = self.server.get_or_404(target)
        if target.verb in ("update", "patch"):
            body = await read_body(request, t)
            scale = _scale(current)
            new = (
                apply_patch(request.headers.get("Content-Type", ""), scale, body)
                if target.verb == "patch"
                else body
            )
            replicas = ((new or {}).get("spec") or {}).get("replicas") if isinstance(new, dict) else None
            if not isinstance(replicas, int) or replicas < 0:
                raise invalid(
                    "Scale",
                    target.name or "",
                    [
                        (
                            "FieldValueInvalid",
                            "spec.replicas",
                            "Invalid value: must be greater than or equal to 0",
                        )
                    ],
                    "autoscaling",
                )

            def set_replicas(obj: dict[str, Any]) -> None:
                obj["spec"]["replicas"] = replicas

            assert target.name is not None
            current = self.store.mutate(t.key, target.namespace, target.name, set_replicas) or current
        elif target.verb != "get":
            raise bad_request(f"scale does not support {target.verb}")
        return json_response(_scale(current))


def _scale(obj: dict[str, Any]) -> dict[str, Any]:
    from ktui.sandbox.selectors import format_match

    meta = obj["metadata"]
    selector = format_match((obj.get("spec") or {}).get("selector"))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": "" if selector == "<none>" else selector,
        },
    }


async def _read_object(request: web.Request, t: ResourceType) -> Any:
    """The request's object, checked against ``t`` and in storage form (events.k8s.io -> core/v1)."""
    body = await read_body(request, t)
    check_kind(t, body)
    return registry.event_from_v1(body) if t.storage else body


def _dry_run(request: web.Request) -> bool:
    return "All" in request.query.getall("dryRun", [])


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return (obj["metadata"].get("namespace") or "", obj["metadata"]["name"])


def _encode_continue(rv: int, key: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None
