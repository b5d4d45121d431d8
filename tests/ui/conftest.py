"""UI test helpers: static apps, seed sandboxes, plain text, and polling with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from ui_fixtures import SEED_LOGS, seed_snapshot

from ktui.ui.app import KtuiApp
from ktui.ui.static_source import StaticSource


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Let the app run until condition() is truthy; fail with `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def static_app(snapshot: Any = None, **kwargs: Any) -> KtuiApp:
    """The app over the seed fixture (fixed clock), as the snapshot tests use it."""
    source = StaticSource(
        snapshot if snapshot is not None else seed_snapshot(),
        context="ktui-sandbox",
        server="http://127.0.0.1:6443",
        logs_by_key=dict(SEED_LOGS),
        other_contexts=("staging",),
        **kwargs,
    )
    return KtuiApp(source)


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic screens: no blinking cursor in inputs (harlequin's autouse fixture)."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture(scope="module")
def seed_sandbox() -> Iterator[Any]:
    """A sandbox running the seed scenario, fast-forwarded so crash loops climb within a test."""
    from ktui.sandbox.runner import Sandbox

    with Sandbox("seed", speed=10) as sandbox:
        yield sandbox


def _ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


@pytest.fixture(scope="module")
def seed() -> Iterator[Any]:
    """A seed sandbox with `running` and the ingress controller Ready."""
    from ktui.sandbox.runner import Sandbox

    with Sandbox(scenario="seed", speed=20) as sb:

        def up(store: Any) -> bool:
            pods = store.list("pods")[0]
            return any(p["metadata"]["name"] == "running" and _ready(p) for p in pods) and any(
                p["metadata"]["namespace"] == "ingress-nginx" and _ready(p) for p in pods
            )

        sb.wait_for(up, timeout=30)
        yield sb


def plain(renderable: object, width: int = 160) -> str:
    """A renderable as plain text."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()
