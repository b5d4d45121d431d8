"""N pods in M namespaces for benchmarks: realistic ~6 KB pods, about 5% unhealthy, loaded in one bulk insert.

The shape follows the research set (``shared/research/performance.md`` §0.1) and what a 1.30+
apiserver serves for a Deployment's pod: 6 labels, 4 annotations, an ownerReference, 2 managedFields
entries; a main container with env, probes, securityContext, resources and volumeMounts; an istio
sidecar in the pods of one workload in three (the pods of one ReplicaSet share their template's labels,
image and sidecar); a projected service-account volume; tolerations; 5 conditions and
containerStatuses. About 5% are unhealthy the way real pods are: CrashLoopBackOff with a terminated
``lastState`` (Error or OOMKilled), ImagePullBackOff on a missing tag, Pending as unschedulable
(asks for a GPU no node has), each with the events the kubelet or scheduler would have written.
Around the pods, each app of each namespace gets what a cluster keeps for a workload
(``genworkloads``): a Deployment, three ReplicaSets (two of them old, at 0), a Service, its
EndpointSlices and a ServiceAccount.

Output is deterministic for a store, a seed and the sequence of calls; names never clash across
calls (each call on a store continues the previous one's index). Scheduled pods are bound to
``bench-node-*`` names that have no Node object, and all carry ``ktui.sandbox/generated: "true"``,
so no simulated kubelet or controller adopts them: their status stays as generated.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import random
import weakref
from datetime import timedelta
from typing import Any

from ktui.sandbox import genworkloads as gw
from ktui.sandbox.controllers.objects import GENERATED
from ktui.sandbox.creation import ALNUM
from ktui.sandbox.genevents import unhealthy_events
from ktui.sandbox.genparts import (
    ISTIO_STATUS,
    conditions,
    main_container,
    managed_fields,
    sidecar,
    uid_of,
    volumes,
)
from ktui.sandbox.store import Store

# fmt: off
_APPS = (
    "web", "api", "worker", "cache", "gateway", "billing", "search", "auth", "checkout", "catalog",
    "payments", "notifications", "orders", "inventory", "recommend", "ledger",
)
# fmt: on
_TEAMS = ("storefront", "platform", "data", "identity")
_NODES = 50
_SHARDS = 12
"""Workloads per app and namespace: real clusters run many small Deployments (at 10k pods in 20
namespaces, 960 of ~10 pods), not a few big ones."""
_next_index: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _suffix(i: int, n: int = 5) -> str:
    """Characters from the apiserver's generateName alphabet, unique per index (no collisions)."""
    out = []
    for _ in range(n):
        i, r = divmod(i, len(ALNUM))
        out.append(ALNUM[r])
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _template_hash(ns: str, app: str) -> str:
    """A pod-template-hash (10 characters of the safe alphabet, as the ReplicaSet controller writes)."""
    return _suffix(int(_hex(f"{ns}/{app}", 15), 16), 10)


@functools.lru_cache(maxsize=4096)
def _rs_uid(ns: str, rs_name: str) -> str:
    return uid_of(f"rs/{ns}/{rs_name}")


@functools.lru_cache(maxsize=4096)
def _shape(ns: str, workload: str) -> int:
    """A number fixing what a workload's pod template says (version, component, sidecar)."""
    return int(_hex(f"shape/{ns}/{workload}", 8), 16)


def _workload(i: int) -> str:
    """The Deployment of pod ``i``: its app, and one of ``_SHARDS`` in turn (pod i's app and namespace
    repeat every 80 indexes, so those pods go round the shards)."""
    return f"{_APPS[i % len(_APPS)]}-{(i // 80) % _SHARDS}"


