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
from typing import Any

import msgspec
from msgspec.structs import replace

from ktui.resources.pods import Pod, Volume

_encode = msgspec.msgpack.Encoder().encode
_intern = sys.intern


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

    def __call__(self, pod: Pod) -> Pod:
        """An equal pod whose repeated parts are shared with the pods seen before."""
        share = self.share
        meta, spec, status = pod.metadata, pod.spec, pod.status
        meta = replace(
            meta, namespace=_intern(meta.namespace), labels=share.strings(meta.labels),
            annotations=share.strings(meta.annotations), owner_references=share(meta.owner_references),
        )
        if spec.containers or spec.volumes:
            node = spec.node_name
            spec = replace(
                spec, containers=share(spec.containers), init_containers=share(spec.init_containers),
                node_name=_intern(node) if node else node, volumes=share(_checked(spec.volumes)),
                service_account_name=_intern(spec.service_account_name) if spec.service_account_name else None,
                node_selector=share.strings(spec.node_selector), affinity=share(spec.affinity),
                image_pull_secrets=share(spec.image_pull_secrets),
            )
        if status.conditions or status.container_statuses:
            phase = status.phase
            status = replace(
                status, phase=_intern(phase) if phase else phase, conditions=share(status.conditions),
                container_statuses=tuple(share(cs) for cs in status.container_statuses),
                init_container_statuses=share(status.init_container_statuses),
            )
        return Pod(metadata=meta, spec=spec, status=status, kind=pod.kind)



def _checked(volumes: tuple[Volume, ...]) -> tuple[Volume, ...]:
    """The volumes whose source a rule reads (ConfigMap, Secret, claim); the token volume goes."""
    kept = tuple(v for v in volumes if v.config_map or v.secret or v.persistent_volume_claim)
    return volumes if len(kept) == len(volumes) else kept
