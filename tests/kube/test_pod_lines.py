"""Pod lines decoded with the spec skipped when unchanged give exactly the records the full decode gives."""

from __future__ import annotations

from typing import Any

import msgspec

from ktui import decode
from ktui.kube.pod_lines import PodLines
from ktui.kube.reflector import watch_event_type
from ktui.sandbox.generate import generate
from ktui.sandbox.store import Store

_full = msgspec.json.Decoder(watch_event_type("Pod"), strict=False).decode


def _line(store: Store, etype: str, obj: dict[str, Any]) -> bytes:
    return b'{"type":"' + etype.encode() + b'","object":' + store.encoded(obj) + b"}"


def _through(lines: PodLines, line: bytes, last: Any) -> Any:
    pod, mark = lines.record(lines.decode(line).object, last)
    pod = decode.compact_pod(pod, last)
    lines.held(pod, mark)
    return pod


def _restart(pod: dict[str, Any]) -> dict[str, Any]:
    statuses = pod["status"].get("containerStatuses") or []
    if not statuses:
        return {"metadata": {"annotations": {"x": "1"}}}
    first = dict(statuses[0], restartCount=statuses[0].get("restartCount", 0) + 1)
    return {"status": {"containerStatuses": [first, *statuses[1:]]}, "metadata": {"annotations": {"x": "1"}}}


def _new_image(pod: dict[str, Any]) -> dict[str, Any]:
    containers = [dict(c, image=c["image"] + "-next") for c in pod["spec"]["containers"]]
    return {"spec": {"containers": containers}}


def test_equal_to_the_full_decode_across_adds_status_and_spec_changes() -> None:
    store = Store()
    generate(store, 300, 5)
    items, _ = store.list("pods")
    keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items]
    lines = PodLines()
    held: dict[str, Any] = {}
    for obj in items:  # ADDED: nothing held yet, every spec decoded
        line = _line(store, "ADDED", obj)
        pod = _through(lines, line, None)
        assert pod == decode.compact_pod(_full(line).object)
        held[pod.metadata.uid] = pod
    assert lines.reused == 0

    for fn, reuse in ((_restart, True), (_new_image, False), (_restart, True)):
        before = lines.reused
        for new in store.mutate_many("pods", [(*k, fn) for k in keys]):
            assert new is not None
            line = _line(store, "MODIFIED", new)
            last = held[new["metadata"]["uid"]]
            pod = _through(lines, line, last)
            expected = decode.compact_pod(_full(line).object, last)
            assert pod == expected and pod.spec == expected.spec
            assert (pod.spec is last.spec) is reuse
            held[pod.metadata.uid] = pod
        assert lines.reused - before == (len(keys) if reuse else 0)


def test_no_reuse_unless_the_held_record_is_the_one_the_stream_made() -> None:
    store = Store()
    generate(store, 5, 1)
    obj = store.list("pods")[0][0]
    line = _line(store, "MODIFIED", obj)
    lines = PodLines()
    first = _through(lines, line, None)
    # a relist replaced the record: the same bytes must not reuse the other record's spec
    relisted = decode.compact_pod(_full(line).object)
    again = _through(lines, line, relisted)
    assert again.spec is relisted.spec and lines.reused == 0  # (compaction shares the equal spec)
    assert _through(lines, line, again).spec is again.spec and lines.reused == 1
    lines.clear()
    assert _through(lines, line, again) == first and lines.reused == 1
    lines.forget(first.metadata.uid)
    assert _through(lines, line, again) == first and lines.reused == 1
