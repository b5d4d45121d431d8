"""The sandbox's fast paths for load drivers: sharing writes, shared watch encodings, the generator.

Behaviour only: speed is measured by ``bench/sandbox_rate.py``, not here.
"""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
from kubernetes import client, config

from ktui.sandbox import changes, registry
from ktui.sandbox.codec import SpecCache, encode, merged
from ktui.sandbox.errors import ApiError
from ktui.sandbox.generate import generate
from ktui.sandbox.store import Store
from ktui.sandbox.watch import Renderer

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def _store_with_pods(n: int = 3) -> Store:
    store = Store()
    store.create("namespaces", {"metadata": {"name": "default"}})
    for i in range(n):
        store.create(
            "pods",
            {
                "metadata": {"name": f"p{i}", "annotations": {"a": "1"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                "status": {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": 0}]},
            },
        )
    return store


def _bump(pod: dict[str, Any]) -> dict[str, Any]:
    first = dict(pod["status"]["containerStatuses"][0])
    first["restartCount"] += 1
    return {"metadata": {"annotations": {"stamp": "x"}}, "status": {"containerStatuses": [first]}}


def test_merged_applies_a_merge_patch_and_shares_the_rest() -> None:
    obj: dict[str, Any] = {
        "metadata": {"name": "a", "labels": {"x": "1", "y": "2"}},
        "spec": {"c": [1, 2]},
        "n": 1,
    }
    before = encode(obj)
    out = merged(obj, {"metadata": {"labels": {"x": None, "z": "3"}}, "n": None, "new": {"k": None, "v": 1}})
    assert out == {
        "metadata": {"name": "a", "labels": {"y": "2", "z": "3"}},
        "spec": {"c": [1, 2]},
        "new": {"v": 1},
    }
    assert encode(obj) == before  # the original is untouched
    assert out["spec"] is obj["spec"]  # untouched parts are shared, not copied
    assert (
        out["metadata"] is not obj["metadata"] and out["metadata"]["labels"] is not obj["metadata"]["labels"]
    )


def test_mutate_many_gives_each_object_its_own_version_in_order() -> None:
    store = _store_with_pods(3)
    seen: list[tuple[str, str, int, int]] = []

    def watch(change: changes.Change) -> None:
        seen.append(
            (
                change.type,
                change.obj["metadata"]["name"],
                change.rv,
                int(change.obj["metadata"]["resourceVersion"]),
            )
        )

    store.watch_changes(watch)
    olds: list[Any] = [store.get("pods", "default", f"p{i}") for i in range(3)]
    old_bytes = [encode(o) for o in olds]
    start = store.resource_version
    out = store.mutate_many(
        "pods",
        [
            ("default", "p0", _bump),
            ("default", "missing", _bump),
            ("default", "p2", _bump),
            ("default", "p0", _bump),
        ],
    )
    assert out[1] is None
    assert [t for t, *_ in seen] == ["MODIFIED"] * 3
    assert [name for _, name, *_ in seen] == ["p0", "p2", "p0"]
    assert [rv for *_, rv, _ in seen] == [start + 1, start + 2, start + 3]
    assert all(rv == stamped for *_, rv, stamped in seen)
    assert [encode(o) for o in olds] == old_bytes  # versions handed out earlier never change
    p0 = store.get("pods", "default", "p0")
    assert p0 is not None and p0 is out[3]
    assert p0["status"]["containerStatuses"][0]["restartCount"] == 2
    assert p0["metadata"]["annotations"] == {"a": "1", "stamp": "x"}
    assert p0["spec"] is olds[0]["spec"]  # spec untouched: shared with the previous version
    assert p0["metadata"]["generation"] == olds[0]["metadata"]["generation"]
    assert [c.rv for c in store.changes_since(start)] == [start + 1, start + 2, start + 3]


def test_mutate_many_keeps_identity_and_rules() -> None:
    store = _store_with_pods(1)
    old = store.get("pods", "default", "p0")
    assert old is not None
    rv = store.resource_version
    # no patch: no new version
    assert store.mutate_many("pods", [("default", "p0", lambda p: None)]) == [old]
    assert store.resource_version == rv
    patch = {"metadata": {"name": "other", "uid": "forged", "namespace": "x"}, "spec": {"nodeName": "n1"}}
    new = store.mutate_many("pods", [("default", "p0", lambda p: patch)])[0]
    assert new is not None
    meta = new["metadata"]
    assert (meta["name"], meta["namespace"], meta["uid"]) == ("p0", "default", old["metadata"]["uid"])
    assert meta["generation"] == old["metadata"]["generation"] + 1  # spec changed
    assert store.get("pods", "x", "other") is None
    store.compact()
    with pytest.raises(ApiError) as err:
        store.changes_since(rv)
    assert err.value.code == 410


def test_warm_changes_keep_encodings_and_cold_ones_drop_them() -> None:
    log = changes.ChangeLog(history=changes.WARM * 2, start_rv=0)
    for rv in range(1, changes.WARM + 11):
        log.record(rv, "MODIFIED", "pods", {"metadata": {}}, None)
    history = log.since(0, changes.WARM + 10)
    assert all(c.cache is None for c in history[:10]) and all(c.cache == {} for c in history[10:])


def test_spec_cache_gives_the_same_bytes_as_a_plain_encode() -> None:
    store = Store()
    generate(store, 40, 2)
    cache = SpecCache(limit=10)
    pods, _ = store.list("pods")
    for pod in pods * 2:  # second round: spec bytes reused (and some forgotten: limit 10)
        assert cache.encode(pod) == encode(pod)
    bumped = store.mutate_many(
        "pods", [(p["metadata"]["namespace"], p["metadata"]["name"], _bump) for p in pods]
    )
    for new in bumped:
        assert new is not None and cache.encode(new) == encode(new)


def test_renderer_table_rows_match_the_table_printer() -> None:
    from datetime import UTC, datetime

    from ktui.sandbox import tables

    store = Store()
    generate(store, 30, 1)
    render = Renderer(registry.get("pods"), store, table=True)
    for pod in store.list("pods")[0]:
        line = json.loads(render.line("MODIFIED", pod))
        assert line["type"] == "MODIFIED"
        assert line["object"]["rows"] == [json.loads(encode(tables.row("pods", pod, datetime.now(UTC))))]


class _Watch:
    """One raw watch over HTTP: lines read as they come, with a deadline."""

    def __init__(
        self,
        url: str,
        rv: int,
        accept: str = "application/json",
        *,
        ns: str = "default",
        timeout: int | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        path = f"/api/v1/namespaces/{ns}/pods?watch=1&resourceVersion={rv}"
        if timeout is not None:
            path += f"&timeoutSeconds={timeout}"
        self.conn.request("GET", path, headers={"Accept": accept})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        self.buf = b""

    def lines(self, n: int, deadline: float = 10.0) -> list[bytes]:
        end = time.monotonic() + deadline
        while self.buf.count(b"\n") < n and time.monotonic() < end:
            data = self.resp.read1(1 << 16)
            if not data:
                break
            self.buf += data
        out = self.buf.split(b"\n")
        return out[:n]

    def rest(self, deadline: float = 10.0) -> bytes:
        """Everything until the server ends the stream."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            data = self.resp.read1(1 << 16)
            if not data:
                return self.buf
            self.buf += data
        raise AssertionError("the watch did not end")

    def close(self) -> None:
        self.conn.close()


def test_watchers_of_one_view_get_the_same_bytes_encoded_once(sandbox_factory: Any) -> None:
    sb = sandbox_factory("empty", simulate=False)
    sb.call(lambda: generate(sb.store, 20, 1, prefix="w"))
    names = sb.call(lambda: [p["metadata"]["name"] for p in sb.store.list("pods", "w-0")[0]])
    rv = sb.store.resource_version
    watches = [
        _Watch(sb.url, rv, accept, ns="w-0") for accept in ("application/json", "application/json", TABLE)
    ]
    try:
        sb.call(lambda: sb.store.mutate_many("pods", [("w-0", n, _bump) for n in names]))
        json_a, json_b, table = (w.lines(len(names)) for w in watches)
        assert json_a == json_b and len(json_a) == len(names)  # identical bytes for one view
        events = [json.loads(line) for line in json_a]
        assert [e["object"]["metadata"]["name"] for e in events] == names
        assert {e["type"] for e in events} == {"MODIFIED"}
        rows = [json.loads(line) for line in table]
        assert [r["object"]["kind"] for r in rows] == ["Table"] * len(names)

        def cached() -> list[tuple[list[str], bool]]:
            out: list[tuple[list[str], bool]] = []
            for change in sb.store.changes_since(rv):
                views = change.cache or {}
                line = views.get("json:pods:MODIFIED")
                out.append((sorted(views), line == json_a[len(out)] + b"\n"))
            return out

        views = ["json:pods:MODIFIED", "metadata", "table:pods:MODIFIED"]  # metadata: encoded once for both
        assert sb.call(cached) == [(views, True)] * len(names)
    finally:
        for w in watches:
            w.close()


def test_a_busy_watch_still_ends_at_its_timeout(sandbox_factory: Any) -> None:
    sb = sandbox_factory("empty", simulate=False)
    sb.apply_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p0}\nspec: {containers: [{name: c, image: nginx}]}\n"
    )
    w = _Watch(sb.url, sb.store.resource_version, timeout=1)
    started = time.monotonic()
    stop = started + 8

    def note(pod: dict[str, Any]) -> dict[str, Any]:
        return {"metadata": {"annotations": {"n": str(time.monotonic_ns())}}}

    try:
        ended = False
        while time.monotonic() < stop and not ended:
            sb.call(lambda: sb.store.mutate_many("pods", [("default", "p0", note)] * 20))
            data = w.resp.read1(1 << 16)
            ended = not data
        assert ended and time.monotonic() - started < 5  # ended by timeoutSeconds=1 despite the stream
    finally:
        w.close()


def test_generate_twice_adds_more_pods_without_clashes_and_is_deterministic() -> None:
    a, b = Store(), Store()
    assert generate(a, 300, 3) == 300
    assert generate(a, 300, 3) == 300  # same prefix, same namespaces: new names
    pods, _ = a.list("pods")
    assert (
        len(pods) == 600 and len({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods}) == 600
    )
    assert {p["metadata"]["namespace"] for p in pods} == {"bench-0", "bench-1", "bench-2"}
    generate(b, 300, 3)
    first = a.list("pods")[0]
    again = b.list("pods")[0]
    same = {p["metadata"]["name"]: p["spec"] for p in again}
    assert all(same.get(p["metadata"]["name"]) == p["spec"] for p in first if p["metadata"]["name"] in same)
    assert len(same.keys() & {p["metadata"]["name"] for p in first}) == 300


def test_generated_pods_are_realistic_and_unhealthy_ones_have_events(sandbox_factory: Any) -> None:
    sb = sandbox_factory("empty", simulate=False)
    assert sb.call(generate, sb.store, 1200, 4) == 1200
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig)))
    pods: list[Any] = api.list_pod_for_all_namespaces().items  # the client's models validate every pod
    events: list[Any] = api.list_event_for_all_namespaces().items
    assert len(pods) == 1200
    raw, _ = sb.call(sb.store.list, "pods")
    sizes = [len(encode(p)) for p in raw]
    assert 5500 <= sum(sizes) / len(sizes) <= 7000  # the research set: 6.1 KB mean
    sample = raw[0]["metadata"]
    assert len(sample["labels"]) == 6 and len(sample["annotations"]) == 4
    assert len(sample["managedFields"]) == 2 and sample["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert 300 <= sum(1 for p in raw if len(p["spec"]["containers"]) == 2) <= 500  # istio on one in three
    kinds: Counter[str] = Counter()
    by_uid: dict[str, list[Any]] = {}
    for ev in events:
        by_uid.setdefault(ev.involved_object.uid, []).append(ev)
    for pod in pods:
        st = pod.status
        if st.phase == "Pending" and not pod.spec.node_name:
            cond = st.conditions[0]
            assert (cond.type, cond.status, cond.reason) == ("PodScheduled", "False", "Unschedulable")
            kind = "unschedulable"
            assert any(e.reason == "FailedScheduling" for e in by_uid[pod.metadata.uid])
        elif not all(cs.ready for cs in st.container_statuses):
            cs = st.container_statuses[0]
            kind = cs.state.waiting.reason
            if kind == "CrashLoopBackOff":
                assert cs.last_state.terminated.reason in ("Error", "OOMKilled") and cs.restart_count >= 3
                assert any(e.reason == "BackOff" for e in by_uid[pod.metadata.uid])
            else:
                assert kind == "ImagePullBackOff" and st.phase == "Pending"
                assert any(
                    e.reason == "Failed" and "not found" in e.message for e in by_uid[pod.metadata.uid]
                )
        else:
            kind = "ok"
            assert pod.metadata.uid not in by_uid
        kinds[kind] += 1
    assert set(kinds) == {"ok", "CrashLoopBackOff", "ImagePullBackOff", "unschedulable"}
    assert 0.03 <= 1 - kinds["ok"] / len(pods) <= 0.08  # about 5% unhealthy


def test_generated_workloads_own_the_pods_and_the_controllers_leave_them_alone(sandbox_factory: Any) -> None:
    sb = sandbox_factory("empty", simulate=True)  # controllers and kubelets running
    assert sb.call(generate, sb.store, 960, 4) == 960
    api = config.new_client_from_config(config_file=str(sb.kubeconfig))
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    discovery = client.DiscoveryV1Api(api)
    pods: list[Any] = core.list_pod_for_all_namespaces().items
    deployments: list[Any] = apps.list_deployment_for_all_namespaces().items
    sets: list[Any] = apps.list_replica_set_for_all_namespaces().items
    services: list[Any] = core.list_service_for_all_namespaces().items
    slices: list[Any] = discovery.list_endpoint_slice_for_all_namespaces().items
    # 4 namespaces x 4 apps x 12 shards, ~20 pods each; every Deployment keeps two old ReplicaSets
    assert len(deployments) == len(services) == 192 and len(sets) == 3 * 192
    rs_by_uid = {rs.metadata.uid: rs for rs in sets}
    deploy_by_uid = {d.metadata.uid: d for d in deployments}
    for pod in pods:
        rs = rs_by_uid[pod.metadata.owner_references[0].uid]  # the pod's owner exists, by uid
        assert rs.spec.replicas > 0 and rs.metadata.labels["pod-template-hash"] in pod.metadata.name
        deploy = deploy_by_uid[rs.metadata.owner_references[0].uid]
        assert all(pod.metadata.labels[k] == v for k, v in deploy.spec.selector.match_labels.items())
    ready = {p.metadata.uid for p in pods if any(c.type == "Ready" and c.status == "True"
                                                  for c in p.status.conditions or ())}
    in_slices = {e.target_ref.uid: e.conditions.ready for s in slices for e in s.endpoints}
    assert {uid for uid, ok in in_slices.items() if ok} == ready  # the slices name the ready pods
    assert sum(d.status.ready_replicas or 0 for d in deployments) == len(ready)

    def bump(pod: dict[str, Any]) -> dict[str, Any]:
        return {"metadata": {"annotations": {"n": "1"}}}

    names = [(p.metadata.namespace, p.metadata.name) for p in pods[:200]]

    def change() -> tuple[int, list[str]]:
        # on the loop, as a watch storm does: the controllers hear each change as it is committed
        before = sb.store.resource_version
        sb.store.mutate_many("pods", [(ns, n, bump) for ns, n in names])
        queued = [c.name for c in sb.simulation.controllers if c._queue]
        return sb.store.resource_version - before, queued

    assert sb.call(change) == (200, [])  # the 200 changes; no controller queued work for any
