"""The cheap forms of findings, rows, templates and pull-message checks answer as the plain ones did."""

from __future__ import annotations

import dataclasses
import gc
import shlex
from datetime import UTC, datetime
from typing import Any

import msgspec

from ktui import resources as r
from ktui.diagnosis import shell
from ktui.diagnosis.catalog import CATALOG, ROLLUP, SERVICE_CAUSE, _Lenient, render
from ktui.diagnosis.findings import Finding, Severity, worst
from ktui.diagnosis.rules import images
from ktui.model.pod_rows import PodRow

REF = r.Ref(kind="Pod", namespace="shop", name="web-1", uid="u-1")


def _finding(severity: Severity = Severity.ERROR, **changes: object) -> Finding:
    base = Finding(REF, "app_crash", "POD-001", severity, "container web keeps crashing",
                   extra_commands=("k x",))
    return msgspec.structs.replace(base, **changes) if changes else base


def test_finding_and_row_keep_the_dataclass_api_and_stay_out_of_the_collector() -> None:
    f = _finding()
    g = dataclasses.replace(f, evidence=("log: x",))  # callers written for the dataclass still work
    assert g == msgspec.structs.replace(f, evidence=("log: x",)) and g != f
    assert dataclasses.is_dataclass(f)
    assert [x.name for x in dataclasses.fields(f)][:3] == ["subject", "category", "code"]
    assert hash(f) == hash(_finding()) and f == _finding()
    row = PodRow("u", "ns", "p", "1/1", "Running", "0", "5m", "n1", "info", 0, 0.0, (), "ns/p running n1")
    assert dataclasses.replace(row, age="6m") == msgspec.structs.replace(row, age="6m")
    gc.collect()
    assert not gc.is_tracked(f) and not gc.is_tracked(row)  # 10k of each are never walked by a collection


def test_worst_of_one_and_of_many() -> None:
    assert worst(()) == Severity.INFO
    assert worst((_finding(Severity.WARNING),)) == Severity.WARNING
    group = (_finding(Severity.INFO), _finding(Severity.UNKNOWN), _finding(Severity.WARNING))
    assert worst(group) == Severity.WARNING


def test_render_gives_what_format_map_gives() -> None:
    cases: list[dict[str, Any]] = [
        {"state": "Running, 1/1 ready", "namespace": "ns", "name": "n", "count": 3, "total": None},
        {"namespace": "ns"},
        {},
        {"why": "{not a field}", "container": "web", "exit_code": 137, "ratio": 0.5},
    ]
    templates = [t for e in CATALOG.values() for t in (e.summary, *e.steps)]
    templates += [ROLLUP, SERVICE_CAUSE, "", "no fields", "{{literal}} {name}", "{name!r}", "{count:>4}"]
    templates.append("{why[0]}")
    for template in templates:
        for params in cases:
            assert render(template, params) == template.format_map(_Lenient(params)), (template, params)


_MESSAGES = [
    'Failed to pull image "x": rpc error: code = NotFound desc = failed to resolve reference: not found',
    'Failed to pull image "x:1": manifest unknown',
    "pull access denied for x, repository does not exist or may require 'docker login'",
    "dial tcp: lookup registry.example.test: no such host",
    "Get https://r/v2/: dial tcp 10.0.0.1:443: connect: connection refused",
    "x509: certificate signed by unknown authority",
    "context deadline exceeded",
    "toomanyrequests: You have reached your pull rate limit",
    "received unexpected HTTP status: 503 Service Unavailable",
    "couldn't parse image reference \"UPPER:case\": invalid reference format",
    'Container image "x" is not present with pull policy of Never',
    'Back-off pulling image "registry.example.test/storefront/gateway:1.0.0-rc1"',
    "unauthorized: authentication required\nmanifest unknown",  # two match: the first in order wins
    "",
]


def _ordered(text: str) -> tuple[str, str]:
    """The classification as the rule reads it: each pattern in turn, first match wins."""
    order = [(images._INVALID, "image_invalid_name", ""), (images._NEVER, "image_never_pull", "")]
    order += [(p, "image_registry_unreachable", why) for p, why in images._UNREACHABLE]
    order += [(images._DENIED, "image_pull_access_denied", "")]
    order += [(images._NOT_FOUND, "image_tag_not_found", "")]
    return next(((cat, why) for p, cat, why in order if p.search(text)), ("", ""))


