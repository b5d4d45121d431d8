"""Record compaction (decoded pods share what repeats) and the collector pause around long-lived work."""

from __future__ import annotations

import gc
import sys
import threading
from typing import Any, cast

import msgspec

from ktui import decode
from ktui import resources as r
from ktui.resources import collector
from ktui.resources.compact import PodCompactor


def _pod(i: int, *, restarts: int = 0, node: str = "node-1",
         annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": f"web-{i}", "namespace": "shop", "uid": f"u{i}", "resourceVersion": str(100 + restarts),
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "web", "pod-template-hash": "abc"},
            "annotations": annotations or {"prometheus.io/scrape": "true"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "uid": "rs1", "controller": True}],
        },
        "spec": {
            "nodeName": node,
            "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                            "env": [{"name": "DB",
                                     "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}}],
                            "resources": {"limits": {"memory": "128Mi"}},
                            "volumeMounts": [{"name": f"kube-api-access-{i}", "mountPath": "/var/run"}]}],
            "volumes": [{"name": f"kube-api-access-{i}", "projected": {"sources": []}},
                        {"name": "conf", "configMap": {"name": "web-conf"}}],
        },
        "status": {
            "phase": "Running", "startTime": "2026-01-01T00:00:01Z",
            "conditions": [{"type": "Ready", "status": "True",
                            "lastTransitionTime": "2026-01-01T00:00:05Z"}],
            "containerStatuses": [{"name": "web", "image": "nginx:1.27", "ready": True,
                                   "restartCount": restarts,
                                   "state": {"running": {"startedAt": "2026-01-01T00:00:02Z"}}}],
        },
    }


def _list(*pods: dict[str, Any]) -> bytes:
    return msgspec.json.encode({"kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": list(pods)})


def _plain(obj: dict[str, Any]) -> r.Pod:
    return msgspec.convert(obj, r.Pod, strict=False)


def test_listed_pods_keep_their_values_and_share_repeated_parts() -> None:
    raw = [_pod(1), _pod(2)]
    records, rv, _ = decode.decode_list("Pod", _list(*raw))
    a, b = cast(list[r.Pod], records)
    assert rv == "9"
    for got, obj in zip((a, b), raw, strict=True):
        want = _plain(obj)
        # the same record, except that volumes without a source a rule reads (the token) are dropped
        assert got == msgspec.structs.replace(want, spec=msgspec.structs.replace(
            want.spec, volumes=tuple(v for v in want.spec.volumes if v.config_map)))
    assert [v.name for v in a.spec.volumes] == ["conf"]
    assert a.metadata.labels is b.metadata.labels
    assert a.metadata.annotations is b.metadata.annotations
    assert a.metadata.owner_references is b.metadata.owner_references
    assert a.spec.containers is b.spec.containers
    assert a.status.conditions is b.status.conditions
    assert a.spec.node_name is b.spec.node_name and a.metadata.namespace is b.metadata.namespace
    assert a.metadata.creation_timestamp is b.metadata.creation_timestamp


def test_different_values_are_never_merged() -> None:
    compact = PodCompactor()
    a = compact(_plain(_pod(1, node="node-1", annotations={"x": "1"})))
    b = compact(_plain(_pod(2, node="node-2", annotations={"x": "2"})))
    assert a.spec.node_name == "node-1" and b.spec.node_name == "node-2"
    assert a.metadata.annotations == {"x": "1"} and b.metadata.annotations == {"x": "2"}
    assert a.spec.containers is b.spec.containers  # still shared: they are equal


