"""The real kubectl 1.32 against a fresh sandbox: apply, get (-A, -w), describe, delete, events, errors."""

from __future__ import annotations

import functools
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ktui.sandbox.runner import Sandbox
from ktui.sandbox.store import Store


def _header(out: str) -> list[str]:
    return out.splitlines()[0].split()


def _rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}


def test_apply_and_get_pods_prints_real_columns(
    sandbox_factory: Any, kubectl: Any, seed_files: tuple[Path, Path]
) -> None:
    sb = sandbox_factory("empty", simulate=False)
    status_yaml, pending_yaml = seed_files
    applied = kubectl(sb, "apply", "-f", str(status_yaml))
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.split("\n")[:3] == [
        "pod/running created",
        "pod/backoff created",
        "pod/error created",
    ]
    assert kubectl(sb, "apply", "-f", str(pending_yaml)).stdout.strip() == "pod/pending created"

    got = kubectl(sb, "get", "pods")
    assert got.returncode == 0, got.stderr
    assert _header(got.stdout) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = _rows(got.stdout)
    assert sorted(rows) == ["backoff", "error", "pending", "running"]
    assert rows["running"][1:4] == ["0/1", "Pending", "0"]

    wide = kubectl(sb, "get", "pods", "-o", "wide")
    assert _header(wide.stdout)[5:] == ["IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]

    all_ns = kubectl(sb, "get", "pods", "-A")
    assert _header(all_ns.stdout)[:2] == ["NAMESPACE", "NAME"]
    assert all(r[0] == "default" for r in _rows(all_ns.stdout).values())


def test_reapply_changed_manifest_updates_the_pod(
    sandbox_factory: Any, kubectl: Any, seed_files: tuple[Path, Path], tmp_path: Path
) -> None:
    sb = sandbox_factory("empty", simulate=False)
    status_yaml, _ = seed_files
    assert kubectl(sb, "apply", "-f", str(status_yaml)).returncode == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        status_yaml.read_text()
        .replace("app: nginx", "app: nginx\n    tier: front")
        .replace("image: nginx:not-exist", "image: nginx:1.27")
    )
    again = kubectl(sb, "apply", "-f", str(changed))
    assert again.returncode == 0, again.stderr
    assert "pod/running configured" in again.stdout and "pod/error unchanged" in again.stdout
    running = sb.call(Store.get, sb.store, "pods", "default", "running")
    backoff = sb.call(Store.get, sb.store, "pods", "default", "backoff")
    assert running["metadata"]["labels"] == {"app": "nginx", "tier": "front"}
    assert backoff["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert kubectl(sb, "get", "pods", "-l", "tier=front", "-o", "name").stdout.split() == ["pod/running"]


def test_get_watch_prints_a_change_made_during_the_watch(sandbox_factory: Any, kubectl_env: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    proc = subprocess.Popen(
        ["kubectl", "get", "pods", "-w"],
        env=kubectl_env(sb),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        seen = _collect(lines, lambda got: sum(1 for line in got if line.split()[:1] != ["NAME"]) >= 4)

        def crash(pod: dict[str, Any]) -> None:
            pod["status"]["containerStatuses"] = [
                {
                    "name": "web",
                    "image": "nginx",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 2,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {},
                }
            ]

        sb.call(sb.store.mutate, "pods", "default", "error", crash)
        seen = _collect(lines, lambda got: any("CrashLoopBackOff" in line for line in got), seen)
        change = next(line for line in seen if "CrashLoopBackOff" in line).split()
        assert change[:4] == ["error", "0/1", "CrashLoopBackOff", "2"]
        assert sum(1 for line in seen if line.startswith("NAME")) == 1  # one header for list and watch
    finally:
        proc.terminate()
        proc.wait(10)


def _collect(
    lines: queue.Queue[str], done: Any, seen: list[str] | None = None, timeout: float = 15
) -> list[str]:
    seen = list(seen or [])
    deadline = time.monotonic() + timeout
    while not done(seen):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"kubectl printed only: {seen}")
        try:
            seen.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue
    return seen


def _event_for(pod: dict[str, Any], reason: str, message: str, count: int = 1) -> dict[str, Any]:
    meta = pod["metadata"]
    return {
        "metadata": {"name": f"{meta['name']}.{reason.lower()}", "namespace": meta["namespace"]},
        "involvedObject": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
            "fieldPath": "spec.containers{web}",
        },
        "reason": reason,
        "message": message,
        "type": "Normal",
        "count": count,
        "firstTimestamp": meta["creationTimestamp"],
        "lastTimestamp": meta["creationTimestamp"],
        "source": {"component": "kubelet", "host": "node-1"},
        "reportingComponent": "kubelet",
        "reportingInstance": "node-1",
    }


def test_describe_pod_prints_its_events_and_get_events_lists_them(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    pod = sb.call(sb.store.get, "pods", "default", "running")
    sb.call(
        sb.store.create, "events", _event_for(pod, "Pulled", 'Container image "nginx" already present', 3)
    )
    stranger = _event_for(pod, "Killing", "not this pod's: another uid")
    stranger["involvedObject"]["uid"] = "00000000-0000-0000-0000-000000000000"
    sb.call(sb.store.create, "events", stranger)

    described = kubectl(sb, "describe", "pod", "running")
    assert described.returncode == 0, described.stderr
    events = described.stdout.split("Events:")[1]
    assert "Pulled" in events and "(x3 over" in events and "kubelet" in events
    assert "Killing" not in events  # describe filters on involvedObject.uid

    listed = kubectl(sb, "get", "events")
    assert listed.returncode == 0, listed.stderr
    assert _header(listed.stdout) == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "pod/running" in listed.stdout and "Container image" in listed.stdout


def test_delete_pod(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    deleted = kubectl(sb, "delete", "pod", "running")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == 'pod "running" deleted'
    assert sb.call(sb.store.get, "pods", "default", "running") is None
    assert "running" not in _rows(kubectl(sb, "get", "pods").stdout)
    assert [e.verb for e in sb.audit.mutations()] == ["delete"]


def test_errors_read_like_a_real_apiserver(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    missing = kubectl(sb, "get", "pod", "nosuch")
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "nosuch" not found'
    deploy = kubectl(sb, "get", "deployment", "web")
    assert deploy.stderr.strip() == 'Error from server (NotFound): deployments.apps "web" not found'
    bad_field = kubectl(sb, "get", "pods", "--field-selector", "spec.bogus=x")
    assert bad_field.returncode == 1 and "field label not supported: spec.bogus" in bad_field.stderr

    sb.faults.deny("viewer", "list", "pods")
    denied = kubectl(sb, "get", "pods", "-n", "team-a", user="viewer")
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "viewer" cannot list '
        'resource "pods" in API group "" in the namespace "team-a"'
    )
    assert kubectl(sb, "get", "nodes", user="viewer").returncode == 0


def test_get_all_kinds_prints_tables(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    nodes = kubectl(sb, "get", "nodes")
    assert _header(nodes.stdout) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert _rows(nodes.stdout)["node-1"][1:3] == ["Ready", "control-plane"]
    namespaces = _rows(kubectl(sb, "get", "ns").stdout)
    assert namespaces["kube-system"][1] == "Active"
    for kind in (
        "svc",
        "ep",
        "endpointslices",
        "ing",
        "ingressclass",
        "pvc",
        "pv",
        "sc",
        "quota",
        "cm",
        "secrets",
        "sa",
        "deploy",
        "rs",
        "events.events.k8s.io",
    ):
        result = kubectl(sb, "get", kind, "-A")
        assert result.returncode == 0, (kind, result.stderr)


def test_kubectl_never_sees_a_python_traceback(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("empty", simulate=False)
    assert os.path.exists(sb.kubeconfig)
    text = sb.kubeconfig.read_text()
    assert "ktui-sandbox" in text and sb.url in text and "namespace: default" in text


@pytest.mark.parametrize("scenario", ["empty", "seed"])
def test_scenarios_load(sandbox_factory: Any, scenario: str) -> None:
    sb = sandbox_factory(scenario, simulate=False)
    pods, _ = sb.call(sb.store.list, "pods")
    assert len(pods) == (4 if scenario == "seed" else 0)
    assert sb.call(sb.store.get, "nodes", None, "node-1")["status"]["allocatable"]["cpu"] == "2"


def test_kubectl_create_generators_send_protobuf_and_work(sandbox_factory: Any, kubectl: Any) -> None:
    sb = sandbox_factory("empty", simulate=False)
    for args in (
        ("create", "ns", "team-b"),
        ("create", "configmap", "c", "-n", "team-b", "--from-literal=a=b"),
        ("create", "secret", "generic", "s", "-n", "team-b", "--from-literal=pw=hunter2"),
        ("create", "sa", "bot", "-n", "team-b"),
        ("create", "deployment", "d", "-n", "team-b", "--image=nginx:1.27", "--port=80", "--replicas=0"),
        ("create", "service", "nodeport", "np", "-n", "team-b", "--tcp=80:http"),
    ):
        result = kubectl(sb, *args)
        assert result.returncode == 0, (args, result.stderr)
    get = functools.partial(sb.call, sb.store.get)
    assert get("configmaps", "team-b", "c")["data"] == {"a": "b"}
    assert get("secrets", "team-b", "s")["data"] == {"pw": "aHVudGVyMg=="}
    deploy = get("deployments.apps", "team-b", "d")
    assert deploy["spec"]["replicas"] == 0 and deploy["spec"]["strategy"]["type"] == "RollingUpdate"
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["ports"]) == (
        "nginx:1.27",
        [{"containerPort": 80, "protocol": "TCP"}],
    )
    assert get("services", "team-b", "np")["spec"]["ports"][0]["targetPort"] == "http"
    assert kubectl(sb, "delete", "ns", "team-b").returncode == 0
    assert get("configmaps", "team-b", "c") is None and get("namespaces", None, "team-b") is None
