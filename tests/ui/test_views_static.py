"""The `:` command's parsing (pure), and the object views over fixed records (Pilot, no cluster)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from conftest import static_app, wait_for
from textual.widgets import Input
from ui_fixtures import network_snapshot

from ktui.ui.views import VIEWS, completions, parse_command, view_for
from ktui.ui.widgets.object_columns import layout
from ktui.ui.widgets.object_table import ObjectTable


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("po", "pods"),
        ("pods", "pods"),
        (":svc", "services"),
        ("Service", "services"),
        ("ing", "ingresses"),
        ("ingresses", "ingresses"),
        ("deploy", "deployments"),
        ("dp", "deployments"),
        ("deployment", "deployments"),
        ("rs", "replicasets"),
        ("no", "nodes"),
        ("nodes", "nodes"),
    ],
)
def test_k9s_aliases(text: str, view: str) -> None:
    command = parse_command(text)
    assert command.action == "view" and command.view is not None and command.view.name == view
    assert not command.has_argument


def test_commands_with_arguments() -> None:
    svc = parse_command("svc kube-system")
    assert svc.view is view_for("svc") and svc.argument == "kube-system" and svc.has_argument
    everywhere = parse_command("po all")
    assert everywhere.has_argument and everywhere.argument is None  # None: all namespaces
    assert parse_command("ns shop") == parse_command(":namespace shop")
    assert parse_command("ns shop").argument == "shop" and parse_command("ns").has_argument is False
    assert parse_command("ctx staging").action == "context"
    assert parse_command("q").action == "quit" and parse_command("help").action == "help"


def test_bad_commands_say_what_is_known() -> None:
    unknown = parse_command("pvc")
    assert unknown.action == "error" and "svc" in (unknown.argument or "")
    assert parse_command("").action == "error"
    assert parse_command("svc a b").action == "error"


def test_completions_cover_aliases_namespaces_and_contexts() -> None:
    words = completions(["default", "shop"], ["staging"])
    assert {"svc", "ing", "deploy", "no", "po"} <= set(words)
    assert "ns shop" in words and "ctx staging" in words
    assert {v.key for v in VIEWS} <= set(words)


def test_layout_drops_the_least_useful_columns_first() -> None:
    from ktui.model.object_rows import service_rows

    rows = service_rows(network_snapshot(), {}, {})
    wide = [name for name, _ in layout(rows, "Service", 160, show_namespace=True)]
    assert wide == [
        "NAMESPACE",
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "PORTS",
        "SELECTOR",
        "ENDPOINTS",
        "AGE",
        "VERDICT",
    ]
    narrow = layout(rows, "Service", 60, show_namespace=False)
    names = [name for name, _ in narrow]
    assert "CLUSTER-IP" not in names and {"NAME", "ENDPOINTS", "VERDICT"} <= set(names)
    assert 2 + sum(w + 1 for _, w in narrow) <= 60


async def test_services_view_filter_problems_and_prompt() -> None:
    app = static_app(network_snapshot())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.table.rows, what="pods")
        await pilot.press("colon")
        prompt = screen.query_one("#command", Input)
        assert prompt.display and prompt.has_focus
        await pilot.press(*"svc", "enter")
        assert not prompt.display and screen.view.name == "services"
        table = screen.list_widget
        assert isinstance(table, ObjectTable) and table.has_focus
        await wait_for(pilot, lambda: len(table.rows) == 2, what="services")
        assert [r.name for r in table.rows] == ["nginx-wrong-port", "nginx-service"]  # worst first
        assert screen.status.view == "services" and screen.status.counts == {"error": 1, "info": 1}
        tabs = [str(t.label) for t in screen.query("Tab") if t.display]
        assert "Logs" not in tabs

        await pilot.press("exclamation_mark")
        assert [r.name for r in table.rows] == ["nginx-wrong-port"]
        await pilot.press("exclamation_mark", "slash", *"nginx-serv")
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["nginx-service"], what="filter")
        await pilot.press("enter")  # leaves the filter bar
        await pilot.press("enter")  # on the Service: its pods
        assert screen.view.name == "pods"
        assert screen.table.filter_query == "-l app=nginx"
        assert [r.name for r in screen.table.rows] == ["running"]

        # The services view kept its own filter; the pods view keeps the selector.
        await pilot.press("colon", *"svc", "enter")
        assert screen.query_one("#filter", Input).value == "nginx-serv"
        assert [r.name for r in table.rows] == ["nginx-service"]

        await pilot.press("colon", *"pvc", "enter")
        await wait_for(
            pilot,
            lambda: any("unknown view" in n.message for n in app._notifications),
            what="the unknown command's toast",
        )
        assert screen.view.name == "services"


async def test_namespace_from_the_prompt_and_forbidden_list() -> None:
    snapshot = msgspec.structs.replace(
        network_snapshot(),
        ingresses=(),
        forbidden={"list ingresses": 'ingresses is forbidden: User "dev" cannot list'},
    )
    app = static_app(snapshot)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.table.rows, what="pods")
        await pilot.press("colon", *"ing", "enter")
        table: Any = screen.list_widget
        await pilot.pause()
        assert not table.rows and "Cannot list ingresses (forbidden)" in table.empty_message
        await pilot.press("colon", *"po", "space", *"shop", "enter")
        await wait_for(pilot, lambda: app.source.namespace == "shop", what="namespace switch")
        assert screen.view.name == "pods"
        await wait_for(
            pilot, lambda: [r.name for r in screen.table.rows] == ["cart-7d4b9c-x2x9z"], what="shop"
        )


async def test_palette_switches_views() -> None:
    app = static_app(network_snapshot())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.table.rows, what="pods")
        await pilot.press("ctrl+p", *"View: ingresses")
        from textual.command import CommandPalette

        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.pause(0.5)  # the providers search in the background
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.view.name == "ingresses", what="the ingresses view")
        table = screen.list_widget
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["nginx"], what="ingress rows")


async def test_problems_only_shows_in_the_status_line_at_once() -> None:
    app = static_app(network_snapshot())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.table.rows, what="pods")
        await pilot.press("colon", *"svc", "enter", "exclamation_mark")
        await pilot.pause()
        assert screen.status.problems_only and screen.status.shown == 1 and screen.status.pods == 2
        await pilot.press("colon", *"po", "enter", "exclamation_mark")
        await pilot.pause()
        assert screen.status.view == "pods" and screen.status.problems_only
        assert screen.status.shown == 3


async def test_yaml_of_a_service() -> None:
    from ktui.ui.screens.detail import DetailScreen

    app = static_app(network_snapshot())
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.main_screen.table.rows, what="pods")
        await pilot.press("colon", *"svc", "enter", "d")
        detail = await wait_for(
            pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen, what="yaml"
        )
        await wait_for(pilot, lambda: detail.text, what="the YAML loaded")
        assert "name: nginx-wrong-port" in detail.text and "targetPort: 8080" in detail.text