def test_pods_share_with_the_pod_before_and_with_any_earlier_one() -> None:
    compact = PodCompactor()
    other = _pod(2, node="node-2", annotations={"x": "2"})
    other["spec"]["containers"][0]["image"] = "redis:7"
    other["metadata"]["labels"] = {"app": "cache"}
    a, b, c, d = (compact(_plain(p)) for p in (_pod(1), other, _pod(3), _pod(4)))
    assert b.spec.containers[0].image == "redis:7" and b.metadata.labels == {"app": "cache"}
    assert b.spec.containers is not a.spec.containers and b.metadata.labels is not a.metadata.labels
    # c follows a different pod: its parts are found among the earlier ones (a's); d follows c
    for later in (c, d):
        assert later.spec.containers is a.spec.containers
        assert later.metadata.labels is a.metadata.labels
        assert later.metadata.owner_references is a.metadata.owner_references
        assert later.status.container_statuses[0] is a.status.container_statuses[0]
        assert later.status.conditions is a.status.conditions
    for got, obj in ((b, other), (d, _pod(4))):  # values as sent: nothing taken from the pod before
        assert got.metadata == _plain(obj).metadata and got.status == _plain(obj).status
        assert got.spec.containers == _plain(obj).spec.containers
        assert got.spec.node_name == _plain(obj).spec.node_name


def test_a_watched_version_shares_what_did_not_change_with_the_last_one() -> None:
    compact = PodCompactor()
    prev = compact(_plain(_pod(1)))
    changed = _plain(_pod(1, restarts=4, annotations={"sent": "123"}))
    now = compact(changed, prev)
    assert now.status.container_statuses[0].restart_count == 4
    assert now.metadata.annotations == {"sent": "123"} and now.metadata.resource_version == "104"
    assert now.spec is prev.spec  # the token volume it was sent with does not count as a change
    assert now.metadata.labels is prev.metadata.labels
    assert now.status.conditions is prev.status.conditions
    assert now.status.container_statuses[0].state is prev.status.container_statuses[0].state
    assert now == compact(changed)  # the same value as without a last version
    # each decode makes its own uid string: the held one is kept, so uid-keyed tables match by identity
    assert changed.metadata.uid == prev.metadata.uid and changed.metadata.uid is not prev.metadata.uid
    assert now.metadata.uid is prev.metadata.uid and now.metadata.name is prev.metadata.name


def test_share_cache_is_bounded() -> None:
    compact = PodCompactor(limit=8)
    for i in range(50):
        compact(_plain(_pod(i, annotations={"n": str(i)})))
    assert len(compact.share) <= 8


def test_collector_pause_nests_and_freezes_once_the_last_one_ends() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        inner_done = threading.Event()
        with collector.paused():
            assert not gc.isenabled() and collector.is_paused()

            def other() -> None:
                with collector.paused():
                    pass
                inner_done.set()

            t = threading.Thread(target=other)
            t.start()
            t.join(5)
            assert inner_done.is_set()
            assert not gc.isenabled()  # another thread's pause ending does not end ours
            keep = [[i] for i in range(100)]  # tracked objects made while paused
        assert gc.isenabled() and not collector.is_paused()
        assert gc.get_freeze_count() >= frozen + len(keep)
    finally:
        gc.unfreeze()


def test_collector_stays_off_if_it_was_off() -> None:
    gc.disable()
    try:
        with collector.paused(freeze=False):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_young_threshold_is_raised_never_lowered() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        collector.raise_young_threshold()
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
        gc.set_threshold(50_000, 20, 30)  # an embedding app chose more: kept
        collector.raise_young_threshold()
        assert gc.get_threshold() == (50_000, 20, 30)
        gc.set_threshold(0, 10, 10)  # 0: automatic collection off by threshold: kept
        collector.raise_young_threshold()
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*saved)



def _slice(i: int, ready: bool) -> dict[str, Any]:
    return {
        "kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
        "metadata": {"name": f"web-{i}", "namespace": "shop", "uid": f"s{i}",
                     "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{
            "addresses": [f"10.0.0.{i}"], "conditions": {"ready": ready, "serving": ready},
            "nodeName": "node-1", "targetRef": {"kind": "Pod", "namespace": "shop", "name": f"p{i}"},
        }],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    }


