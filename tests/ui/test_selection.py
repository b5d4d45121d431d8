"""The side panes' per-snapshot shortcuts: same results as the full scans, redraws only on a change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import msgspec
from conftest import static_app, wait_for
from textual.widgets import OptionList, Static
from ui_fixtures import NOW, RUNNING, event, pod, seed_snapshot

from ktui.decode import decode_object
from ktui.model.events import scoped_events
from ktui.resources import ClusterSnapshot, Pod
from ktui.ui.messages import SnapshotUpdated
from ktui.ui.probe_targets import ingresses_routing_to, services_in_front
from ktui.ui.screens.selection import EventIndex, FrontCache, PodLookup
from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.events_view import EventsView


def record(obj: dict[str, Any]) -> Any:
    return decode_object(obj)


def owned(kind: str, name: str, uid: str, owner: tuple[str, str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": uid}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "uid": owner[2], "controller": True}]
    return {"kind": kind, "apiVersion": "apps/v1", "metadata": meta, "spec": {}}


def chain_snapshot(extra_events: tuple[Any, ...] = ()) -> ClusterSnapshot:
    """web-1 <- ReplicaSet web-abc <- Deployment web, events about each (and about others), with ties."""
    deploy = record(owned("Deployment", "web", "uid-deploy"))
    rs = record(owned("ReplicaSet", "web-abc", "uid-rs", ("Deployment", "web", "uid-deploy")))
    owner = {"kind": "ReplicaSet", "name": "web-abc", "uid": "uid-rs", "controller": True}
    pods = [record(pod(f"web-{i}", status=RUNNING, owner=owner)) for i in range(3)]
    events = [
        record(event("e1", "web-1", type_="Warning", reason="BackOff", message="a", last=30)),
        record(event("e2", "web-2", type_="Warning", reason="BackOff", message="other pod", last=30)),
        record(event("e3", "web-abc", kind="ReplicaSet", type_="Normal", reason="Scaled", message="b",
                     last=30)),
        record(event("e4", "web", kind="Deployment", type_="Normal", reason="Scaled", message="c",
                     last=30)),
        record(event("e5", "web-1", type_="Normal", reason="Pulled", message="d", last=30)),  # ties e3, e4
        record(event("e6", "web-1", type_="Warning", reason="Failed", message="e", last=10)),
    ]
    events[2] = msgspec.structs.replace(
        events[2], involved_object=msgspec.structs.replace(events[2].involved_object, uid="uid-rs")
    )
    events[3] = msgspec.structs.replace(
        events[3], involved_object=msgspec.structs.replace(events[3].involved_object, uid="uid-deploy")
    )
    return ClusterSnapshot(
        now=NOW, pods=tuple(pods), replica_sets=(rs,), deployments=(deploy,), events=(*events, *extra_events)
    )


def test_event_index_gives_what_scoped_events_gives_over_every_event() -> None:
    snap = chain_snapshot()
    index = EventIndex()
    for p in snap.pods:
        assert index.scoped(snap, p) == scoped_events(snap, p)
    web1 = snap.pods[1]
    rows = index.scoped(snap, web1)
    assert [r.message for r in rows] == ["e", "a", "b", "c", "d"]  # warnings, newest, then snapshot order
    # A new events tuple is indexed again: the new event shows.
    more = chain_snapshot((record(event("e7", "web-1", type_="Warning", reason="OOM", message="f", last=5)),))
    assert index.scoped(more, web1) == scoped_events(more, web1)
    assert rows[0].message == "e" and index.scoped(more, web1)[0].message == "f"


def test_pod_lookup_follows_pods_that_move_come_and_go() -> None:
    pods = tuple(cast(Pod, record(pod(f"p{i}", status=RUNNING))) for i in range(5))
    lookup = PodLookup()
    assert lookup.get(pods, "uid-default-p3") is pods[3]
    changed = msgspec.structs.replace(pods[3], spec=msgspec.structs.replace(pods[3].spec, node_name="n9"))
    modified = (*pods[:3], changed, pods[4])
    assert lookup.get(modified, "uid-default-p3") is changed  # same slot, new record
    shifted = (pods[0], pods[2], changed, pods[4])  # p1 deleted: every later slot moved
    assert lookup.get(shifted, "uid-default-p3") is changed
    assert lookup.get(shifted, "uid-default-p1") is None
    assert lookup.get((*shifted, pods[1]), "uid-default-p1") is pods[1]  # came back at the end


def test_front_cache_matches_the_scan_and_follows_service_changes() -> None:
    from ui_fixtures import network_objects

    objs = [record(o) for o in network_objects()]
    snap = seed_snapshot(
        services=tuple(o for o in objs if o.kind == "Service"),
        ingresses=tuple(o for o in objs if o.kind == "Ingress"),
    )
    running = next(p for p in snap.pods if p.metadata.name == "running")
    front = FrontCache()
    services = services_in_front(snap, running)
    assert services, "the fixture has Services in front of `running`"
    expected = (*services, *ingresses_routing_to(snap, services))
    assert front.subjects(snap, running) == expected
    fewer = msgspec.structs.replace(snap, services=tuple(s for s in snap.services if s is not services[0]))
    assert services[0] not in front.subjects(fewer, running)


async def test_side_panes_redraw_for_the_selected_pod_only() -> None:
    base = seed_snapshot()
    app = static_app(base)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        table = screen.table
        await wait_for(pilot, lambda: table.rows, what="rows")
        assert table.select_uid("uid-default-backoff")
        events = screen.query_one(EventsView)
        await wait_for(pilot, lambda: {e.reason for e in events.rows} == {"Failed", "Pulling", "BackOff"})
        diagnosis_body = screen.query_one("#diagnosis-body", Static)
        events_body = screen.query_one("#events-body", Static)
        before = (diagnosis_body.content, events_body.content, screen.log_pane.pod)

        # Another pod changes (a new snapshot, new pods tuple): the panes are not redrawn.
        other = next(p for p in base.pods if p.metadata.name == "running")
        relabelled = msgspec.structs.replace(
            other, metadata=msgspec.structs.replace(other.metadata, labels={"app": "nginx", "v": "2"})
        )
        pods = tuple(relabelled if p is other else p for p in base.pods)
        app.source.push(msgspec.structs.replace(base, pods=pods, version=2))  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: screen.snapshot is not None and screen.snapshot.version == 2)
        assert diagnosis_body.content is before[0] and events_body.content is before[1]
        assert screen.log_pane.pod is before[2]

        # A new event about the selected pod: the events pane shows it.
        new_event = record(
            event("backoff.9", "backoff", type_="Warning", reason="Evicted", message="x", last=1)
        )
        app.source.push(  # type: ignore[attr-defined]
            msgspec.structs.replace(base, pods=pods, events=(*base.events, new_event), version=3)
        )
        await wait_for(pilot, lambda: "Evicted" in {e.reason for e in events.rows}, what="the new event")
        assert events_body.content is not before[1]

        # The selected pod's findings change (its image now pulls): the diagnosis is redrawn.
        diagnosis = screen.query_one(DiagnosisView)
        failing = [f for f in diagnosis.findings if str(f.severity) == "error"]
        assert failing, "the backoff pod starts with an error finding"
        backoff = next(p for p in pods if p.metadata.name == "backoff")
        fixed = cast(Pod, record(pod("backoff", status=RUNNING)))
        assert fixed.metadata.uid == backoff.metadata.uid
        pods = tuple(fixed if p is backoff else p for p in pods)
        app.source.push(msgspec.structs.replace(base, pods=pods, version=4))  # type: ignore[attr-defined]
        await wait_for(
            pilot,
            lambda: not any(str(f.severity) == "error" for f in diagnosis.findings),
            what="the diagnosis of the fixed pod",
        )
        assert diagnosis_body.content is not before[0]
        assert screen.log_pane.pod is fixed


def test_a_coalesced_snapshot_carries_the_changes_of_the_one_it_replaces() -> None:
    snap = seed_snapshot()
    older = SnapshotUpdated(snap, None, (), seq=1, changed=frozenset({"a"}), post=5, since=4)
    newer = SnapshotUpdated(snap, None, (), seq=2, changed=frozenset({"b"}), post=6, since=5)
    assert older.can_replace(newer)
    assert newer.changed == {"a", "b"} and newer.since == 4  # relative to what preceded the older one


async def test_changed_is_trusted_only_after_the_post_it_is_relative_to() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.main_screen.table
        await wait_for(pilot, lambda: table.rows, what="rows")
        await pilot.pause(0.1)
        snap, diagnosis = app.main_screen.snapshot, app.main_screen.diagnosis
        assert snap is not None
        rows = tuple(table._rows)
        by_name = {r.name: r for r in rows}

        def with_status(names: dict[str, str]) -> tuple[Any, ...]:
            return tuple(replace(r, status=names.get(r.name, r.status)) for r in rows)

        def post(new_rows: tuple[Any, ...], changed: set[str], number: int, since: int) -> None:
            app.post_message(SnapshotUpdated(snap, diagnosis, new_rows, seq=10**6 + number,
                                             changed=frozenset(changed), post=10**6 + number,
                                             since=10**6 + since))

        def shown() -> dict[str, str]:
            return {r.name: r.status for r in table.rows}

        # The first numbered post follows no applied one: its change set is not trusted, the rows are
        # diffed, so both changed rows show although the set names one.
        two = with_status({"running": "Gone", "pending": "Odd"})
        post(two, {by_name["running"].uid}, 1, 0)
        await wait_for(pilot, lambda: shown().get("pending") == "Odd", what="the diffed rows")
        assert shown()["running"] == "Gone"
        # Next in line: its change set is trusted (and complete here).
        three = tuple(replace(r, status="Back") if r.name == "running" else r for r in two)
        post(three, {by_name["running"].uid}, 2, 1)
        await wait_for(pilot, lambda: shown().get("running") == "Back", what="the changed row")
        # A gap (post 3 never arrived): diffed again, every changed row shows.
        four = tuple(replace(r, status="Gap") if r.name in ("running", "error") else r for r in three)
        post(four, {by_name["running"].uid}, 4, 3)
        await wait_for(pilot, lambda: shown().get("error") == "Gap", what="a row missing from the set")


async def test_after_a_cursor_move_keys_act_on_the_new_pod_and_the_panes_follow() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        table = screen.table
        await wait_for(pilot, lambda: table.rows, what="rows")
        diagnosis = screen.query_one(DiagnosisView)
        first = table.rows[0]
        await wait_for(pilot, lambda: diagnosis.findings, what="the first pod's diagnosis")
        await pilot.press("down", "y")  # copy at once, before the panes' deferred redraw may have run
        second = table.cursor_row
        assert second is not None and second.uid != first.uid
        assert screen.log_pane.pod is not None and screen.log_pane.pod.metadata.uid == second.uid
        options = await wait_for(pilot, lambda: app.screen.query(OptionList).first(), what="copy picker")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "the diagnosis" in labels
        expected = screen.diagnosis.for_uid(second.uid)  # type: ignore[union-attr]
        assert diagnosis.findings[: len(expected)] == tuple(expected)
        title = screen.query_one("#diagnosis-body", Static).content
        assert second.name in str(getattr(title, "renderables", [title])[0])


def test_pod_lookup_after_shifts_and_for_a_pod_not_there() -> None:
    pods = tuple(cast(Pod, record(pod(f"p{i}", status=RUNNING))) for i in range(300))
    lookup = PodLookup()
    assert lookup.get(pods, "uid-default-p200") is pods[200]
    shifted = pods[3:] + pods[:3]  # three came out in front: p200 is three places up
    assert lookup.get(shifted, "uid-default-p200") is pods[200]
    assert lookup.get(shifted, "uid-default-p5") is pods[5]  # another pod, its slot stale
    assert lookup.get(shifted, "uid-default-nope") is None
    far = tuple(reversed(pods))  # far from its slot: every pod mapped again
    assert lookup.get(far, "uid-default-p200") is pods[200]
    assert lookup.get(far, "uid-default-p0") is pods[0]


async def test_events_whose_ages_moved_are_redrawn_without_laying_the_screen_out() -> None:
    from datetime import timedelta

    base = seed_snapshot()
    app = static_app(base)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.table.rows, what="rows")
        assert screen.table.select_uid("uid-default-backoff")
        events = screen.query_one(EventsView)
        await wait_for(pilot, lambda: {e.reason for e in events.rows} == {"Failed", "Pulling", "BackOff"})
        body = screen.query_one("#events-body", Static)
        layouts: list[bool] = []
        update = body.update

        def recorded(content: Any = "", *, layout: bool = True) -> None:
            layouts.append(layout)
            update(content, layout=layout)

        body.update = recorded  # type: ignore[method-assign]
        ages = [e.age for e in events.rows]
        # A minute later, the same events: only their AGE texts move (same widths here).
        later = seed_snapshot(now=NOW + timedelta(minutes=1), version=2)
        app.source.push(later)  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: [e.age for e in events.rows] != ages, what="the new ages")
        assert layouts == [False]
        # A new event about the pod: new lines, laid out.
        extra = record(event("backoff-new", "backoff", type_="Warning", reason="Failed", message="new"))
        app.source.push(msgspec.structs.replace(later, events=(*later.events, extra), version=3))  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: any(e.message == "new" for e in events.rows), what="the new event")
        assert layouts[-1] is True
