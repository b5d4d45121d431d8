"""What the pod watch decoder remembers per pod stays out of the cyclic collector's young generation.

A storm's first event for each of 20k pods adds one memory of which spec bytes its record was made
from; as tracked tuples those survivors set off young collections (each walking whatever
whole-cluster sequences are young then). They must be untracked and still give the reuse they exist for.
"""

from __future__ import annotations

import gc
from typing import Any

from ktui import decode
from ktui import resources as r
from ktui.kube.pod_lines import PodLines
from ktui.sandbox.generate import generate
from ktui.sandbox.store import Store


def _line(store: Store, obj: dict[str, Any]) -> bytes:
    return b'{"type":"MODIFIED","object":' + store.encoded(obj) + b"}"


def _bump(pod: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"annotations": {"sent": str(pod["metadata"].get("resourceVersion"))}}}


def test_remembered_specs_are_untracked_and_reused() -> None:
    store = Store()
    generate(store, 200, 4)
    items, _ = store.list("pods")
    listed: dict[str, Any] = {}
    for o in items:  # the records a list left in the store (decoded and compacted)
        record = decode.decode_typed("Pod", o)
        assert isinstance(record, r.Pod)
        listed[o["metadata"]["uid"]] = decode.compact_pod(record)
    lines = PodLines()

    def through(obj: dict[str, Any]) -> Any:
        uid = obj["metadata"]["uid"]
        pod, mark = lines.record(lines.decode(_line(store, obj)).object, listed[uid])
        pod = decode.compact_pod(pod, listed[uid])
        lines.held(pod, mark)
        listed[uid] = pod
        return pod

    keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items]
    enabled = gc.isenabled()
    gc.disable()  # no collection may untrack anything behind the test's back
    try:
        for obj in store.mutate_many("pods", [(*k, _bump) for k in keys]):
            assert obj is not None
            through(obj)
        # one remembered spec per pod, not tracked by the collector (a tuple would be until a pass)
        assert len(lines._seen) == len(items)
        assert not any(gc.is_tracked(seen) for seen in lines._seen.values())
    finally:
        if enabled:
            gc.enable()
    # and the memory is what lets the next event of each pod skip decoding its unchanged spec
    assert lines.reused == 0
    for obj in store.mutate_many("pods", [(*k, _bump) for k in keys]):
        assert obj is not None
        held = listed[obj["metadata"]["uid"]]
        assert through(obj).spec is held.spec
    assert lines.reused == len(items)
