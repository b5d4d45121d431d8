"""Pilot tests on the static seed fixture: list, filter, namespaces, panes, logs, copy, resilience."""

from __future__ import annotations

from typing import Any

import msgspec
from conftest import static_app, wait_for
from textual.widgets import Input, OptionList
from ui_fixtures import seed_snapshot

from ktui.kube.client import KubeError
from ktui.ui.widgets.events_view import EventsView
from ktui.ui.widgets.log_view import LogView
from ktui.ui.widgets.pod_table import PodTable


def statuses(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {row.name: row.status for row in app.main_screen.table.rows}


def select(app, name: str) -> None:  # type: ignore[no-untyped-def]
    table = app.main_screen.table
    uid = next(row.uid for row in table.rows if row.name == name)
    assert table.select_uid(uid)


async def test_seed_pods_with_kubectl_statuses() -> None:
    app = static_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
        assert statuses(app) == {
            "backoff": "ImagePullBackOff",
            "error": "CrashLoopBackOff",
            "pending": "Pending",
            "running": "Running",
        }
        row = next(r for r in app.main_screen.table.rows if r.name == "error")
        assert (row.ready, row.restarts, row.age, row.node) == ("0/1", "5 (2m ago)", "10m", "node-1")


async def test_filter_text_and_selector_then_escape_clears() -> None:
    app = static_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.main_screen.table
        await wait_for(pilot, lambda: table.rows, what="rows")
        await pilot.press("slash", *"crash")
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["error"], what="text filter")
        box = app.main_screen.query_one("#filter", Input)
        box.value = "app=nginx"
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["running"], what="selector filter")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(table.rows) == 4, what="filter cleared")
        assert not box.display


async def test_namespace_switch_through_the_picker() -> None:
    app = static_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.main_screen.table
        await wait_for(pilot, lambda: table.rows, what="rows")
        await pilot.press("n")
        options = await wait_for(pilot, lambda: app.screen.query(OptionList).first(), what="picker")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels == ["all namespaces", "default", "kube-system", "shop"]
        options.highlighted = labels.index("shop")
        await pilot.press("enter")
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["cart-7d4b9c-x2x9z"], what="shop pods")
        assert app.source.namespace == "shop"
        await pilot.press("n")
        options = await wait_for(pilot, lambda: app.screen.query(OptionList).first(), what="picker")
        options.highlighted = 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(table.rows) == 5, what="all namespaces")
        assert table.show_namespace


async def test_events_pane_shows_only_the_selected_pods_events() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
        select(app, "backoff")
        await pilot.press("e")
        events = app.main_screen.query_one(EventsView)
        await wait_for(pilot, lambda: events.rows, what="events")
        assert {e.reason for e in events.rows} == {"Failed", "Pulling", "BackOff"}
        assert [e.type for e in events.rows][:2] == ["Warning", "Warning"]
        assert events.rows[0].age == "10s (x20 over 8m50s)"
        select(app, "pending")
        await wait_for(pilot, lambda: [e.reason for e in events.rows] == ["FailedScheduling"], what="pending")


async def test_previous_logs_and_why_no_logs() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
        select(app, "error")
        await pilot.press("p")
        view = app.main_screen.query_one(LogView)
        await wait_for(pilot, lambda: "sleep: invalid time interval 'a'" in view.lines, what="previous logs")
        pane = app.main_screen.log_pane
        assert pane.previous
        select(app, "backoff")
        pane.source.logs_by_key[("backoff", "web", False)] = KubeError(  # type: ignore[attr-defined]
            'container "web" in pod "backoff" is waiting to start: trying and failing to pull image'
        )
        await wait_for(pilot, lambda: pane.notice.startswith("No logs"), what="no-logs reason")
        assert pane.notice == (
            'No logs: container "web" is waiting to start (ImagePullBackOff): '
            'Back-off pulling image "nginx:not-exist".'
        )


async def test_log_search_highlights_and_jumps_without_hiding_lines() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
        select(app, "running")
        await pilot.press("l")
        view = app.main_screen.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count == 40, what="logs")
        await pilot.press("slash", *"page/1")
        await wait_for(pilot, lambda: view.match_count == 11, what="matches")  # 1, 10..19
        assert view.line_count == 40  # search never filters lines away
        await pilot.press("enter", "n")
        assert view.current_match == 1
        await pilot.press("N", "N")
        assert view.current_match == 10  # wraps around backwards


