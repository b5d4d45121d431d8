"""The object store: CRUD over one global resourceVersion, uids, timestamps and deletion semantics.

Runs on the sandbox's loop thread only (no locks). Stored objects are never mutated in place: every
change stores a new dict, so readers, the change history and the encoded-bytes caches can share them.
``mutate`` hands its callback a deep copy; ``mutate_many`` (the load drivers' fast path) takes merge
patches and builds each new version sharing every part it leaves alone with the previous one, which
is safe for the same reason. The history and its fan-out live in ``changes.py``; admitting new
objects in ``creation.py``.
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from ktui.sandbox import registry
from ktui.sandbox.changes import Change, ChangeLog, Listener
from ktui.sandbox.clock import SimClock
from ktui.sandbox.codec import SpecCache, copy, encode, merged
from ktui.sandbox.creation import Creator, Objects
from ktui.sandbox.defaults import check_shape, normalize, validate
from ktui.sandbox.errors import ApiError, conflict, invalid, not_found
from ktui.sandbox.registry import ResourceType
from ktui.sandbox.selectors import fields_match, labels_match, parse_fields, parse_labels

__all__ = ["Change", "Edit", "Listener", "Store", "copy", "encode"]  # older import paths of some names

Edit = tuple["str | None", str, Callable[[dict[str, Any]], "dict[str, Any] | None"]]
"""``(namespace, name, fn)`` for ``Store.mutate_many``: ``fn(current)`` returns a merge patch or None."""


class Store:
    """All objects of the sandbox, by resource key, namespace and name."""

    def __init__(self, clock: SimClock | None = None, *, history: int = 50_000, start_rv: int = 1000) -> None:
        self.clock = clock or SimClock()
        self.resource_version = start_rv
        self.graceful_pod_deletion = False
        self._data: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}  # storage -> ns -> name -> obj
        self._changes = ChangeLog(history, start_rv)
        self._encoded: dict[int, tuple[dict[str, Any], bytes]] = {}
        self.specs = SpecCache()  # encodes stored objects without re-walking a spec they share
        self._creator = Creator(self.clock, self._space, self.get)

    # ---- reads ---------------------------------------------------------------------------------

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The stored object or None (do not mutate the result)."""
        t = registry.get(resource)
        return self._space(t, namespace or "" if t.namespaced else "").get(name)

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """Matching objects sorted by namespace and name, and the current resourceVersion."""
        items, rv, _ = self.page(
            resource, namespace, label_selector=label_selector, field_selector=field_selector
        )
        return items, rv

    def page(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 0,
    ) -> tuple[builtins.list[dict[str, Any]], int, int]:
        """One page of ``list``: at most ``limit`` (0: all) matches after the key ``after`` (namespace,
        name), the current resourceVersion, and how many more match after the page.

        As etcd pages by key: a page costs its own size (plus counting the rest), not a scan and
        sort of the whole list, so a paged LIST of N objects is not quadratic in N.
        """
        t = registry.get(resource)
        labels = parse_labels(label_selector)
        fields = parse_fields(field_selector, t.key)
        filtered = bool(labels or fields)
        bucket = self._bucket(t)
        if namespace and t.namespaced:
            spaces = [(namespace, bucket.get(namespace, {}))]
        else:
            spaces = [(ns, bucket[ns]) for ns in sorted(bucket)]
        items: builtins.list[dict[str, Any]] = []
        remaining = 0
        for ns, space in spaces:
            if after is not None and ns < after[0]:
                continue
            if limit and len(items) >= limit and not filtered:
                remaining += len(space)  # past the page: only counted, never sorted
                continue
            names = sorted(space)
            if after is not None and ns == after[0]:
                names = names[bisect.bisect_right(names, after[1]):]
            for i, name in enumerate(names):
                obj = space[name]
                if labels and not labels_match(labels, obj["metadata"].get("labels")):
                    continue
                if fields and not fields_match(fields, obj):
                    continue
                if limit and len(items) >= limit:
                    if not filtered:
                        remaining += len(names) - i
                        break
                    remaining += 1
                else:
                    items.append(obj)
        return items, self.resource_version, remaining

    def count(self, resource: str) -> int:
        """How many objects of ``resource`` are stored."""
        return sum(len(space) for space in self._bucket(registry.get(resource)).values())

    def encoded(self, obj: dict[str, Any]) -> bytes:
        """JSON bytes of a stored object, encoded once per version."""
        hit = self._encoded.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        data = self.specs.encode(obj)
        self._encoded[id(obj)] = (obj, data)
        return data

    # ---- writes --------------------------------------------------------------------------------

    def create(self, resource: str, obj: dict[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
        """Store a new object (defaults, uid, rv, timestamps); 409/422/404 as the apiserver."""
        t = registry.get(resource)
        new = self._creator.prepare(t, obj, namespace)
        self._commit("ADDED", t, new, None)
        return new

    def bulk_create(
        self,
        resource: str,
        objs: Iterable[dict[str, Any]],
        *,
        namespace: str | None = None,
        notify: bool = True,
        keep_creation_time: bool = False,
        keep: tuple[str, ...] = (),
    ) -> int:
        """Create many objects fast (generator, scenarios); same checks, one listener call each.

        The objects are taken, not copied. ``keep`` names metadata fields kept as given instead of
        being set by the server (``creationTimestamp``, ``uid``, ``managedFields``: loading objects
        that existed before); ``keep_creation_time`` is the older spelling of the first.
        """
        t = registry.get(resource)
        if keep_creation_time:
            keep = (*keep, "creationTimestamp")
        n = 0
        for obj in objs:
            meta = obj.get("metadata")
            saved = {k: meta[k] for k in keep if meta.get(k)} if keep and isinstance(meta, dict) else None
            new = self._creator.prepare(t, obj, namespace, copied=True)
            if saved:
                new["metadata"].update(saved)
            if notify:
                self._commit("ADDED", t, new, None)
            else:
                self.resource_version += 1
                new["metadata"]["resourceVersion"] = str(self.resource_version)
                self._put(t, new)
            n += 1
        if not notify:
            self._changes.floor = self.resource_version  # history skipped: older watch starts are gone
        return n

    def update(self, resource: str, obj: dict[str, Any], *, subresource: str | None = None) -> dict[str, Any]:
        """Replace an object (PUT); 409 on a stale resourceVersion; ``status`` replaces only the status."""
        t = registry.get(resource)
        check_shape(t, obj)
        meta = obj.get("metadata") or {}
        name, ns = meta.get("name"), (meta.get("namespace") or "default") if t.namespaced else ""
        if not name:
            raise invalid(
                t.kind,
                "",
                [("FieldValueRequired", "metadata.name", "Required value: name is required")],
                t.group,
            )
        current = self.get(t.key, ns, name)
        if current is None:
            raise not_found(t.plural, name, t.group)
        rv = meta.get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(t.plural, name, t.group)
        if subresource == "status":
            new = copy(current)
            new["status"] = copy(obj.get("status") or {})
        else:
            new = copy(obj)
            new.setdefault("metadata", {})
            for keep in (
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            ):
                if keep in current["metadata"]:
                    new["metadata"][keep] = current["metadata"][keep]
                else:
                    new["metadata"].pop(keep, None)
            new["metadata"]["namespace"] = current["metadata"].get("namespace")
            if not t.namespaced:
                new["metadata"].pop("namespace", None)
            new["kind"], new["apiVersion"] = current["kind"], current["apiVersion"]
            normalize(t, new)
            validate(t, new)
        return self._replace(t, current, new)

    def mutate(
        self, resource: str, namespace: str | None, name: str, fn: Callable[[dict[str, Any]], bool | None]
    ) -> dict[str, Any] | None:
        """Apply ``fn`` to a copy and store it (False from ``fn`` = no change); None if missing."""
        t = registry.get(resource)
        current = self.get(t.key, namespace, name)
        if current is None:
            return None
        new = copy(current)
        if fn(new) is False:
            return current
        new["metadata"]["uid"] = current["metadata"]["uid"]
        new["metadata"]["name"], new["metadata"]["namespace"] = name, current["metadata"].get("namespace")
        if not t.namespaced:
            new["metadata"].pop("namespace", None)
        return self._replace(t, current, new)

    def mutate_many(self, resource: str, edits: Iterable[Edit]) -> builtins.list[dict[str, Any] | None]:
        """Apply many edits, each ``fn(current) -> merge patch`` (None/{} = no change); the fast write path.

        ``fn`` must not change ``current``: it returns a JSON merge patch (RFC 7386) and the store builds
        the new version sharing every part the patch leaves alone (``codec.merged``), so a change costs
        the copied path, not the object. Each object gets its own resourceVersion and MODIFIED event, in
        order; uid, name and namespace cannot be patched. Returns the stored objects (None if missing).
        """
        t = registry.get(resource)
        bucket = self._bucket(t)
        out: builtins.list[dict[str, Any] | None] = []
        for namespace, name, fn in edits:
            current = bucket.get(namespace or "" if t.namespaced else "", {}).get(name)
            if current is None:
                out.append(None)
                continue
            patch = fn(current)
            if not patch:
                out.append(current)
                continue
            new = merged(current, patch)
            old_meta = current["metadata"]
            meta = new.get("metadata")
            if meta is old_meta or not isinstance(meta, dict):  # the new resourceVersion goes in there
                meta = new["metadata"] = dict(old_meta)
            meta["uid"], meta["name"] = old_meta["uid"], name
            if t.namespaced:
                meta["namespace"] = old_meta.get("namespace")
            out.append(self._replace(t, current, new))
        return out

    def delete(
        self, resource: str, namespace: str | None, name: str, *, grace_period_seconds: int | None = None
    ) -> dict[str, Any]:
        """Delete: graceful for pods on a node when kubelets run, via finalizers if set, else now."""
        t = registry.get(resource)
        current = self.get(t.key, namespace, name)
        if current is None:
            raise not_found(t.plural, name, t.group)
        meta = current["metadata"]
        if t.key == "namespaces":
            return self._delete_namespace(current)
        graceful = (
            t.key == "pods"
            and self.graceful_pod_deletion
            and (current.get("spec") or {}).get("nodeName")
            and grace_period_seconds != 0
            and (current.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        )
        if graceful or meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return current
            grace = grace_period_seconds
            if grace is None:
                grace = (
                    (current.get("spec") or {}).get("terminationGracePeriodSeconds", 30) if graceful else 0
                )
            stamp = (self.clock.now() + timedelta(seconds=grace or 0)).strftime("%Y-%m-%dT%H:%M:%SZ")

            def mark(obj: dict[str, Any]) -> None:
                obj["metadata"]["deletionTimestamp"] = stamp
                obj["metadata"]["deletionGracePeriodSeconds"] = grace

            marked = self.mutate(t.key, namespace, name, mark)
            assert marked is not None
            return marked
        removed = self.remove(t.key, namespace, name)
        assert removed is not None
        return removed

    def remove(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """Remove now (DELETED event with a new resourceVersion); None if missing."""
        t = registry.get(resource)
        current = self.get(t.key, namespace, name)
        if current is None:
            return None
        final = copy(current)
        self.resource_version += 1
        final["metadata"]["resourceVersion"] = str(self.resource_version)
        space = self._bucket(t)[current["metadata"].get("namespace") or ""]
        del space[name]
        self._record("DELETED", t, final, current)
        ns = current["metadata"].get("namespace")
        if ns and t.key == "pods":
            self._maybe_finish_namespace(ns)
        return final

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        """Call ``fn(type, resource, obj, old)`` after each change; returns the unsubscribe function."""
        return self._changes.subscribe(fn)

    def watch_changes(self, fn: Callable[[Change], None]) -> Callable[[], None]:
        """Like ``subscribe``, but ``fn`` gets the ``Change`` and its shared encodings (watch fan-out)."""
        return self._changes.watch_changes(fn)

    # ---- watch history -------------------------------------------------------------------------

    def changes_since(self, rv: int) -> builtins.list[Change]:
        """Changes after ``rv``, oldest first; 410 Expired if the history no longer reaches back that far."""
        return self._changes.since(rv, self.resource_version)

    @property
    def oldest_version(self) -> int:
        """The oldest resourceVersion a watch (or a continue token) may still start from."""
        return self._changes.floor

    def compact(self) -> None:
        """Forget the change history (tests: the next watch from an older rv gets 410)."""
        self._changes.compact(self.resource_version)

    # ---- internals -----------------------------------------------------------------------------

    def _bucket(self, t: ResourceType) -> dict[str, Objects]:
        return self._data.setdefault(t.storage_key, {})

    def _space(self, t: ResourceType, ns: str) -> Objects:
        return self._bucket(t).get(ns, {})

    def _replace(self, t: ResourceType, current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        spec, old_spec = new.get("spec"), current.get("spec")
        if "generation" in current["metadata"] and spec is not old_spec and spec != old_spec:
            new["metadata"]["generation"] = current["metadata"]["generation"] + 1
        meta = new["metadata"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and current["metadata"].get("finalizers")
        ):
            # the last finalizer went away: the deletion completes
            self._put(t, new)
            removed = self.remove(t.key, meta.get("namespace"), meta["name"])
            assert removed is not None
            return removed
        self._commit("MODIFIED", t, new, current)
        return new

    def _put(self, t: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._bucket(t).setdefault(meta.get("namespace") or "", {})[meta["name"]] = obj

    def _commit(self, type_: str, t: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        self.resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self.resource_version)
        self._put(t, obj)
        if old is not None:
            self._encoded.pop(id(old), None)
        self._record(type_, t, obj, old)

    def _record(self, type_: str, t: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        if type_ == "DELETED" and old is not None:
            self._encoded.pop(id(old), None)
        self._changes.record(self.resource_version, type_, t.storage_key, obj, old)

    def _delete_namespace(self, current: dict[str, Any]) -> dict[str, Any]:
        name = current["metadata"]["name"]
        if not current["metadata"].get("deletionTimestamp"):

            def terminate(obj: dict[str, Any]) -> None:
                obj["metadata"]["deletionTimestamp"] = self.clock.stamp()
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
                obj.setdefault("status", {})["phase"] = "Terminating"

            marked = self.mutate("namespaces", None, name, terminate)
            assert marked is not None
            current = marked
        for t in registry.TYPES:
            if not t.namespaced or t.storage:
                continue
            for obj_name in list(self._space(t, name)):
                with contextlib.suppress(ApiError):  # gone meanwhile (a cascade got it first)
                    self.delete(t.key, name, obj_name)
        return self._maybe_finish_namespace(name) or current

    def _maybe_finish_namespace(self, ns: str) -> dict[str, Any] | None:
        space = self.get("namespaces", None, ns)
        if space is None or not space["metadata"].get("deletionTimestamp"):
            return None
        if any(self._bucket(t).get(ns) for t in registry.TYPES if t.namespaced and not t.storage):
            return None
        return self.remove("namespaces", None, ns)
