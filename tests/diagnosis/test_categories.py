"""One dump fixture per category: the category, the severity, and a summary naming the specific thing."""

from __future__ import annotations

import pytest

from ktui.diagnosis import Severity, diagnose

from .helpers import root, snapshot_of

E, W = Severity.ERROR, Severity.WARNING

CASES = [
    # file, kind, name, category, severity, words the summary must contain
    (
        "image_tag_not_found-docker.yaml",
        "Pod",
        "shop-7d9f8b6c5d-x2x9q",
        "image_tag_not_found",
        E,
        ["nginx:1.99.99"],
    ),
    (
        "image_pull_access_denied.yaml",
        "Pod",
        "api",
        "image_pull_access_denied",
        E,
        ["registry.example.com/team/api:1.4.2", "regcred", "does not exist"],
    ),
    (
        "image_pull_access_denied-docker.yaml",
        "Pod",
        "private-app",
        "image_pull_access_denied",
        E,
        ["mycompany/private-app:2.0", "no imagePullSecret"],
    ),
    (
        "image_registry_unreachable.yaml",
        "Pod",
        "billing",
        "image_registry_unreachable",
        E,
        ["registry.internal.corp", "DNS"],
    ),
    (
        "image_registry_unreachable.yaml",
        "Pod",
        "reports",
        "image_registry_unreachable",
        E,
        ["harbor.lab.local:8443", "TLS"],
    ),
    ("image_invalid_name.yaml", "Pod", "web-bad-ref", "image_invalid_name", E, ["nginx:1.25:alpine"]),
    ("image_never_pull.yaml", "Pod", "devbox", "image_never_pull", E, ["myapp:dev", "kind-worker", "Never"]),
    ("app_crash.yaml", "Pod", "worker", "app_crash", E, ["worker", "exit code 1"]),
    ("app_crash.yaml", "Pod", "migrate", "app_crash", E, ["migrate", "exit code 2"]),
    ("oom_killed.yaml", "Pod", "cache", "oom_killed", E, ["redis", "128Mi"]),
    ("bad_command.yaml", "Pod", "api-typo", "bad_command", E, ['"pythn"', "executable file not found"]),
    ("bad_command.yaml", "Pod", "legacy", "container_runtime_error", E, ["/opt/start.sh", "does not exist"]),
    (
        "container_runtime_error.yaml",
        "Pod",
        "conf-mount",
        "container_runtime_error",
        E,
        ["web", "not a directory"],
    ),
    (
        "container_runtime_error.yaml",
        "Pod",
        "sandbox-fail",
        "container_runtime_error",
        E,
        ["sandbox", "calico"],
    ),
    (
        "config_reference_missing.yaml",
        "Pod",
        "frontend",
        "config_reference_missing",
        E,
        ['ConfigMap "app-config"', "envFrom"],
    ),
    (
        "config_reference_missing.yaml",
        "Pod",
        "orders",
        "config_reference_missing",
        E,
        ['key "password"', 'Secret "db-credentials"', "DB_PASSWORD"],
    ),
    (
        "config_reference_missing.yaml",
        "Pod",
        "proxy",
        "config_reference_missing",
        E,
        ['ConfigMap "proxy-conf"', "volume config"],
    ),
    ("probes.yaml", "Pod", "web-ready", "readiness_probe_failure", E, ["web", "statuscode: 503"]),
    (
        "probes.yaml",
        "Pod",
        "api-live",
        "liveness_probe_failure",
        E,
        ["api", "liveness", "connection refused"],
    ),
    (
        "probes.yaml",
        "Service",
        "web-ready",
        "service_no_ready_endpoints",
        E,
        ["0 of 1", "web-ready", "readiness"],
    ),
    ("scheduling.yaml", "Pod", "big", "unschedulable_insufficient_resources", E, ["cpu", "requests cpu 3"]),
    ("scheduling.yaml", "Pod", "ssd-only", "unschedulable_node_selector", E, ["disktype=ssd"]),
    ("scheduling.yaml", "Pod", "gpu-job", "unschedulable_taint", E, ["dedicated: gpu"]),
    ("scheduling.yaml", "Pod", "old-taint", "unschedulable_taint", E, ["team: payments"]),
    ("scheduling.yaml", "Pod", "zk-2", "unschedulable_pod_affinity", E, ["anti-affinity"]),
    ("pvc_unbound.yaml", "Pod", "postgres-0", "pvc_unbound", E, ["data", "StorageClass fast-ssd"]),
    ("pvc_unbound.yaml", "PersistentVolumeClaim", "data", "pvc_unbound", E, ["fast-ssd"]),
    (
        "quota_exceeded.yaml",
        "ReplicaSet",
        "api-6d4cf56db6",
        "quota_exceeded",
        E,
        ["compute-quota", "requests.cpu=500m"],
    ),
    ("quota_exceeded.yaml", "Deployment", "api", "quota_exceeded", E, ["compute-quota"]),
    ("lifecycle.yaml", "Pod", "web-5d8f7-abcde", "pod_evicted", W, ["worker-2", "memory"]),
    ("lifecycle.yaml", "Node", "worker-3", "node_not_ready", E, ["worker-3", "Kubelet stopped posting"]),
    ("lifecycle.yaml", "Pod", "api-on-lost-node", "node_not_ready", E, ["worker-3"]),
    ("lifecycle.yaml", "Pod", "stuck", "pod_terminating_stuck", W, ["30m"]),
    ("lifecycle.yaml", "Pod", "slow-start", "container_creating_slow", W, ["15m", "ContainerCreating"]),
    (
        "network.yaml",
        "Service",
        "orphan",
        "service_selector_mismatch",
        E,
        ["app=orphan", "1 pod has app=api"],
    ),
    ("network.yaml", "Service", "api-named", "service_target_port_mismatch", E, ["http", "web:8080"]),
    (
        "network.yaml",
        "Ingress",
        "wrong-port",
        "ingress_backend_port_missing",
        E,
        ["api", "8080", "80 (http)"],
    ),
    ("network.yaml", "Ingress", "no-endpoints", "ingress_backend_no_endpoints", E, ["orphan", "app=orphan"]),
    ("network.yaml", "Ingress", "bad-class", "ingress_class_missing", E, ["nginx-internal"]),
    ("network.yaml", "Ingress", "tls", "ingress_tls_secret_missing", E, ["shop-tls", "shop.example.test"]),
    (
        "ingress_controller_not_running.yaml",
        "Ingress",
        "web",
        "ingress_controller_not_running",
        E,
        ["nginx", "ingress-nginx-controller-7c6d8f9b4-zz9pp", "crashing"],
    ),
    (
        "workloads.yaml",
        "Deployment",
        "checkout",
        "deployment_rollout_stuck",
        E,
        ["checkout-5f6b7c8d9", "timed out"],
    ),
    (
        "scaled_to_zero.yaml",
        "Service",
        "shop",
        "service_no_ready_endpoints",
        E,
        ["Deployment shop", "scaled to 0"],
    ),
    ("scaled_to_zero.yaml", "Ingress", "shop", "ingress_backend_no_endpoints", E, ["shop", "scaled to 0"]),
    ("workloads.yaml", "Job", "nightly-report", "job_failed", E, ["BackoffLimitExceeded"]),
]


