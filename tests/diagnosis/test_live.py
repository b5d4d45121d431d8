"""`ktui diagnose --json` against sandbox scenarios: real HTTP, the real client, the real kubelet texts.

One sandbox per scenario (speed 20); the command is polled until the expected verdict appears or a
deadline passes, since the simulated kubelet needs a few seconds to reach the failing state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from ktui.cli import main
from ktui.sandbox.runner import Sandbox

Findings = list[dict[str, Any]]

# scenario -> (kind, name prefix, category, words the summary must contain)
EXPECTED: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "app-crash": ("Pod", "api-", "app_crash", ("exit code 1",)),
    "bad-command": ("Pod", "web-", "bad_command", ('"nginx-start"',)),
    "config-reference-missing": ("Pod", "checkout-", "config_reference_missing", ("checkout-config",)),
    "container-runtime-error": ("Pod", "legacy-", "container_runtime_error", ("/opt/legacy/run.sh",)),
    "deployment-rollout-stuck": ("Deployment", "ledger-api", "deployment_rollout_stuck", ("timed out",)),
    "image-invalid-name": ("Pod", "frontend-", "image_invalid_name", ("ghcr.io/ktui-demo/Web:1.0",)),
    "image-never-pull": ("Pod", "cache-warmer-", "image_never_pull", ("Never",)),
    "image-pull-access-denied": ("Pod", "billing-", "image_pull_access_denied", ("regcred",)),
    "image-registry-unreachable": (
        "Pod",
        "reports-",
        "image_registry_unreachable",
        ("registry.internal.example",),
    ),
    "image-tag-not-found": ("Pod", "shop-", "image_tag_not_found", ("nginx:1.27.99",)),
    "ingress-backend-no-endpoints": ("Ingress", "shop", "ingress_backend_no_endpoints", ("shop",)),
    "ingress-backend-port-missing": ("Ingress", "shop", "ingress_backend_port_missing", ("8080",)),
    "ingress-backend-service-missing": ("Ingress", "shop", "ingress_backend_service_missing", ("shop-svc",)),
    "ingress-class-missing": ("Ingress", "shop", "ingress_class_missing", ("nginx-internal",)),
    "ingress-controller-not-running": ("Ingress", "shop", "ingress_controller_not_running", ("nginx",)),
    "ingress-tls-secret-missing": ("Ingress", "shop", "ingress_tls_secret_missing", ("shop-tls",)),
    "liveness-probe-failure": ("Pod", "gateway-", "liveness_probe_failure", ("liveness",)),
    "node-not-ready": ("Node", "node-2", "node_not_ready", ("node-2",)),
    "oom-killed": ("Pod", "worker-", "oom_killed", ("128Mi",)),
    "pod-evicted": ("Pod", "report-builder", "pod_evicted", ("memory",)),
    "pvc-unbound": ("Pod", "db-", "pvc_unbound", ("data",)),
    "quota-exceeded": ("Deployment", "web", "quota_exceeded", ("compute",)),
    "readiness-probe-failure": ("Pod", "catalog-", "readiness_probe_failure", ("404",)),
    "service-no-ready-endpoints": ("Service", "search", "service_no_ready_endpoints", ("search",)),
    "service-selector-mismatch": ("Service", "storefront", "service_selector_mismatch", ("app=storefront",)),
    "service-target-port-mismatch": ("Service", "ledger", "service_target_port_mismatch", ("8080",)),
    "unschedulable-insufficient-resources": (
        "Pod",
        "analytics-",
        "unschedulable_insufficient_resources",
        ("cpu", "memory"),
    ),
    "unschedulable-node-selector": ("Pod", "ml-trainer-", "unschedulable_node_selector", ("disktype=ssd",)),
    "unschedulable-pod-affinity": ("Pod", "etcd-", "unschedulable_pod_affinity", ("anti-affinity",)),
    "unschedulable-taint": ("Pod", "batch-", "unschedulable_taint", ("dedicated",)),
}


def diagnose_json(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> tuple[int, Findings]:
    code = main(["diagnose", "--kubeconfig", str(sb.kubeconfig), "-A", "--json"])
    return code, json.loads(capsys.readouterr().out)["findings"]


def roots(findings: Findings) -> dict[tuple[str, str], dict[str, Any]]:
    """The first finding of each subject (worst first: its root cause)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        out.setdefault((f["subject"]["kind"], f["subject"]["name"]), f)
    return out


def poll(
    sb: Sandbox, capsys: pytest.CaptureFixture[str], done: Callable[[Findings], bool], timeout: float = 25.0
) -> tuple[int, Findings]:
    deadline = time.monotonic() + timeout
    while True:
        code, found = diagnose_json(sb, capsys)
        if done(found) or time.monotonic() > deadline:
            return code, found
        time.sleep(0.5)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_verdict(scenario: str, capsys: pytest.CaptureFixture[str]) -> None:
    kind, prefix, category, words = EXPECTED[scenario]

    def subject(found: Findings) -> dict[str, Any] | None:
        return next(
            (
                f
                for (k, n), f in roots(found).items()
                if k == kind and n.startswith(prefix) and f["category"] == category
            ),
            None,
        )

    with Sandbox(scenario=scenario, speed=20.0) as sb:
        code, found = poll(sb, capsys, lambda fs: subject(fs) is not None)
    f = subject(found)
    got = sorted({(k, n, g["category"]) for (k, n), g in roots(found).items() if g["severity"] != "info"})
    assert f is not None, f"no {kind} {prefix}* with {category}; problems: {got}"
    assert f["severity"] == "error" or category in ("pod_evicted",)
    for word in words:
        assert word in f["summary"], f["summary"]
    assert code == 1


def test_healthy_scenario_has_no_problem(capsys: pytest.CaptureFixture[str]) -> None:
    def settled(found: Findings) -> bool:
        pods = [f for (k, _), f in roots(found).items() if k == "Pod"]
        return len(pods) >= 4 and all(f["category"] == "healthy" for f in pods)

    with Sandbox(scenario="healthy", speed=20.0) as sb:
        code, found = poll(sb, capsys, settled)
    assert settled(found)
    assert [f for f in found if f["severity"] in ("error", "warning")] == []
    assert code == 0


SEED: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("Pod", "backoff"): ("image_tag_not_found", ("nginx:not-exist",)),
    ("Pod", "error"): ("bad_command", ("sleep: invalid time interval 'a'",)),
    ("Pod", "pending"): ("unschedulable_insufficient_resources", ("cpu", "memory")),
    ("Pod", "running"): ("healthy", ()),
}


def test_seed_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    def complete(found: Findings) -> bool:
        r = roots(found)
        return all(r.get(key, {}).get("category") == cat for key, (cat, _) in SEED.items())

    with Sandbox(scenario="seed", speed=20.0) as sb:
        code, found = poll(sb, capsys, complete)
    r = roots(found)
    for key, (category, words) in SEED.items():
        assert r[key]["category"] == category, r[key]["summary"]
        for word in words:
            assert word in r[key]["summary"]
    assert any("log: sleep: invalid time interval 'a'" in e for e in r[("Pod", "error")]["evidence"])
    services = {n: f["category"] for (k, n), f in r.items() if k == "Service" and f["severity"] == "error"}
    assert "service_selector_mismatch" in services.values()
    assert "service_target_port_mismatch" in services.values()
    ingress = [
        f for (k, _), f in r.items() if k == "Ingress" and f["category"] == "ingress_backend_service_missing"
    ]
    assert ingress and "running-service" in ingress[0]["summary"]
    assert code == 1
