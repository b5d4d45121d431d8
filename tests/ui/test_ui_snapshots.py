"""Snapshot tests of the main screens at fixed sizes over the static seed fixture (fixed clock)."""

from __future__ import annotations

from typing import Any

from conftest import static_app, wait_for
from textual.pilot import Pilot

from ktui.ui.widgets.log_view import LogView


async def _ready(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await wait_for(pilot, lambda: app.main_screen.table.rows, what="rows")
    await pilot.pause()


def _select(name: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        app: Any = pilot.app
        table = app.main_screen.table
        while table.cursor_row.name != name:
            await pilot.press("down")
        await pilot.pause()

    return run_before


def test_main_screen_80x24(snap_compare: Any) -> None:
    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=_ready)


def test_main_screen_160x45_on_crashloop(snap_compare: Any) -> None:
    assert snap_compare(static_app(), terminal_size=(160, 45), run_before=_select("error"))


def test_previous_logs_of_crashloop(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _select("error")(pilot)
        await pilot.press("p")
        app: Any = pilot.app
        view = app.main_screen.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count == 2, what="logs")
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(120, 36), run_before=run_before)


def test_events_pane_narrow(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _select("backoff")(pilot)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(100, 40), run_before=run_before)


def test_path_pane_with_probe_results(snap_compare: Any, monkeypatch: Any) -> None:
    """The Path pane of `running`: Ingress -> Services -> endpoint -> pod, a passed and a failed probe."""
    import time
    from datetime import timedelta

    from ui_fixtures import NOW, network_snapshot

    from ktui.resources import ProbeResult, Ref

    monkeypatch.setenv("TZ", "UTC")  # probe times print in local time
    time.tzset()
    monkeypatch.setattr(time, "tzset", time.tzset)
    results = [
        ProbeResult(
            target=Ref(kind="Pod", namespace="default", name="running", uid="uid-default-running"),
            ok=True,
            tested="pod running port web (80) through port-forward /",
            summary="pod running port web (80) answers HTTP 200 OK (4.2 ms)",
            hop="container-port",
            port=80,
            status_code=200,
            latency_ms=4.2,
            at=NOW - timedelta(seconds=30),
        ),
        ProbeResult(
            target=Ref(
                kind="Service", namespace="default", name="nginx-wrong-port", uid="uid-svc-nginx-wrong-port"
            ),
            ok=False,
            tested="service nginx-wrong-port:80 -> endpoint 10.244.0.5:8080 (pod running)",
            summary="service nginx-wrong-port:80: connection refused on targetPort 8080 of pod running: "
            "nothing listens there",
            hop="container-port",
            port=8080,
            at=NOW - timedelta(seconds=10),
        ),
    ]

    async def run_before(pilot: Pilot[Any]) -> None:
        app: Any = pilot.app
        for result in results:
            app.book.add(result)
        app.rediagnose()  # as a finished probe does: its evidence reaches the diagnosis
        await _select("running")(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.main_screen.path_pane.view.results, what="results on the path")
        await pilot.pause()

    try:
        app = static_app(network_snapshot(), namespace=None)
        assert snap_compare(app, terminal_size=(140, 44), run_before=run_before)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_services_view(snap_compare: Any) -> None:
    """`:svc` over the seed's Services: verdict marks, ports, endpoints, the wrong port's diagnosis."""
    from ui_fixtures import network_snapshot

    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("colon", *"svc", "enter")
        app: Any = pilot.app
        await wait_for(pilot, lambda: len(app.main_screen.list_widget.rows) == 2, what="services")
        await pilot.pause()

    assert snap_compare(static_app(network_snapshot()), terminal_size=(160, 40), run_before=run_before)