async def test_copy_a_command_takes_the_system_or_osc52_path() -> None:
    app = static_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
        select(app, "error")
        await wait_for(pilot, lambda: app.main_screen.query_one("#diagnosis").findings, what="diagnosis")
        await pilot.press("y")
        options = await wait_for(pilot, lambda: app.screen.query(OptionList).first(), what="copy picker")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        command_index = next(i for i, label in enumerate(labels) if label.startswith("$ "))
        options.highlighted = command_index
        await pilot.press("enter")
        expected = labels[command_index][2:]
        await wait_for(pilot, lambda: app.clipboard == expected, what="clipboard")
        assert app.clipboard_method in ("system", "osc52")
        if app.clipboard_method == "system":
            import pyperclip

            assert pyperclip.paste() == expected


def no_data_at_start(app: Any, state: str, message: str) -> Any:
    """The app's static source, made to start with a connection state and no snapshot."""
    source = app.source
    source.start = lambda on_snapshot, on_status: (
        setattr(source, "_on_snapshot", on_snapshot),
        setattr(source, "_on_status", on_status),
        on_status(state, message, {}),
    )
    return source


async def test_unreachable_at_start_then_live() -> None:
    app = static_app()
    source = no_data_at_start(app, "unreachable", "dial tcp 127.0.0.1:6443: connection refused")
    async with app.run_test(size=(100, 30)) as pilot:
        banner = app.main_screen.query_one("#banner")
        await wait_for(pilot, lambda: banner.display, what="banner")
        assert "connection refused" in str(banner.render())
        assert "Retrying" in str(banner.render())
        source.status("live")
        source.push(seed_snapshot())
        await wait_for(pilot, lambda: not banner.display and app.main_screen.table.rows, what="live")


async def test_a_first_page_of_pods_shows_no_connecting_banner() -> None:
    # A big list: its first page is shown while the rest (and the other kinds) are still listed.
    app = static_app()
    source = no_data_at_start(app, "connecting", "connecting to https://127.0.0.1")
    first_page = msgspec.structs.replace(seed_snapshot(), synced=frozenset(), changes={}, version=1)
    async with app.run_test(size=(160, 45)) as pilot:
        banner = app.main_screen.query_one("#banner")
        await wait_for(pilot, lambda: banner.display, what="the banner before any data")
        source.status("connecting", "listing pods, services")  # asked, nothing answered yet
        await pilot.pause()
        assert "◌ connecting" in str(app.main_screen.query_one("StatusBar").render()) and banner.display
        source.push(first_page)
        source.status("connecting", "listing pods, services")
        await wait_for(pilot, lambda: app.main_screen.table.rows and not banner.display,
                       what="rows, no banner")
        source.status("connecting", "listing services")
        await pilot.pause()
        assert not banner.display
        status = str(app.main_screen.query_one("StatusBar").render())
        assert "◌ syncing" in status and "listing services" in status and "connecting" not in status


async def test_forbidden_events_say_which_permission() -> None:
    message = (
        'events is forbidden: User "dev" cannot list resource "events" in API group "" '
        'in the namespace "default"'
    )
    app = static_app()
    app.source.snapshot = seed_snapshot(forbidden={"list events": message})  # type: ignore[attr-defined]
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
        await pilot.press("e")
        body = app.main_screen.query_one("#events-body")
        await wait_for(pilot, lambda: "Cannot read events" in str(body.render()), what="forbidden note")
        assert 'cannot list resource "events"' in str(body.render())
        assert "⚠ 1 forbidden" in str(app.main_screen.query_one("#status").render())


async def test_cursor_stays_on_the_same_pod_when_rows_move() -> None:
    app = static_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.main_screen.query_one(PodTable)
        await wait_for(pilot, lambda: table.rows, what="rows")
        select(app, "pending")
        snap = seed_snapshot()
        extra = next(p for p in snap.pods if p.metadata.name == "running")
        import msgspec

        clones = tuple(
            msgspec.structs.replace(
                extra, metadata=msgspec.structs.replace(extra.metadata, name=f"aaa-{i}", uid=f"new-{i}")
            )
            for i in range(5)
        )
        app.source.push(msgspec.structs.replace(snap, pods=clones + snap.pods))  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: len(table.rows) == 9, what="new rows")
        assert table.cursor_row is not None and table.cursor_row.name == "pending"