@pytest.mark.parametrize(
    ("file", "kind", "name", "category", "severity", "words"), CASES, ids=[f"{c[3]}:{c[2]}" for c in CASES]
)
def test_category_from_dump(
    file: str, kind: str, name: str, category: str, severity: Severity, words: list[str]
) -> None:
    f = root(diagnose(snapshot_of(file)), kind, name)
    assert (f.category, f.severity) == (category, severity), f.summary
    for word in words:
        assert word in f.summary, f"{word!r} not in {f.summary!r}"
    assert f.code and f.next_steps and f.commands


def test_every_problem_names_commands_for_its_object() -> None:
    d = diagnose(snapshot_of("bad_command.yaml"))
    f = root(d, "Pod", "api-typo")
    assert "kubectl describe pod api-typo -n default" in f.commands
    assert "kubectl logs api-typo -n default --previous" in f.commands


def test_init_container_is_named_as_such() -> None:
    f = root(diagnose(snapshot_of("bad_command.yaml")), "Pod", "with-init")
    assert "setup (init)" in f.summary
    assert any("init container setup" in e for e in f.evidence)
    assert "kubectl logs with-init -n default -c setup --previous" in f.commands


def test_workload_rolls_up_its_pods_root_cause() -> None:
    d = diagnose(snapshot_of("image_tag_not_found-docker.yaml"))
    for kind, name in (("Deployment", "shop"), ("ReplicaSet", "shop-7d9f8b6c5d")):
        f = root(d, kind, name)
        assert f.category == "image_tag_not_found" and f.severity == E
        assert "shop-7d9f8b6c5d-x2x9q" in f.summary and "nginx:1.99.99" in f.summary
        assert any("desired 1" in e for e in f.evidence)


def test_ingress_names_the_deeper_cause_after_its_own_hop() -> None:
    found = [
        f.category
        for f in diagnose(snapshot_of("network.yaml")).for_uid("e0000001-0000-4000-8000-000000000021")
    ]
    assert found == ["ingress_backend_no_endpoints", "service_selector_mismatch"]


def test_controller_scaled_to_zero_is_not_running() -> None:
    found = diagnose(snapshot_of("scaled_to_zero.yaml")).for_uid("z0000001-0000-4000-8000-000000000003")
    ctrl = next(f for f in found if f.category == "ingress_controller_not_running")
    assert "Deployment ingress-nginx/ingress-nginx-controller is scaled to 0" in ctrl.summary
    assert found[0].category == "ingress_backend_no_endpoints"  # the Ingress's own hop comes first
