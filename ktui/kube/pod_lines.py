"""Pod watch lines -> pod records, decoding a pod's spec only when its bytes changed.

A watch event carries the whole pod (~6 KB), but a running pod's spec (~3 KB, half the decode
time: containers, env, probes, volumes) almost never changes; its status does. Each line is decoded
with the spec left as raw bytes; the spec is decoded only if those bytes differ from the ones the
pod's current record was made from, else that record's spec object is reused as it is (which also
spares the compactor comparing two equal specs field by field). Only a fingerprint of the bytes is
kept per pod (Python's 64-bit ``hash`` of the bytes, with their length), not the bytes (3 KB a pod
would break the memory budget): two different specs of one pod with equal length and equal hash
would be taken as the same, a 2^-64 chance per changed spec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from ktui import resources as r
from ktui.resources.meta import K8s

_NO_SPEC = msgspec.Raw(b"{}")


class PodWire(K8s, frozen=True, kw_only=True):
    """A pod as sent, its spec not yet decoded (the same fields as ``resources.Pod``)."""

    metadata: r.ObjectMeta = r.ObjectMeta()
    spec: msgspec.Raw = _NO_SPEC
    status: r.PodStatus = r.PodStatus()
    kind: str = "Pod"


PodWatchEvent = msgspec.defstruct("PodWatchEvent", [("type", str), ("object", PodWire)], gc=False)
"""A pod watch line: ``{"type": ..., "object": <pod>}``."""


class _Seen(msgspec.Struct, gc=False):
    """Which spec bytes (length and hash) a pod's held record was made from, and its spec object.

    A Struct the collector does not track, not a tuple: a storm's first event for each of 20k pods
    adds one, and 20k tracked survivors would set off ~4 young collections, each walking whatever
    whole-cluster sequences are young at that moment.
    """

    size: int
    digest: int
    spec: r.PodSpec


class PodLines:
    """One pod watch stream's decoder; remembers which spec bytes each pod's current record holds."""

    def __init__(self) -> None:
        decoder = msgspec.json.Decoder(PodWatchEvent, strict=False)
        self.decode: Callable[[bytes | memoryview], Any] = decoder.decode
        """line -> PodWatchEvent (msgspec.DecodeError / ValidationError as the typed decoder)."""
        self._spec = msgspec.json.Decoder(r.PodSpec, strict=False).decode
        # uid -> the fingerprint of the spec bytes and the spec object decoded from them
        self._seen: dict[str, _Seen] = {}
        self.reused = 0
        """How many events took their spec from the current record (for tests and profiling)."""

    def record(self, wire: Any, last: r.Pod | None) -> tuple[r.Pod, tuple[int, int]]:
        """The pod record of a decoded line, and its spec's fingerprint (for ``held``).

        ``last``: the record held now for the pod's uid, if any.
        """
        raw = bytes(wire.spec)
        mark = (len(raw), hash(raw))
        uid = wire.metadata.uid
        seen = self._seen.get(uid) if uid and last is not None else None
        if (
            seen is not None and last is not None and seen.spec is last.spec
            and seen.size == mark[0] and seen.digest == mark[1]
        ):
            spec = last.spec
            self.reused += 1
        else:
            spec = self._spec(raw)
        return r.Pod(metadata=wire.metadata, spec=spec, status=wire.status, kind=wire.kind), mark

    def held(self, pod: r.Pod, mark: tuple[int, int]) -> None:
        """``pod`` (made by ``record`` with this ``mark``, then compacted) is the record held for its uid."""
        uid = pod.metadata.uid
        if uid:
            self._seen[uid] = _Seen(mark[0], mark[1], pod.spec)

    def forget(self, uid: str) -> None:
        """The pod was deleted."""
        self._seen.pop(uid, None)

    def clear(self) -> None:
        """After a relist: no record is known to come from this stream any more."""
        self._seen.clear()
