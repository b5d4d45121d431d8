"""Pilot tests of the TUI against a real seed sandbox, over HTTP through the real client."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import wait_for
from textual.widgets import OptionList

from ktui.kube.client import connect
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.events_view import EventsView
from ktui.ui.widgets.log_view import LogView

pytestmark = pytest.mark.timeout(60)


def app_on(sandbox: Any, namespace: str | None = "default") -> KtuiApp:
    return make_app(connect(str(sandbox.kubeconfig)), namespace)


def status_of(app: KtuiApp, name: str) -> str | None:
    return next((r.status for r in app.main_screen.table.rows if r.name == name), None)


def select(app: KtuiApp, name: str) -> None:
    table = app.main_screen.table
    assert table.select_uid(next(r.uid for r in table.rows if r.name == name))


async def test_seed_statuses_diagnosis_and_previous_logs(seed_sandbox: Any) -> None:
    app = app_on(seed_sandbox)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                status_of(app, "backoff") == "ImagePullBackOff"
                and status_of(app, "error") == "CrashLoopBackOff"
            ),
            timeout=20,
            what="seed failures",
        )
        assert status_of(app, "running") == "Running"
        assert status_of(app, "pending") == "Pending"
        severities = {r.name: r.severity for r in app.main_screen.table.rows}
        assert severities["running"] == "info" and severities["error"] == "error"

        table = app.main_screen.table
        table.focus()
        await pilot.press("home")
        # Only arrow keys: walk down until the cursor is on `error`.
        for _ in range(len(table.rows)):
            if table.cursor_row and table.cursor_row.name == "error":
                break
            await pilot.press("down")
        assert table.cursor_row is not None and table.cursor_row.name == "error"
        diagnosis = app.main_screen.query_one(DiagnosisView)
        await wait_for(
            pilot,
            lambda: diagnosis.findings and diagnosis.findings[0].subject.name == "error",
            what="diagnosis of error",
        )
        assert str(diagnosis.findings[0].severity) == "error"
        # The previous run's log is read as `ktui diagnose` reads it: the cause, not just "crashing".
        await wait_for(
            pilot,
            lambda: diagnosis.findings and diagnosis.findings[0].category == "bad_command",
            what="bad_command from the crash log",
        )

        await pilot.press("p")
        view = app.main_screen.query_one(LogView)
        await wait_for(pilot, lambda: "sleep: invalid time interval 'a'" in view.lines, what="previous logs")


async def test_server_change_updates_in_place_and_cursor_stays(seed_sandbox: Any) -> None:
    app = app_on(seed_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: status_of(app, "error") == "CrashLoopBackOff", timeout=20, what="crash")
        select(app, "error")
        table = app.main_screen.table
        before = next(r for r in table.rows if r.name == "error")
        # A new pod that sorts before `error` moves every row below it; the cursor must stay on `error`.
        seed_sandbox.apply_yaml(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: aaa-new, namespace: default}\n"
            "spec: {containers: [{name: web, image: 'nginx:not-exist'}]}\n"
        )
        await wait_for(pilot, lambda: status_of(app, "aaa-new") is not None, timeout=15, what="new pod")
        await wait_for(
            pilot,
            lambda: next(r for r in table.rows if r.name == "error").restart_count > before.restart_count,
            timeout=30,
            what="restarts climbing",
        )
        assert table.cursor_row is not None and table.cursor_row.name == "error"
        seed_sandbox.call(lambda: seed_sandbox.store.remove("pods", "default", "aaa-new"))


async def test_events_pane_is_scoped_to_the_selected_pod(seed_sandbox: Any) -> None:
    app = app_on(seed_sandbox)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: status_of(app, "pending") == "Pending", timeout=20, what="pods")
        select(app, "pending")
        await pilot.press("e")
        events = app.main_screen.query_one(EventsView)
        await wait_for(
            pilot,
            lambda: any(e.reason == "FailedScheduling" for e in events.rows),
            timeout=15,
            what="FailedScheduling",
        )
        assert {e.reason for e in events.rows} == {"FailedScheduling"}
        select(app, "backoff")
        await wait_for(pilot, lambda: any(e.reason == "Failed" for e in events.rows), timeout=15, what="pull")
        assert "FailedScheduling" not in {e.reason for e in events.rows}
        uid = next(r.uid for r in app.main_screen.table.rows if r.name == "backoff")
        snapshot = app.main_screen.snapshot
        assert snapshot is not None
        own = {e.reason for e in snapshot.events if e.involved_object.uid == uid}
        assert {e.reason for e in events.rows} == own


async def test_filter_problems_only_and_namespace_switch(seed_sandbox: Any) -> None:
    app = app_on(seed_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await wait_for(
            pilot,
            lambda: status_of(app, "error") == "CrashLoopBackOff" and status_of(app, "running") == "Running",
            timeout=20,
            what="seed",
        )
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: "running" not in {r.name for r in table.rows}, what="problems only")
        assert {"backoff", "error", "pending"} <= {r.name for r in table.rows}
        await pilot.press("exclamation_mark", "slash", *"pend")
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["pending"], what="text filter")
        await pilot.press("escape")
        await pilot.press("n")
        options = await wait_for(pilot, lambda: app.screen.query(OptionList).first(), what="picker")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        options.highlighted = labels.index("all namespaces")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: any(r.namespace != "default" for r in table.rows),
            timeout=20,
            what="pods of other namespaces",
        )
        assert app.source.namespace is None and table.show_namespace


async def test_copy_kubectl_command(seed_sandbox: Any) -> None:
    app = app_on(seed_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: status_of(app, "backoff") == "ImagePullBackOff", timeout=20, what="pods"
        )
        select(app, "backoff")
        diagnosis = app.main_screen.query_one(DiagnosisView)
        await wait_for(pilot, lambda: any(f.commands for f in diagnosis.findings), what="commands")
        await pilot.press("y")
        options = await wait_for(pilot, lambda: app.screen.query(OptionList).first(), what="copy picker")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        index = next(i for i, label in enumerate(labels) if label.startswith("$ kubectl"))
        options.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.clipboard == labels[index][2:], what="clipboard")
        assert "backoff" in app.clipboard
        assert app.clipboard_method in ("system", "osc52")
