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