def _pod(i: int, ns: str, rnd: random.Random, stamp: str, started: str) -> tuple[dict[str, Any], str]:
    """Pod number ``i`` in ``ns`` and its health (``ok``, ``crash``, ``oom``, ``pull``, ``unschedulable``)."""
    app = _APPS[i % len(_APPS)]
    team = _TEAMS[i % len(_TEAMS)]
    workload = _workload(i)
    rs_hash = _template_hash(ns, workload)
    rs_name = f"{workload}-{rs_hash}"
    name = f"{rs_name}-{_suffix(i)}"
    # What comes from the ReplicaSet's template is the same for all its pods (labels, image, sidecar):
    # workloads differ, the pods of one do not.
    shape = _shape(ns, workload)
    version = f"1.{shape % 7}.{shape % 3}"
    roll = rnd.random()
    health = "ok"
    if roll < 0.025:
        health = "oom" if roll < 0.008 else "crash"
    elif roll < 0.04:
        health = "pull"
    elif roll < 0.05:
        health = "unschedulable"
    image = f"registry.example.test/{team}/{app}:{version}" + ("-rc1" if health == "pull" else "")
    istio = shape % 3 == 0
    token_volume = f"kube-api-access-{_suffix(i * 7919 + 13)}"
    rs_uid = _rs_uid(ns, rs_name)
    labels = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": f"{workload}-{ns}",
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": team,
        "app.kubernetes.io/component": "backend" if shape % 4 else "frontend",
        "pod-template-hash": rs_hash,
    }
    annotations = {
        GENERATED: "true",
        "kubectl.kubernetes.io/restartedAt": stamp,
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
    }
    if istio:
        del annotations["prometheus.io/port"]
        annotations["sidecar.istio.io/status"] = ISTIO_STATUS
    scheduled = health != "unschedulable"
    containers = [main_container(app, image, token_volume, health == "unschedulable")]
    if istio:
        containers.append(sidecar(token_volume))
    spec: dict[str, Any] = {
        "volumes": volumes(token_volume, istio),
        "containers": containers,
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": app,
        "serviceAccount": app,
        "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            for k in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
        ],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": f"{rs_name}-",
            "namespace": ns,
            "uid": uid_of(f"pod/{ns}/{name}"),
            "creationTimestamp": stamp,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs_name,
                    "uid": rs_uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": managed_fields(stamp, [c["name"] for c in containers], rs_uid, scheduled),
        },
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    }
    if not scheduled:
        pod["status"]["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": stamp,
                "reason": "Unschedulable",
                "message": f"0/{_NODES} nodes are available: {_NODES} Insufficient nvidia.com/gpu. "
                f"preemption: 0/{_NODES} nodes are available: {_NODES} No preemption victims found for "
                "incoming pod.",
            }
        ]
        return pod, health
    spec["nodeName"] = f"bench-node-{i % _NODES}"
    pod["status"] = _status(i, pod, health, rnd, stamp, started)
    return pod, health


