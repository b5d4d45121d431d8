"""A minimal OpenAPI v3 surface: just enough for kubectl's field-validation check.

``kubectl apply``/``create`` (validate=strict) ask ``/openapi/v3`` whether the PATCH operation of a
kind accepts ``fieldValidation``; if it does, kubectl leaves validation to the server and sends
``fieldValidation=Strict``. Without this, kubectl falls back to ``/openapi/v2`` schema validation and
fails with "failed to download openapi". No schemas are served, so ``kubectl explain`` still fails.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from ktui.sandbox import registry


def _gv_path(group: str) -> str:
    return f"apis/{group}/v1" if group else "api/v1"


@cache
def group_version_doc(group: str) -> bytes:
    """The OpenAPI v3 document of one group-version (``""`` = core)."""
    paths: dict[str, Any] = {}
    for t in registry.TYPES:
        if t.group != group:
            continue
        scope = "/namespaces/{namespace}" if t.namespaced else ""
        gvk = {"group": t.group, "version": t.version, "kind": t.kind}
        params = [
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        ]
        paths[f"/{_gv_path(group)}{scope}/{t.plural}/{{name}}"] = {
            "patch": {
                "operationId": f"patch{t.kind}",
                "x-kubernetes-group-version-kind": gvk,
                "x-kubernetes-action": "patch",
                "parameters": params,
                "responses": {},
            },
        }
        paths[f"/{_gv_path(group)}{scope}/{t.plural}"] = {
            "post": {
                "operationId": f"create{t.kind}",
                "x-kubernetes-group-version-kind": gvk,
                "x-kubernetes-action": "post",
                "parameters": params,
                "responses": {},
            },
        }
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.4"},
        "paths": paths,
        "components": {},
    }
    return json.dumps(doc).encode()


@cache
def root_doc() -> bytes:
    """``/openapi/v3``: where each group-version document lives, with the content hash kubectl caches by."""
    paths = {}
    for group in ("", *registry.GROUPS):
        digest = hashlib.sha512(group_version_doc(group)).hexdigest()[:64].upper()
        paths[_gv_path(group)] = {"serverRelativeURL": f"/openapi/v3/{_gv_path(group)}?hash={digest}"}
    return json.dumps({"paths": paths}).encode()


def lookup(parts: list[str]) -> bytes | None:
    """The document for ``/openapi/v3/<parts>``, or None."""
    if not parts:
        return root_doc()
    if parts == ["api", "v1"]:
        return group_version_doc("")
    if len(parts) == 3 and parts[0] == "apis" and parts[1] in registry.GROUPS and parts[2] == "v1":
        return group_version_doc(parts[1])
    return None
