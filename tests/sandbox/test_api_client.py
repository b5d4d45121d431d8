"""The official kubernetes client (v37, strict pydantic models) against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from ktui.sandbox.runner import Sandbox

EVERY_KIND = """\
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: team-a}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: team-a}
subsets:
  - addresses: [{ip: 10.244.0.5, nodeName: node-1}]
    ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abcde
  namespace: team-a
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints: [{addresses: [10.244.0.5], conditions: {ready: true}}]
ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: team-a}
spec:
  ingressClassName: nginx
  rules:
    - host: web.example.test
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/pv-1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: team-a}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1}}
  storageClassName: standard
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team-a}
spec: {hard: {pods: 10, requests.cpu: 4}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: team-a}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: team-a}
type: Opaque
data: {token: c2VjcmV0}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: team-a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team-a}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27", resources: {requests: {cpu: 0.5}}}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-7d4b9c, namespace: team-a}
spec:
  replicas: 2
  selector: {matchLabels: {app: web, pod-template-hash: 7d4b9c}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 7d4b9c}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Event
metadata: {name: running.17a, namespace: default}
involvedObject: {kind: Pod, name: running, namespace: default}
reason: Pulled
message: pulled
type: Normal
count: 2
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:01:00Z"
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: pending.17b, namespace: default}
regarding: {kind: Pod, name: pending, namespace: default}
reason: FailedScheduling
note: "0/1 nodes are available: 1 Insufficient cpu."
type: Warning
action: Scheduling
reportingController: default-scheduler
reportingInstance: default-scheduler-node-1
eventTime: "2026-01-01T00:00:00.000000Z"
"""


@pytest.fixture()
def api(sandbox_factory: Any) -> tuple[Sandbox, client.ApiClient]:
    sb = sandbox_factory("seed", simulate=False)
    return sb, config.new_client_from_config(config_file=str(sb.kubeconfig))


def test_list_and_get(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    core = client.CoreV1Api(c)
    pods = core.list_namespaced_pod("default")
    assert sorted(p.metadata.name for p in pods.items) == ["backoff", "error", "pending", "running"]
    assert int(pods.metadata.resource_version) == sb.store.resource_version
    running = core.read_namespaced_pod("running", "default")
    assert running.metadata.labels == {"app": "nginx"}
    assert running.spec.containers[0].ports[0].container_port == 80
    pending = core.read_namespaced_pod("pending", "default")
    assert pending.spec.containers[0].resources.requests == {
        "cpu": "32",
        "memory": "64Gi",
    }  # numbers -> strings
    assert [p.metadata.name for p in core.list_pod_for_all_namespaces(label_selector="app=nginx").items] == [
        "running"
    ]
    assert (
        core.list_pod_for_all_namespaces(field_selector="metadata.name=error").items[0].metadata.name
        == "error"
    )
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("nosuch", "default")
    assert err.value.status == 404


def test_paging_with_limit_and_continue(api: tuple[Sandbox, client.ApiClient]) -> None:
    _, c = api
    core = client.CoreV1Api(c)
    first = core.list_namespaced_pod("default", limit=3)
    assert len(first.items) == 3 and first.metadata.remaining_item_count == 1 and first.metadata._continue
    rest = core.list_namespaced_pod("default", limit=3, _continue=first.metadata._continue)
    assert [p.metadata.name for p in first.items + rest.items] == ["backoff", "error", "pending", "running"]
    assert rest.metadata._continue is None


def test_pages_across_namespaces_concatenate_to_the_full_list(api: tuple[Sandbox, client.ApiClient]) -> None:
    """Pages start after the previous page's last key, across namespace boundaries, with and without
    a selector, and each says how many objects remain."""
    from ktui.sandbox.generate import generate

    sb, c = api
    sb.call(lambda: generate(sb.store, 230, 7))
    core = client.CoreV1Api(c)
    for selector in (None, "app.kubernetes.io/component=backend"):
        full = [(p.metadata.namespace, p.metadata.name)
                for p in core.list_pod_for_all_namespaces(label_selector=selector).items]
        paged: list[tuple[str, str]] = []
        token = None
        while True:
            page = core.list_pod_for_all_namespaces(limit=37, _continue=token, label_selector=selector)
            paged += [(p.metadata.namespace, p.metadata.name) for p in page.items]
            token = page.metadata._continue
            if not token:
                assert page.metadata.remaining_item_count is None
                break
            assert len(page.items) == 37
            assert page.metadata.remaining_item_count == len(full) - len(paged)
        assert paged == full and len(full) > 100


def test_watch_from_resource_version_sees_added_modified_deleted_in_order(
    api: tuple[Sandbox, client.ApiClient],
) -> None:
    sb, c = api
    core = client.CoreV1Api(c)
    rv = core.list_namespaced_pod("default").metadata.resource_version
    sb.apply_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: extra}\nspec: {containers: [{name: c, image: busybox}]}"
    )

    def label(pod: dict[str, Any]) -> None:
        pod["metadata"]["labels"] = {"step": "two"}

    sb.call(sb.store.mutate, "pods", "default", "extra", label)
    sb.call(sb.store.delete, "pods", "default", "extra")
    events = []
    for event in watch.Watch().stream(
        core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=1
    ):
        events.append((event["type"], event["object"].metadata.name, event["object"].metadata.labels))
    assert events == [
        ("ADDED", "extra", None),
        ("MODIFIED", "extra", {"step": "two"}),
        ("DELETED", "extra", {"step": "two"}),
    ]


def test_watch_from_resource_version_replays_only_its_own_resource(
    api: tuple[Sandbox, client.ApiClient],
) -> None:
    sb, c = api
    core = client.CoreV1Api(c)
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    sb.apply_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: other}\n"
        "spec: {containers: [{name: c, image: busybox}]}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}"
    )
    seen = [
        (event["type"], type(event["object"]).__name__, event["object"].metadata.name)
        for event in watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=1
        )
    ]
    assert seen == [("ADDED", "V1ConfigMap", "cfg")]


def test_watch_live_changes_and_bookmarks(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    sb.server.bookmark_interval = 0.2
    core = client.CoreV1Api(c)
    stream = watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        timeout_seconds=3,
        allow_watch_bookmarks=True,
        label_selector="app=nginx",
    )
    seen = []
    for event in stream:
        if event["type"] == "ADDED" and not seen:
            sb.call(
                sb.store.mutate,
                "pods",
                "default",
                "running",
                lambda p: p["metadata"]["labels"].update(app="x"),
            )
        seen.append(event["type"])
        if event["type"] == "BOOKMARK":
            break
    # the label change takes the pod out of the selected set: the watcher sees DELETED, not MODIFIED
    assert seen == ["ADDED", "DELETED", "BOOKMARK"]


def test_expired_resource_version_is_410(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    core = client.CoreV1Api(c)
    old = core.list_namespaced_pod("default").metadata.resource_version
    sb.apply_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bump}\n")
    sb.call(sb.store.compact)
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(
            core.list_namespaced_pod, "default", resource_version=old, timeout_seconds=2
        ):
            pass
    assert err.value.status == 410
    assert "too old resource version" in str(err.value.reason)


def test_expire_next_watch_fault_then_recovers(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    core = client.CoreV1Api(c)
    sb.faults.expire_next_watch()
    with pytest.raises(ApiException) as err:
        list(watch.Watch().stream(core.list_namespaced_pod, "default", timeout_seconds=1))
    assert err.value.status == 410
    names = [
        e["object"].metadata.name
        for e in watch.Watch().stream(core.list_namespaced_pod, "default", timeout_seconds=1)
    ]
    assert sorted(names) == ["backoff", "error", "pending", "running"]


def test_every_served_object_passes_model_validation(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    sb.apply_yaml(EVERY_KIND)
    core, apps = client.CoreV1Api(c), client.AppsV1Api(c)
    net, disc = client.NetworkingV1Api(c), client.DiscoveryV1Api(c)
    events, storage = client.EventsV1Api(c), client.StorageV1Api(c)
    counts = {
        "namespaces": len(core.list_namespace().items),
        "nodes": len(core.list_node().items),
        "pods": len(core.list_pod_for_all_namespaces().items),
        "services": len(core.list_service_for_all_namespaces().items),
        "endpoints": len(core.list_endpoints_for_all_namespaces().items),
        "pvcs": len(core.list_persistent_volume_claim_for_all_namespaces().items),
        "pvs": len(core.list_persistent_volume().items),
        "quotas": len(core.list_resource_quota_for_all_namespaces().items),
        "configmaps": len(core.list_config_map_for_all_namespaces().items),
        "secrets": len(core.list_secret_for_all_namespaces().items),
        "serviceaccounts": len(core.list_service_account_for_all_namespaces().items),
        "core events": len(core.list_event_for_all_namespaces().items),
        "deployments": len(apps.list_deployment_for_all_namespaces().items),
        "replicasets": len(apps.list_replica_set_for_all_namespaces().items),
        "ingresses": len(net.list_ingress_for_all_namespaces().items),
        "ingressclasses": len(net.list_ingress_class().items),
        "endpointslices": len(disc.list_endpoint_slice_for_all_namespaces().items),
        "v1 events": len(events.list_event_for_all_namespaces().items),
        "storageclasses": len(storage.list_storage_class().items),
    }
    assert all(counts.values()), counts
    assert counts["core events"] == counts["v1 events"] == 2  # one storage, two views
    v1 = {e.metadata.name: e for e in events.list_namespaced_event("default").items}
    assert v1["running.17a"].event_time is not None  # always set through events.k8s.io
    assert v1["running.17a"].deprecated_count == 2
    core_pending = core.read_namespaced_event("pending.17b", "default")
    assert core_pending.message.startswith("0/1 nodes") and core_pending.involved_object.name == "pending"
    deploy = apps.read_namespaced_deployment("web", "team-a")
    assert deploy.spec.template.spec.containers[0].resources.requests == {"cpu": "500m"}
    assert deploy.spec.strategy.type == "RollingUpdate"
    service = core.read_namespaced_service("web", "team-a")
    assert service.spec.cluster_ip and service.spec.ports[0].target_port == 80
    for fn in (core.read_namespaced_pod, core.read_namespaced_pod_status):
        assert fn("running", "default").metadata.uid


def test_write_verbs_and_scale(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    sb.apply_yaml(EVERY_KIND)
    core, apps = client.CoreV1Api(c), client.AppsV1Api(c)
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "made"}, "data": {"a": "1"}})
    assert cm.metadata.uid and cm.metadata.resource_version
    patched = core.patch_namespaced_config_map("made", "default", {"data": {"b": "2"}})
    assert patched.data == {"a": "1", "b": "2"}
    stale = patched.to_dict()
    core.patch_namespaced_config_map("made", "default", {"data": {"c": "3"}})
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map(
            "made",
            "default",
            {
                "metadata": {"name": "made", "resourceVersion": stale["metadata"]["resource_version"]},
                "data": {},
            },
        )
    assert err.value.status == 409
    scale = apps.patch_namespaced_deployment_scale("web", "team-a", {"spec": {"replicas": 5}})
    assert scale.spec.replicas == 5
    assert apps.read_namespaced_deployment("web", "team-a").spec.replicas == 5
    core.delete_namespaced_config_map("made", "default")
    assert sb.call(sb.store.get, "configmaps", "default", "made") is None
    verbs = [(e.verb, e.resource, e.subresource) for e in sb.audit.mutations()]
    assert verbs == [
        ("create", "configmaps", ""),
        ("patch", "configmaps", ""),
        ("patch", "configmaps", ""),
        ("update", "configmaps", ""),
        ("patch", "deployments.apps", "scale"),
        ("delete", "configmaps", ""),
    ]


def test_forbidden_and_failures_faults(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, _ = api
    viewer = config.new_client_from_config(
        config_file=str(sb.kubeconfig_for("system:serviceaccount:d:viewer"))
    )
    sb.faults.deny("system:serviceaccount:d:viewer", "get", "pods/log")
    core = client.CoreV1Api(viewer)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("running", "default")
    assert err.value.status == 403
    assert json.loads(err.value.body)["message"] == (
        'pods "running" is forbidden: User "system:serviceaccount:d:viewer" cannot get resource "pods/log" '
        'in API group "" in the namespace "default"'
    )
    assert core.read_namespaced_pod("running", "default").metadata.name == "running"  # pods itself allowed
    sb.faults.fail_share(1.0)
    with pytest.raises(ApiException) as err:
        core.list_namespaced_pod("default")
    assert err.value.status == 500
    assert json.loads(err.value.body)["message"] == "Internal error occurred: etcdserver: request timed out"
    sb.faults.clear()
    assert len(core.list_namespaced_pod("default").items) == 4


def test_delete_options_and_deletecollection(api: tuple[Sandbox, client.ApiClient]) -> None:
    sb, c = api
    core = client.CoreV1Api(c)
    core.delete_namespaced_pod(
        "error",
        "default",
        body=client.V1DeleteOptions(propagation_policy="Foreground", grace_period_seconds=0),
    )
    assert sb.call(sb.store.get, "pods", "default", "error") is None
    core.delete_collection_namespaced_pod("default", label_selector="app=nginx")  # typed as V1Status in v37
    assert sorted(p.metadata.name for p in core.list_namespaced_pod("default").items) == [
        "backoff",
        "pending",
    ]
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_pod(
            "backoff",
            "default",
            body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="nope")),
        )
    assert err.value.status == 409


def test_generated_pods_list_fast_and_look_real(sandbox_factory: Any, kubectl: Any) -> None:
    from ktui.sandbox.generate import generate

    sb = sandbox_factory("empty", simulate=False)
    assert sb.call(generate, sb.store, 2000, 8) == 2000
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig)))
    page = core.list_pod_for_all_namespaces(limit=500)
    assert len(page.items) == 500 and page.metadata.remaining_item_count == 1500  # validates as V1Pod too
    out = kubectl(sb, "get", "pods", "-A", "--no-headers")
    rows = [line.split() for line in out.stdout.splitlines()]
    assert len(rows) == 2000 and len({r[0] for r in rows}) == 8
    unhealthy = [r for r in rows if r[3] != "Running"]
    assert 40 <= len(unhealthy) <= 160  # about 5%
    assert {r[3] for r in unhealthy} == {"CrashLoopBackOff", "ImagePullBackOff", "Pending"}
