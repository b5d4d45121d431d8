"""Pure parts of the probe keys: what each key offers for a pod, the result book, hop marks."""

from __future__ import annotations

from datetime import timedelta

from ui_fixtures import NOW, network_snapshot

from ktui.model.paths import CONTAINER_PORT, HopState, path_for
from ktui.resources import ProbeResult, Ref
from ktui.ui.probe_book import ProbeBook
from ktui.ui.probe_targets import ingress_choices, nothing_in_front, pod_choices, service_choices
from ktui.ui.widgets.path_view import probed_state


def _pod(snapshot, name):  # type: ignore[no-untyped-def]
    return next(p for p in snapshot.pods if p.metadata.name == name)


def _result(name: str, ok: bool, port: int, seconds: int, kind: str = "Service") -> ProbeResult:
    return ProbeResult(
        target=Ref(kind=kind, namespace="default", name=name, uid=f"uid-svc-{name}"),
        ok=ok,
        summary="refused" if not ok else "answers",
        hop=CONTAINER_PORT,
        port=port,
        at=NOW + timedelta(seconds=seconds),
    )


def test_choices_for_running_and_for_a_pod_nothing_selects() -> None:
    snap = network_snapshot()
    running = _pod(snap, "running")
    assert [c.label for c in pod_choices(running)] == ["pod running port 80 (web)"]
    services = service_choices(snap, running)
    assert [(c.target.name, c.port) for c in services] == [("nginx-service", 80), ("nginx-wrong-port", 80)]
    [ingress] = ingress_choices(snap, running)
    assert (ingress.target.name, ingress.host, ingress.path) == ("nginx", "nginx.example.test", "/")
    assert ingress.label == "ingress nginx: nginx.example.test/ -> nginx-service:80"
    backoff = _pod(snap, "backoff")
    assert service_choices(snap, backoff) == [] and ingress_choices(snap, backoff) == []
    assert nothing_in_front("Service", backoff) == "no Service selects pod backoff (no labels)"


def test_book_keeps_the_latest_per_target_and_port_and_orders_merges() -> None:
    book = ProbeBook()
    assert book.merge() == (1, None)
    book.add(_result("nginx-wrong-port", False, 8080, 0))
    book.add(_result("nginx-wrong-port", True, 8080, 5))
    book.add(_result("nginx-service", True, 80, 1))
    assert [(r.target.name, r.ok) for r in book.results()] == [
        ("nginx-wrong-port", True),
        ("nginx-service", True),
    ]
    seq, merged = book.merge(network_snapshot())
    assert seq == 2 and merged is not None and len(merged.probes) == 2
    seq2, again = book.merge()  # the last raw snapshot, merged again (after a probe finished)
    assert seq2 > seq and again is not None and again.pods == merged.pods


def test_a_refused_probe_marks_its_hop_broken_and_an_answer_proves_an_unknown_one() -> None:
    snap = network_snapshot()
    path = path_for(snap, Ref(kind="Pod", namespace="default", name="running", uid="uid-default-running"))
    hop_8080 = next(h for h in path.hops(CONTAINER_PORT) if h.port == 8080)
    assert hop_8080.state is HopState.UNKNOWN  # no container declares 8080: the snapshot cannot tell
    assert probed_state(hop_8080, [_result("nginx-wrong-port", False, 8080, 0)]) is HopState.BROKEN
    # The latest result wins.
    later_ok = [_result("nginx-wrong-port", False, 8080, 0), _result("nginx-wrong-port", True, 8080, 9)]
    assert probed_state(hop_8080, later_ok) is HopState.OK
    assert probed_state(hop_8080, []) is HopState.UNKNOWN
