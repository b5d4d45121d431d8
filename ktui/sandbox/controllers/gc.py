"""The garbage collector: dependents whose owners are all gone are deleted (background propagation).

Also honours the ``foregroundDeletion`` and ``orphan`` finalizers kubectl sets with
``--cascade=foreground`` / ``--cascade=orphan``: dependents are deleted (or released) first, then the
finalizer is removed so the owner's deletion completes.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ktui.sandbox import registry
from ktui.sandbox.controllers.base import Controller, Key
from ktui.sandbox.controllers.objects import generated
from ktui.sandbox.errors import ApiError

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"

Ref = tuple[str, str, str]  # (storage key, namespace, name)


class GarbageCollector(Controller):
    """Deletes dependents of deleted owners; keys are ("owner", uid) or ("finalize", uid)."""

    name = "garbage-collector-controller"
    watches = tuple(t.key for t in registry.TYPES if not t.storage and t.key != "events")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._objects: dict[str, Ref] = {}  # uid -> where the object lives
        self._dependents: dict[str, set[str]] = {}  # owner uid -> dependent uids
        self._owners: dict[str, list[str]] = {}  # dependent uid -> owner uids

    def initial_keys(self) -> list[Key]:
        """Index every object; dependents of owners that do not exist are collected."""
        keys: list[Key] = []
        for resource in self.watches:
            for obj in self.store.list(resource)[0]:
                self._index(resource, obj)
        for uid, owners in self._owners.items():
            keys.extend(("owner", o) for o in owners if o not in self._objects)
            if uid in self._objects:
                keys.extend(self._finalize_keys(self._get(uid)))
        return list(dict.fromkeys(keys))

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """Track ownership; a deletion or a deletion with finalizers queues work.

        The generator's objects are left out: loaded without events, their owners were never seen
        here, and a change to one of them would otherwise collect it as an orphan.
        """
        if generated(obj):
            return []
        uid = obj["metadata"]["uid"]
        if type_ == "DELETED":
            self._unindex(uid)
            return [("owner", uid)] if self._dependents.get(uid) else []
        self._index(resource, obj)
        keys = [("owner", o) for o in self._owners.get(uid, []) if o not in self._objects]
        return keys + self._finalize_keys(obj)

    def _finalize_keys(self, obj: dict[str, Any] | None) -> list[Key]:
        if obj is None or not obj["metadata"].get("deletionTimestamp"):
            return []
        finalizers = obj["metadata"].get("finalizers") or []
        return (
            [("finalize", obj["metadata"]["uid"])] if FOREGROUND in finalizers or ORPHAN in finalizers else []
        )

    def _index(self, resource: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        uid = meta["uid"]
        self._objects[uid] = (resource, meta.get("namespace") or "", meta["name"])
        for owner in self._owners.get(uid, []):
            self._dependents.get(owner, set()).discard(uid)
        owners = [str(r["uid"]) for r in meta.get("ownerReferences") or [] if r.get("uid")]
        if owners:
            self._owners[uid] = owners
            for owner in owners:
                self._dependents.setdefault(owner, set()).add(uid)
        else:
            self._owners.pop(uid, None)

    def _unindex(self, uid: str) -> None:
        self._objects.pop(uid, None)
        for owner in self._owners.pop(uid, []):
            deps = self._dependents.get(owner)
            if deps is not None:
                deps.discard(uid)
                if not deps and owner not in self._objects:
                    del self._dependents[owner]

    def _get(self, uid: str) -> dict[str, Any] | None:
        where = self._objects.get(uid)
        if where is None:
            return None
        obj = self.store.get(where[0], where[1] or None, where[2])
        return obj if obj is not None and obj["metadata"]["uid"] == uid else None

    def reconcile(self, key: Key) -> None:
        """Collect dependents of a gone owner, or process a deletion finalizer."""
        kind, uid = key
        if kind == "owner":
            for dep in sorted(self._dependents.get(uid, set())):
                owners = self._owners.get(dep, [])
                if any(o in self._objects for o in owners):
                    continue  # another owner still holds it
                self._delete(dep)
            return
        obj = self._get(uid)
        if obj is None:
            return
        finalizers = obj["metadata"].get("finalizers") or []
        deps = sorted(self._dependents.get(uid, set()))
        if ORPHAN in finalizers:
            for dep in deps:
                self._release(dep, uid)
            self._remove_finalizer(obj, ORPHAN)
        elif FOREGROUND in finalizers:
            live = [d for d in deps if d in self._objects]
            for dep in live:
                self._delete(dep)
            if not any(d in self._objects for d in deps):
                self._remove_finalizer(obj, FOREGROUND)
            else:
                self.enqueue_after(key, 1.0)

    def _delete(self, uid: str) -> None:
        where = self._objects.get(uid)
        if where is None:
            return
        current = self.store.get(where[0], where[1] or None, where[2])
        if current is None or current["metadata"].get("deletionTimestamp"):
            return
        with contextlib.suppress(ApiError):
            self.store.delete(where[0], where[1] or None, where[2])

    def _release(self, uid: str, owner: str) -> None:
        where = self._objects.get(uid)
        if where is None:
            return

        def drop(obj: dict[str, Any]) -> None:
            refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != owner]
            obj["metadata"]["ownerReferences"] = refs
            if not refs:
                del obj["metadata"]["ownerReferences"]

        self.store.mutate(where[0], where[1] or None, where[2], drop)

    def _remove_finalizer(self, obj: dict[str, Any], finalizer: str) -> None:
        where = self._objects[obj["metadata"]["uid"]]

        def drop(o: dict[str, Any]) -> None:
            o["metadata"]["finalizers"] = [f for f in o["metadata"].get("finalizers") or [] if f != finalizer]

        self.store.mutate(where[0], where[1] or None, where[2], drop)
