"""`ktui diagnose --file`: output, --json shape, filters and exit codes (0 fine, 1 problems, 2 bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import CASES, SEED


def ktui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ktui", "diagnose", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def files(*paths: str) -> list[str]:
    return [a for p in paths for a in ("--file", p)]


def test_seed_json_shape_and_exit_1() -> None:
    res = ktui(*files(*SEED), "--json")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"findings"}
    by_name = {(f["subject"]["kind"], f["subject"]["name"]): f for f in reversed(doc["findings"])}
    assert by_name[("Pod", "backoff")]["category"] == "image_tag_not_found"
    assert by_name[("Pod", "backoff")]["severity"] == "error"
    assert by_name[("Pod", "running")]["category"] == "healthy"
    assert by_name[("Ingress", "nginx")]["code"] == "ING-001"
    for f in doc["findings"]:
        assert isinstance(f["evidence"], list) and isinstance(f["commands"], list)


def test_human_output_groups_pods_services_ingresses() -> None:
    res = ktui(*files(*SEED))
    assert res.returncode == 1
    out = res.stdout
    assert out.index("Pods") < out.index("Services") < out.index("Ingresses") < out.index("Nodes")
    assert "image_tag_not_found [POD-IMG-001]" in out
    assert "$ kubectl describe pod backoff -n default" in out
    assert "6 with errors" in out


def test_healthy_dump_exits_0_and_problems_only_prints_none() -> None:
    res = ktui("--file", str(CASES / "healthy.json"), "--problems-only", "--json")
    assert res.returncode == 0, res.stdout
    assert json.loads(res.stdout) == {"findings": []}


def test_namespace_and_label_filters() -> None:
    res = ktui(*files(*SEED), "-n", "ingress-nginx", "--json")
    names = {f["subject"]["name"] for f in json.loads(res.stdout)["findings"]}
    assert names == {"ingress-nginx-controller-8544b85788-c9m2g"} and res.returncode == 0
    res = ktui(*files(*SEED), "-l", "app=nginx", "--json")
    names = {f["subject"]["name"] for f in json.loads(res.stdout)["findings"]}
    assert names == {"running"}


def test_directory_of_dumps() -> None:
    res = ktui("--file", str(CASES), "--problems-only", "--json")
    assert res.returncode == 1
    cats = {f["category"] for f in json.loads(res.stdout)["findings"]}
    assert {"image_tag_not_found", "quota_exceeded", "ingress_tls_secret_missing"} <= cats


def test_cluster_data_is_not_markup(tmp_path: Path) -> None:
    dump = tmp_path / "evil.yaml"
    dump.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: evil, namespace: default}\n"
        "spec: {nodeName: n1, containers: [{name: c, image: x}]}\n"
        "status:\n  phase: Pending\n  containerStatuses:\n  - name: c\n    restartCount: 0\n"
        "    state: {waiting: {reason: ErrImagePull, message: '[bold red]boom[/] not found'}}\n"
    )
    res = ktui("--file", str(dump))
    assert "[bold red]boom[/]" in res.stdout


BAD = {
    "not-yaml.txt": ("just some words\n", "not a Kubernetes dump"),
    "broken.json": ('{"kind": "List", "items": [\n', "invalid JSON"),
    "broken.yaml": ("kind: Pod\nmetadata: {name: x\n", "not valid JSON or YAML"),
    "nokind.json": ('{"metadata": {"name": "x"}}', "no kind"),
    "scalar.json": ("[1, 2]", "item 0 is a int"),
    "unknown.yaml": ("apiVersion: v1\nkind: Banana\nmetadata: {name: x}\n", "unknown kind 'Banana'"),
    "badshape.json": (
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": 5}}',
        "Pod x",
    ),
    "empty.yaml": ("", "empty file"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_dump_exits_2_with_one_line(tmp_path: Path, name: str) -> None:
    text, reason = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    res = ktui("--file", str(path))
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ktui: error: ") and reason in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_missing_file_and_bad_selector_exit_2(tmp_path: Path) -> None:
    res = ktui("--file", str(tmp_path / "nope.json"))
    assert res.returncode == 2 and "no such file" in res.stderr
    res = ktui(*files(*SEED), "-l", "app in (a")
    assert res.returncode == 2 and "invalid label selector" in res.stderr


def test_unreachable_cluster_exits_2(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    res = ktui("--kubeconfig", str(kubeconfig), "--json")
    assert res.returncode == 2, res.stdout
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
