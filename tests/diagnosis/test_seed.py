"""The seed guide's cluster, as dump files: every object gets the verdict the guide explains."""

from __future__ import annotations

import msgspec

from ktui.diagnosis import Diagnosis, Severity, diagnose
from ktui.dumps import load_dumps

from .helpers import SEED, root


def test_backoff_is_image_tag_not_found(seed: Diagnosis) -> None:
    f = root(seed, "Pod", "backoff")
    assert (f.category, f.severity) == ("image_tag_not_found", Severity.ERROR)
    assert "nginx:not-exist" in f.summary
    assert any(e.startswith("Failed x4 over ") and "not found" in e for e in f.evidence)
    assert "kubectl describe pod backoff -n default" in f.commands


def test_error_is_a_crash_with_exit_code(seed: Diagnosis) -> None:
    f = root(seed, "Pod", "error")
    assert f.category in ("bad_command", "app_crash") and f.severity == Severity.ERROR
    assert "exit code 1" in f.summary
    assert "kubectl logs error -n default --previous" in f.commands


def test_error_with_previous_logs_is_bad_command_quoting_them() -> None:
    snap = load_dumps(SEED)
    logs = {
        "default/error/web": ("sleep: invalid time interval 'a'", "Try 'sleep --help' for more information.")
    }
    d = diagnose(msgspec.structs.replace(snap, logs=logs))
    f = root(d, "Pod", "error")
    assert f.category == "bad_command"
    assert "sleep: invalid time interval 'a'" in f.summary
    assert "log: sleep: invalid time interval 'a'" in f.evidence


def test_pending_is_insufficient_cpu_and_memory(seed: Diagnosis) -> None:
    f = root(seed, "Pod", "pending")
    assert f.category == "unschedulable_insufficient_resources"
    assert "cpu and memory" in f.summary and "cpu 32" in f.summary and "memory 64Gi" in f.summary
    # the scheduler's event has lastTimestamp null: its age comes from series.lastObservedTime / eventTime
    assert any(e.startswith("FailedScheduling x2 over 9m55s") for e in f.evidence)


def test_running_is_healthy(seed: Diagnosis) -> None:
    f = root(seed, "Pod", "running")
    assert (f.category, f.severity) == ("healthy", Severity.INFO)
    assert seed.verdict(f.subject.uid) == Severity.INFO


def test_typo_service_is_selector_mismatch_with_hint(seed: Diagnosis) -> None:
    f = root(seed, "Service", "nginx-typo")
    assert f.category == "service_selector_mismatch"
    assert "no pod has app=ngnix; 1 pod has app=nginx (running)" in f.summary


def test_wrong_port_service_is_target_port_mismatch(seed: Diagnosis) -> None:
    f = root(seed, "Service", "nginx-wrong-port")
    assert f.category == "service_target_port_mismatch"
    assert "8080" in f.summary and "web:80" in f.summary


def test_ingress_names_the_missing_backend(seed: Diagnosis) -> None:
    f = root(seed, "Ingress", "nginx")
    assert f.category == "ingress_backend_service_missing"
    assert "running-service" in f.summary


def test_the_good_service_and_node_are_healthy(seed: Diagnosis) -> None:
    assert root(seed, "Service", "nginx").category == "healthy"
    assert root(seed, "Node", "kind-control-plane").category == "healthy"
