"""Malformed and invalid requests: the real Status code and reason, and the store unchanged."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlparse

import pytest

from ktui.sandbox.runner import Sandbox
from ktui.sandbox.store import Store


def request(
    sb: Sandbox,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    url = urlparse(sb.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = raw.decode()
        return resp.status, dict(resp.headers), parsed
    finally:
        conn.close()


def snapshot(store: Store) -> list[tuple[str, str, str]]:
    """(kind, name, resourceVersion) of everything stored, plus the global resourceVersion."""
    out = [("rv", "", str(store.resource_version))]
    for key in ("namespaces", "nodes", "pods", "configmaps", "deployments.apps", "events"):
        items, _ = store.list(key)
        out.extend((key, o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in items)
    return out


PODS = "/api/v1/namespaces/default/pods"
CASES = [
    ("POST", PODS, "{not json", 400, "BadRequest"),
    ("POST", PODS, "", 400, "BadRequest"),
    ("POST", PODS, "[1, 2]", 400, "BadRequest"),
    (
        "POST",
        PODS,
        '{"apiVersion": "v1", "kind": "Frobnicator", "metadata": {"name": "x"}}',
        400,
        "BadRequest",
    ),
    (
        "POST",
        PODS,
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {"containers": '
        '[{"name": "c", "image": "i"}]}}',
        422,
        "Invalid",
    ),
    (
        "POST",
        PODS,
        '{"kind": "Pod", "metadata": {"name": "Bad_Name"}, "spec": {"containers": '
        '[{"name": "c", "image": "i"}]}}',
        422,
        "Invalid",
    ),
    ("POST", PODS, '{"kind": "Pod", "metadata": {"name": "nocontainers"}, "spec": {}}', 422, "Invalid"),
    (
        "POST",
        PODS,
        '{"kind": "Pod", "metadata": {"name": "x", "labels": {"a": 1}}, "spec": {"containers": '
        '[{"name": "c", "image": "i"}]}}',
        400,
        "BadRequest",
    ),
    (
        "POST",
        PODS,
        '{"kind": "Pod", "metadata": {"name": "running"}, "spec": {"containers": '
        '[{"name": "c", "image": "i"}]}}',
        409,
        "AlreadyExists",
    ),
    (
        "POST",
        PODS,
        '{"kind": "Pod", "metadata": {"name": "x", "namespace": "other"}, "spec": {"containers": '
        '[{"name": "c", "image": "i"}]}}',
        400,
        "BadRequest",
    ),
    (
        "POST",
        "/api/v1/namespaces/nosuch/pods",
        '{"kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}',
        404,
        "NotFound",
    ),
    (
        "PUT",
        PODS + "/running",
        '{"kind": "Pod", "metadata": {"name": "other"}, "spec": {"containers": []}}',
        400,
        "BadRequest",
    ),
    (
        "PUT",
        PODS + "/running",
        '{"kind": "Pod", "metadata": {"name": "running", "resourceVersion": "1"}, '
        '"spec": {"containers": [{"name": "c", "image": "i"}]}}',
        409,
        "Conflict",
    ),
    ("PATCH", PODS + "/running", '{"spec": ', 400, "BadRequest"),
    ("PATCH", PODS + "/nosuch", '{"metadata": {"labels": {"a": "b"}}}', 404, "NotFound"),
    ("PATCH", PODS + "/running", '[{"op": "remove", "path": "/spec/nothing"}]', 422, "Invalid"),
    ("DELETE", PODS + "/nosuch", None, 404, "NotFound"),
    ("GET", "/api/v1/namespaces/default/frobnicators", None, 404, "NotFound"),
    ("GET", "/apis/apps/v1/namespaces/default/deployments/web", None, 404, "NotFound"),
    ("GET", "/api/v1/pods/running", None, 404, "NotFound"),
    ("GET", "/openapi/v2", None, 404, "NotFound"),
    ("GET", PODS + "?labelSelector=app%20in%20(", None, 400, "BadRequest"),
    ("GET", PODS + "?fieldSelector=spec.bogus%3Dx", None, 400, "BadRequest"),
    ("GET", PODS + "?limit=abc", None, 400, "BadRequest"),
    ("GET", PODS + "?limit=1&continue=garbage", None, 400, "BadRequest"),
    ("POST", PODS + "/running", "{}", 405, "MethodNotAllowed"),
    ("GET", PODS + "/running/log?container=nope", None, 400, "BadRequest"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "reason"), CASES, ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES]
)
def test_bad_request_gets_status_and_store_is_unchanged(
    sandbox_factory: Any, method: str, path: str, body: str | None, code: int, reason: str
) -> None:
    sb = sandbox_factory("seed", simulate=False)
    before = sb.call(snapshot, sb.store)
    status, headers, doc = request(
        sb,
        method,
        path,
        body,
        {"Content-Type": "application/json-patch+json"} if body and body.startswith("[{") else None,
    )
    assert status == code, doc
    assert doc["kind"] == "Status" and doc["status"] == "Failure"
    assert doc["code"] == code and doc["reason"] == reason and doc["message"]
    assert headers["Cache-Control"] == "no-cache, private" and "Content-Length" in headers
    assert sb.call(snapshot, sb.store) == before
    assert request(sb, "GET", PODS)[0] == 200  # still serving


def test_messages_match_the_apiserver(sandbox_factory: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    _, _, doc = request(sb, "GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert doc["message"] == 'deployments.apps "web" not found'
    assert doc["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    _, _, doc = request(
        sb,
        "POST",
        PODS,
        '{"kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [{"name": "c"}]}}',
    )
    assert doc["message"] == 'Pod "x" is invalid: spec.containers[0].image: Required value'
    assert doc["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"}
    ]
    _, _, doc = request(sb, "GET", "/api/v1/namespaces/default/frobnicators")
    assert doc["message"] == "the server could not find the requested resource"
    _, _, doc = request(sb, "GET", PODS + "/running/log?container=nope")
    assert doc["message"] == "container nope is not valid for pod running"


def test_discovery_and_version(sandbox_factory: Any) -> None:
    sb = sandbox_factory("empty", simulate=False)
    status, _, version = request(sb, "GET", "/version?timeout=5s")
    assert status == 200 and version["minor"] == "32" and version["gitVersion"] == "v1.32.4"
    aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    _, headers, doc = request(sb, "GET", "/apis", headers={"Accept": aggregated})
    assert headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert {g["metadata"]["name"] for g in doc["items"]} >= {
        "apps",
        "networking.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
    }
    _, headers, legacy = request(sb, "GET", "/api")
    assert headers["Content-Type"] == "application/json" and legacy["kind"] == "APIVersions"
    _, _, resources = request(sb, "GET", "/api/v1")
    names = {r["name"] for r in resources["resources"]}
    assert {"pods", "pods/log", "pods/portforward", "pods/status", "events", "nodes"} <= names


def test_logs_of_an_unscheduled_pod_are_empty(sandbox_factory: Any) -> None:
    sb = sandbox_factory("seed", simulate=False)
    status, headers, body = request(sb, "GET", PODS + "/pending/log")
    assert (status, body) == (200, "") and headers["Content-Type"].startswith("text/plain")
    sb.apply_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: two}\nspec: {containers: "
        "[{name: a, image: x}, {name: b, image: y}]}"
    )
    status, _, doc = request(sb, "GET", PODS + "/two/log")
    assert status == 400
    assert doc["message"] == "a container name must be specified for pod two, choose one of: [a b]"