def _status(
    i: int, pod: dict[str, Any], health: str, rnd: random.Random, stamp: str, started: str
) -> dict[str, Any]:
    """The kubelet's status for a scheduled pod in state ``health``."""
    meta = pod["metadata"]
    ns, name = meta["namespace"], meta["name"]
    ip = f"10.{244 + (i >> 16) % 8}.{(i >> 8) & 255}.{i & 255}"
    host = f"10.0.{(i % _NODES) // 250}.{(i % _NODES) % 250 + 10}"
    statuses = []
    for c in pod["spec"]["containers"]:
        image = c["image"]
        cid = "containerd://" + _hex(f"c/{ns}/{name}/{c['name']}", 64)
        cs: dict[str, Any] = {
            "name": c["name"],
            "state": {"running": {"startedAt": started}},
            "lastState": {},
            "ready": True,
            "restartCount": 0,
            "image": image,
            "imageID": f"{image.split(':')[0]}@sha256:{_hex(image, 64)}",
            "containerID": cid,
            "started": True,
        }
        if c is pod["spec"]["containers"][0] and health != "ok":
            cs["ready"] = cs["started"] = False
            if health == "pull":
                cs["state"] = {
                    "waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
                }
                cs["imageID"] = ""
                del cs["containerID"]
            else:
                cs["restartCount"] = rnd.randint(3, 40)
                code, reason = (137, "OOMKilled") if health == "oom" else (1, "Error")
                cs["state"] = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off 5m0s restarting failed container={c['name']} "
                        f"pod={name}_{ns}({meta['uid']})",
                    }
                }
                cs["lastState"] = {
                    "terminated": {
                        "exitCode": code,
                        "reason": reason,
                        "startedAt": stamp,
                        "finishedAt": stamp,
                        "containerID": cid,
                    }
                }
        statuses.append(cs)
    ready = health == "ok"
    return {
        "phase": "Pending" if health == "pull" else "Running",
        "conditions": conditions(started, ready),
        "hostIP": host,
        "hostIPs": [{"ip": host}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "containerStatuses": statuses,
        "qosClass": "Burstable",
    }


def _create_workloads(store: Store, workloads: list[gw.Workload], stamp: str) -> None:
    """The Deployments, ReplicaSets, Services, EndpointSlices and ServiceAccounts of new workloads."""
    keep = ("creationTimestamp", "uid")
    deploys = [gw.deployment(w, stamp) for w in workloads]
    store.bulk_create("deployments.apps", deploys, notify=False, keep=keep)
    store.bulk_create("replicasets.apps", (rs for w, d in zip(workloads, deploys, strict=True)
                                           for rs in gw.replicasets(w, stamp, d)), notify=False, keep=keep)
    taken = len(store.list("services")[0])
    store.bulk_create("services", (gw.service(w, stamp, f"10.96.{(taken + k) // 250}.{(taken + k) % 250 + 2}")
                                   for k, w in enumerate(workloads)), notify=False, keep=keep)
    store.bulk_create("endpointslices.discovery.k8s.io",
                      (s for w in workloads for s in gw.endpoint_slices(w, stamp)), notify=False, keep=keep)
    accounts = {(w.namespace, w.app): w for w in workloads}  # one per app: its shards share it
    store.bulk_create("serviceaccounts", (gw.service_account(w, stamp) for (ns, app), w in accounts.items()
                                          if store.get("serviceaccounts", ns, app) is None),
                      notify=False, keep=keep)


def generate(
    store: Store, pods: int, namespaces: int, *, seed: int = 0, prefix: str = "bench", workloads: bool = True
) -> int:
    """Create ``pods`` pods spread over ``namespaces`` namespaces (``bench-0``...); returns the pod count.

    Runs on the loop thread. Uses the store's bulk path without watch notifications: the objects look
    as if they existed before any watch started. The events of unhealthy pods are created with them,
    and (``workloads``) the objects of each new app of a namespace. Calling again adds more pods under
    new names (same prefix: same namespaces; the apps there keep the objects made the first time).
    """
    start = _next_index.get(store, 0)
    _next_index[store] = start + pods
    rnd = random.Random(f"{seed}/{start}")
    names = [f"{prefix}-{i}" for i in range(max(1, namespaces))]
    now = store.clock.now()
    stamp = (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = (now - timedelta(hours=2, minutes=58)).strftime("%Y-%m-%dT%H:%M:%SZ")
    enabled = gc.isenabled()
    gc.disable()  # ~100 containers per pod: collections during the load would dominate it
    try:
        store.bulk_create(
            "namespaces",
            ({"metadata": {"name": n}} for n in names if store.get("namespaces", None, n) is None),
            notify=False,
        )
        unhealthy: list[tuple[dict[str, Any], str]] = []
        apps: dict[tuple[str, str], gw.Workload] = {}

        def docs() -> Any:
            for i in range(start, start + pods):
                ns = names[i % len(names)]
                pod, health = _pod(i, ns, rnd, stamp, started)
                if health != "ok":
                    unhealthy.append((pod, health))
                if workloads:
                    name = _workload(i)
                    w = apps.get((ns, name))
                    if w is None:
                        rs_hash = _template_hash(ns, name)
                        rs_uid = _rs_uid(ns, f"{name}-{rs_hash}")
                        w = apps[ns, name] = gw.workload_of(pod, name, rs_hash, rs_uid, _APPS[i % len(_APPS)])
                    w.members.append(gw.member_of(pod))
                yield pod

        keep = ("creationTimestamp", "uid", "managedFields")
        count = store.bulk_create("pods", docs(), notify=False, keep=keep)
        events = (ev for pod, health in unhealthy for ev in unhealthy_events(pod, health, now))
        store.bulk_create("events", events, notify=False, keep=("creationTimestamp",))
        _create_workloads(store, [w for w in apps.values()
                                  if store.get("deployments.apps", w.namespace, w.name) is None], stamp)
    finally:
        if enabled:
            gc.enable()
    return count
