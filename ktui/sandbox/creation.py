"""What the apiserver does to a new object before storing it: namespace, name, uid, stamps, defaults."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from ktui.sandbox import registry
from ktui.sandbox.clock import SimClock
from ktui.sandbox.codec import copy
from ktui.sandbox.defaults import Defaulter, check_shape, normalize, validate, validate_name
from ktui.sandbox.errors import ApiError, already_exists, bad_request, invalid, not_found
from ktui.sandbox.registry import ResourceType

ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand: no vowels, no confusables

Objects = dict[str, dict[str, Any]]  # name -> object, of one namespace


class Creator:
    """Admits new objects for a store: ``space(t, ns)`` gives the stored objects of one namespace."""

    def __init__(
        self,
        clock: SimClock,
        space: Callable[[ResourceType, str], Objects],
        get: Callable[[str, str | None, str], dict[str, Any] | None],
    ) -> None:
        self.clock, self._space, self._get = clock, space, get
        self._defaulter = Defaulter()

    def prepare(
        self, t: ResourceType, obj: dict[str, Any], namespace: str | None, *, copied: bool = False
    ) -> dict[str, Any]:
        """A new object ready to store (no resourceVersion yet); 400/403/404/409/422 as the apiserver."""
        check_shape(t, obj)
        try:
            new = obj if copied else copy(obj)
        except (TypeError, msgspec.EncodeError) as exc:
            raise bad_request(f"object is not JSON: {exc}") from None
        meta = new.setdefault("metadata", {})
        if t.storage_key != t.key:
            t = registry.get(t.storage_key)
        ns = ""
        if t.namespaced:
            ns = namespace or meta.get("namespace") or "default"
            self._check_namespace(t, meta, namespace, ns)
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = self._generate_name(t, ns, meta["generateName"])
            else:
                raise invalid(
                    t.kind,
                    "",
                    [
                        (
                            "FieldValueRequired",
                            "metadata.name",
                            "Required value: name or generateName is required",
                        )
                    ],
                    t.group,
                )
        validate_name(t, meta["name"])
        if self._space(t, ns).get(meta["name"]) is not None:
            raise already_exists(t.plural, meta["name"], t.group)
        new["kind"], new["apiVersion"] = t.kind, t.api_version
        for drop in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"):
            meta.pop(drop, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.clock.stamp()
        if t.key != "events":
            meta["generation"] = 1
        normalize(t, new)
        self._defaulter.apply(t, new)
        validate(t, new)
        return new

    def _check_namespace(self, t: ResourceType, meta: dict[str, Any], namespace: str | None, ns: str) -> None:
        if namespace and meta.get("namespace") and meta["namespace"] != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        space = self._get("namespaces", None, ns)
        if space is None:
            raise not_found("namespaces", ns)
        if space["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f'{registry.get(t.key).plural} "{meta.get("name", "")}" is '
                f"forbidden: unable to create new content in namespace {ns} because it is being "
                "terminated",
                {"name": meta.get("name", ""), "kind": t.plural},
            )

    def _generate_name(self, t: ResourceType, ns: str, prefix: str) -> str:
        space = self._space(t, ns)
        while True:
            name = prefix + "".join(ALNUM[b % len(ALNUM)] for b in uuid.uuid4().bytes[:5])
            if name not in space:
                return name
