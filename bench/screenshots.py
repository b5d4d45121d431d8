"""Render SVG screenshots of the demo (the seed scenario on a sandbox) into screenshots/.

    python -m bench.screenshots        (or: make screenshots)

The sandbox runs in-process and fast-forwarded until the seed's failures have settled (the crash
loop has restarted, the image pull has backed off); then the TUI is driven headless at a fixed size
and each screen is saved with Textual's ``save_screenshot``: the pod list, a crash loop with its
previous logs, the events pane, the connection path of `running` with two probe results, and the
Services view (`:svc`) with the selector typo's diagnosis.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

SIZE = (160, 45)
"""Terminal size of every screenshot."""

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def _until(pilot: Any, condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.05)


async def shoot(out: Path) -> list[Path]:
    """Drive the app over a seed sandbox and save the screenshots; returns their paths."""
    from ktui.kube.client import connect
    from ktui.sandbox.runner import Sandbox
    from ktui.ui.app import make_app
    from ktui.ui.widgets.log_view import LogView

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with Sandbox("seed", speed=10) as sandbox:
        app = make_app(connect(str(sandbox.kubeconfig)), "default")
        async with app.run_test(size=SIZE) as pilot:
            table = app.main_screen.table

            def status(name: str) -> str:
                return next((r.status for r in table.rows if r.name == name), "")

            def restarts(name: str) -> int:
                return next((r.restart_count for r in table.rows if r.name == name), 0)

            await _until(
                pilot,
                lambda: (
                    status("backoff") == "ImagePullBackOff"
                    and status("error") == "CrashLoopBackOff"
                    and restarts("error") >= 2
                ),
                60,
                "the seed",
            )

            def save(name: str) -> None:
                app.save_screenshot(filename=name, path=str(out))
                saved.append(out / name)

            await pilot.pause(0.3)
            save("pod-list.svg")

            table.focus()
            await pilot.press("home")
            while table.cursor_row is not None and table.cursor_row.name != "error":
                await pilot.press("down")
            await pilot.press("p")
            view = app.main_screen.query_one(LogView)
            await _until(pilot, lambda: view.line_count >= 2, 15, "previous logs")
            await pilot.pause(0.3)
            save("crashloop-diagnosis-previous-logs.svg")

            while table.cursor_row is not None and table.cursor_row.name != "backoff":
                table.focus()
                await pilot.press("up")
            await pilot.press("e")
            await pilot.pause(0.5)
            save("events-pane.svg")

            # The connection path of `running` after a pod probe (t) and a probe of the wrong-port
            # Service (T, picked in the chooser): one hop answers, the other is refused.
            from textual.widgets import OptionList

            from ktui.ui.screens.pickers import ProbePicker

            table.focus()
            while table.cursor_row is not None and table.cursor_row.name != "running":
                await pilot.press("down")
            await pilot.press("t")
            pane = app.main_screen.path_pane
            await _until(pilot, lambda: len(pane.view.results) >= 1, 30, "the pod probe")
            await pilot.press("T")
            await _until(pilot, lambda: isinstance(app.screen, ProbePicker), 10, "the service picker")
            options = app.screen.query_one(OptionList)
            labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            options.highlighted = next(i for i, label in enumerate(labels) if "nginx-wrong-port" in label)
            await pilot.press("enter")
            await _until(pilot, lambda: len(pane.view.results) >= 2, 30, "the service probe")
            app.clear_notifications()
            await pilot.pause(0.5)
            save("connection-path.svg")

            # `:svc`: the Services with their verdicts; the cursor on the worst (the selector typo),
            # whose diagnosis names the near miss.
            await pilot.press("escape", "escape")
            await pilot.press("colon", *"svc", "enter")
            services = app.main_screen.list_widget
            await _until(pilot, lambda: len(services.rows) >= 3, 15, "the services view")
            await _until(
                pilot,
                lambda: services.cursor_row is not None and services.cursor_row.name == "nginx-typo",
                10,
                "the typo Service under the cursor",
            )
            app.clear_notifications()
            await pilot.pause(0.5)
            save("services-view.svg")
    return saved


def main() -> int:
    """Entry point."""
    for path in asyncio.run(shoot(OUT)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
