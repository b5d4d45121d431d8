"""Pure parts of the kube layer: typed watch-line decoding, Status bodies, log line splitting."""

from __future__ import annotations

import msgspec

from ktui import resources as r
from ktui.kube import api, logs, reflector
from ktui.model.feed_status import summarize

POD_LINE = (b'{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1",'
            b'"namespace":"default","uid":"u1","resourceVersion":"1011","managedFields":[{"x":1}]},'
            b'"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]},'
            b'"status":{"phase":"Running","containerStatuses":[{"name":"web","image":"nginx:1.27",'
            b'"imageID":"","ready":true,"restartCount":"3"}]}}}')
BOOKMARK = (b'{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1",'
            b'"metadata":{"resourceVersion":"1013"}}}')
GONE = (b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"too old resource version: 5 (1013)","reason":"Expired","code":410}}')


def test_pod_line_decodes_to_the_slim_record() -> None:
    ev = msgspec.json.Decoder(reflector.watch_event_type("Pod"), strict=False).decode(POD_LINE)
    assert ev.type == "MODIFIED"
    assert isinstance(ev.object, r.Pod)
    assert ev.object.metadata.resource_version == "1011"
    assert ev.object.status.container_statuses[0].restart_count == 3  # lenient like the list path


def test_bookmark_carries_only_the_resource_version() -> None:
    ev = msgspec.json.decode(BOOKMARK, type=reflector.watch_event_type("Pod"), strict=False)
    assert ev.type == "BOOKMARK" and ev.object.metadata.resource_version == "1013"


def test_error_line_does_not_fit_a_pod_and_is_read_as_a_status() -> None:
    etype, _ = reflector._slow_decode("Pod", GONE)
    assert etype == "ERROR"
    err = reflector._error_of(GONE)
    assert err.code == 410 and err.message == "too old resource version: 5 (1013)"


def test_secret_watch_object_keeps_key_names_only() -> None:
    line = (b'{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"db","uid":"s1",'
            b'"resourceVersion":"7"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}}')
    etype, rec = reflector._slow_decode("Secret", line)
    assert etype == "ADDED" and isinstance(rec, r.Secret)
    assert rec.keys == ("password",)
    assert b"aHVudGVyMg" not in msgspec.json.encode(rec)


def test_status_error_uses_the_server_message() -> None:
    err = api.status_error(400, "Bad Request", b'{"kind":"Status","message":"container \\"web\\" in pod '
                           b'\\"pull-1\\" is waiting to start: trying and failing to pull image",'
                           b'"reason":"BadRequest","code":400}')
    assert err.code == 400
    assert err.message == ('container "web" in pod "pull-1" is waiting to start: '
                           "trying and failing to pull image")
    plain = api.status_error(500, "Internal Server Error", b"boom\n")
    assert plain.message == '500 Internal Server Error: an error on the server ("boom")'


def test_resource_paths() -> None:
    assert api.RESOURCES["Pod"].path("team-a") == "/api/v1/namespaces/team-a/pods"
    assert api.RESOURCES["Pod"].path(None) == "/api/v1/pods"
    assert api.RESOURCES["Deployment"].path("x") == "/apis/apps/v1/namespaces/x/deployments"
    assert api.RESOURCES["Node"].path("x") == "/api/v1/nodes"  # cluster-scoped ignores namespace
    fields = set(r.SNAPSHOT_FIELD_BY_KIND) - {"Endpoints"}
    assert set(api.RESOURCES) == fields


def test_splitter_keeps_utf8_and_partial_lines() -> None:
    sp = logs._Splitter()
    data = "héllo wörld\nzweite Zeile\nend".encode()
    out: list[str] = []
    for i in range(len(data)):  # one byte at a time: multibyte characters cut mid-sequence
        out.extend(sp.feed(data[i:i + 1]))
    assert out == ["héllo wörld", "zweite Zeile"]
    assert sp.flush() == ["end"]


def test_feed_summary() -> None:
    assert summarize({"Pod": ("connecting", ""), "Node": ("live", "")})[0] == "connecting"
    done = {"Pod": ("live", ""), "Node": ("forbidden", "no"), "Job": ("absent", "")}
    assert summarize(done) == ("live", "")
    state, msg = summarize({"Pod": ("reconnecting", "connection lost"), "Node": ("live", "")})
    assert state == "reconnecting" and "pods" in msg and "connection lost" in msg
    down = {"Pod": ("unreachable", "cannot reach x"), "Node": ("unreachable", "y"), "Job": ("absent", "")}
    assert summarize(down) == ("unreachable", "cannot reach x")
    # Pods are served by every API server: a 404 for them is not "live with nothing in it".
    other = {"Pod": ("absent", "404 Not Found"), "Node": ("absent", "404 Not Found")}
    state, msg = summarize(other)
    assert state == "unreachable" and "does not serve pods (404 Not Found)" in msg


def test_null_lists_from_the_server_fall_back_to_defaults() -> None:
    # A real apiserver sends "endpoints": null for a slice without endpoints.
    line = (b'{"type":"ADDED","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",'
            b'"metadata":{"name":"web-x","namespace":"default","uid":"e1","resourceVersion":"9",'
            b'"labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":null,'
            b'"ports":null}}')
    etype, rec = reflector._slow_decode("EndpointSlice", line)
    assert etype == "ADDED" and isinstance(rec, r.EndpointSlice)
    assert rec.endpoints == () and rec.service_name == "web"
    page = (b'{"kind":"EndpointSliceList","metadata":{"resourceVersion":"12","continue":"abc"},"items":['
            + line[line.index(b'{"kind"'):-1] + b']}')
    items, rv, token = api.decode_list_lenient(api.RESOURCES["EndpointSlice"], page)
    assert [i.metadata.name for i in items] == ["web-x"] and (rv, token) == ("12", "abc")