def test_listed_slices_and_workloads_keep_their_values_and_share_repeated_parts() -> None:
    raw = [_slice(1, True), _slice(2, True), _slice(3, False)]
    records, _, _ = decode.decode_list("EndpointSlice", _list(*raw))
    a, b, c = cast(list[r.EndpointSlice], records)
    for got, obj in zip((a, b, c), raw, strict=True):
        assert got == decode.decode_object(obj)  # the same values
    assert a.metadata.labels is b.metadata.labels and a.ports is b.ports
    assert a.endpoints[0].conditions is b.endpoints[0].conditions
    assert a.endpoints[0].conditions is not c.endpoints[0].conditions  # ready and not ready: apart
    assert a.endpoints[0].node_name is b.endpoints[0].node_name
    rs = [{"kind": "ReplicaSet", "metadata": {"name": f"web-{i}", "namespace": "shop", "uid": f"rs{i}",
                                              "labels": {"app": "web"}},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}
          for i in (1, 2)]
    sets, _, _ = decode.decode_list("ReplicaSet", _list(*rs))
    x, y = cast(list[r.ReplicaSet], sets)
    assert x.metadata.labels == {"app": "web"} and x.spec.template.metadata.labels == {"app": "web"}
    assert x.metadata.labels is y.metadata.labels and x.spec.selector is y.spec.selector
    assert x.spec.template is y.spec.template


def test_a_replica_set_shares_its_labels_with_its_pods_and_its_conditions_words() -> None:
    labels = {"app": "web", "pod-template-hash": "abc12"}
    pods, _, _ = decode.decode_list("Pod", _list(*(
        {"kind": "Pod", "metadata": {"name": f"web-abc12-{i}", "namespace": "shop", "uid": f"p{i}",
                                     "labels": dict(labels)}} for i in (1, 2))))
    message = "ReplicaSet has timed out progressing."
    rs = {"kind": "ReplicaSet", "metadata": {"name": "web-abc12", "namespace": "shop", "uid": "rs1",
                                             "labels": dict(labels)},
          "spec": {"selector": {"matchLabels": dict(labels)},
                   "template": {"metadata": {"labels": dict(labels)}}},
          "status": {"conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                     "message": message}]}}
    (got,), _, _ = decode.decode_list("ReplicaSet", _list(rs))
    assert got == decode.decode_object(rs)  # the same values
    pod_labels = cast(r.Pod, pods[0]).metadata.labels
    assert got.spec.template.metadata.labels is pod_labels
    assert got.spec.selector.match_labels is pod_labels and got.metadata.labels is pod_labels
    (cond,) = got.status.conditions
    # the decoder's fresh strings were swapped for the interned ones
    assert cond.reason is sys.intern("FailedCreate") and cond.type is sys.intern("ReplicaFailure")
    assert cond.status is sys.intern("True") and cond.message == message


def test_listed_events_keep_their_values_and_share_their_words() -> None:
    def event(i: int) -> dict[str, Any]:
        return {"kind": "Event", "metadata": {"name": f"web-{i}.17a", "namespace": "shop", "uid": f"e{i}"},
                "involvedObject": {"kind": "Pod", "namespace": "shop", "name": f"web-{i}", "uid": f"p{i}",
                                   "apiVersion": "v1", "fieldPath": "spec.containers{web}"},
                "reason": "BackOff", "message": f"Back-off restarting failed container web in pod web-{i}",
                "type": "Warning", "count": i, "source": {"component": "kubelet", "host": "node-1"},
                "firstTimestamp": "2026-11-27T10:00:00Z", "lastTimestamp": "2026-11-27T10:05:00Z",
                "reportingComponent": "kubelet", "reportingInstance": "node-1"}
    raw = [event(1), event(2)]
    records, _, _ = decode.decode_list("Event", _list(*raw))
    a, b = cast(list[r.Event], records)
    for got, obj in zip((a, b), raw, strict=True):
        assert got == decode.decode_object(obj)  # the same values
    assert a.source is b.source and a.last_timestamp is b.last_timestamp
    assert a.reason is b.reason is sys.intern("BackOff") and a.type is sys.intern("Warning")
    assert a.involved_object.field_path is b.involved_object.field_path
    assert a.reporting_instance is b.reporting_instance and a.metadata.namespace is b.metadata.namespace
    assert a.message != b.message