def test_cached_pull_message_classification_is_first_match_in_order() -> None:
    for text in _MESSAGES:
        assert images._pull_error(text) == _ordered(text), text
        assert images._pull_error(text) == _ordered(text)  # the cached answer too
    assert _ordered(_MESSAGES[-2]) == ("image_pull_access_denied", "")


def test_pull_failure_reason_outranks_the_messages() -> None:
    pod = r.Pod(metadata=r.ObjectMeta(name="p", namespace="ns", creation_timestamp=datetime.now(UTC)))
    spec = r.Container(name="web", image="registry.example.test/a/b:1")

    class _Ix:
        def forbidden(self, kind: str) -> None:
            return None

    ix: object = _Ix()
    hit = images.image_hit(ix, pod, spec, "InvalidImageName", ["manifest unknown"])  # type: ignore[arg-type]
    assert hit.category == "image_invalid_name"
    hit = images.image_hit(ix, pod, spec, "ErrImageNeverPull", ["manifest unknown"])  # type: ignore[arg-type]
    assert hit.category == "image_never_pull"
    hit = images.image_hit(ix, pod, spec, "ImagePullBackOff", ["x509: bad"])  # type: ignore[arg-type]
    assert (hit.category, hit.params["why"]) == ("image_registry_unreachable", "TLS certificate problem")
    hit = images.image_hit(ix, pod, spec, "ImagePullBackOff", [])  # type: ignore[arg-type]
    why = "ImagePullBackOff (no pull error message recorded)"
    assert (hit.category, hit.params["why"]) == ("image_pull_failed", why)


def test_quoting_names_is_what_shlex_gives() -> None:
    texts = ["web-1", "a.b-c", "", "-", ".", "x y", "it's", "UPPER_1", "ünï", "a;rm -rf", "$(x)", "a\nb"]
    for text in texts:
        assert shell.q(text) == shlex.quote(text), text


def test_a_healthy_pod_gets_the_finding_its_hits_give() -> None:
    from ktui.diagnosis.index import Index
    from ktui.diagnosis.rules.base import findings_for
    from ktui.diagnosis.rules.pods import fast_healthy, healthy_finding, pod_hits

    def pod(name: str, ready: tuple[bool, ...]) -> r.Pod:
        return msgspec.convert({
            "metadata": {"name": name, "namespace": "shop", "uid": f"u-{name}"},
            "spec": {"containers": [{"name": f"c{i}", "image": "x"} for i in range(len(ready))]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": f"c{i}", "image": "x", "ready": ok, "restartCount": 0,
                                              "state": {"running": {}}} for i, ok in enumerate(ready)]},
        }, r.Pod, strict=False)

    pods = [pod("one", (True,)), pod("two", (True, True)), pod("three", (True, True, True))]
    ix = Index(r.ClusterSnapshot(now=datetime(2026, 1, 1, tzinfo=UTC), pods=tuple(pods)))
    for p in pods:
        assert fast_healthy(p)
        plain = findings_for(p, pod_hits(ix, p))
        assert (healthy_finding(p),) == plain
        want = (f"kubectl describe pod {p.metadata.name} -n shop",)
        assert healthy_finding(p).commands == plain[0].commands == want
    assert healthy_finding(pods[1]).summary == "Running, 2/2 ready"
    assert not fast_healthy(pod("half", (True, False)))  # not healthy: the general rules judge it


def test_an_object_waiting_for_the_pod_list_gets_the_finding_its_hit_gives() -> None:
    from ktui.diagnosis.engine import loading_finding
    from ktui.diagnosis.rules.base import Hit, findings_for

    objects = [
        r.Deployment(metadata=r.ObjectMeta(name="web", namespace="shop", uid="d1")),
        r.Service(metadata=r.ObjectMeta(name="web", namespace="shop", uid="s1")),
    ]
    for obj in objects:
        plain = findings_for(obj, [Hit("pods_loading", {}, [], [shell.DESCRIBE_SUBJECT])])
        assert (loading_finding(obj),) == plain
        assert loading_finding(obj).commands == plain[0].commands
        assert loading_finding(obj).commands[0].startswith(f"kubectl describe {obj.kind.lower()} web")
