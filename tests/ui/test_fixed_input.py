"""FixedInput: typing repaints the box without laying the screen out; everything else as Input."""

from __future__ import annotations

from conftest import plain, static_app, wait_for
from rich.text import Text
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from ktui.ui.widgets.diagnosis_view import DiagnosisView
from ktui.ui.widgets.fixed_input import FixedInput


class CountingScreen(Screen[None]):
    """Counts the screen's layout passes."""

    layouts = 0

    def __init__(self, box: Input) -> None:
        super().__init__()
        self.box = box

    def compose(self) -> ComposeResult:
        yield self.box

    def _refresh_layout(self, size=None, scroll=False):  # type: ignore[no-untyped-def]
        self.layouts += 1
        return super()._refresh_layout(size, scroll)


class BoxApp(App[None]):
    CSS = "Input { width: 24; height: 3; } Input.-auto { width: auto; }"

    def __init__(self, box: Input) -> None:
        super().__init__()
        self.counting = CountingScreen(box)
        self.values: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(self.counting)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.values.append(event.value)


async def _layouts_while_typing(box: Input, text: str) -> tuple[BoxApp, int]:
    app = BoxApp(box)
    async with app.run_test(size=(60, 10)) as pilot:
        box.focus()
        await pilot.pause()
        before = app.counting.layouts
        await pilot.press(*text)
        await pilot.pause()
        return app, app.counting.layouts - before


async def test_typing_in_a_fixed_input_lays_nothing_out_but_a_plain_input_does() -> None:
    # The plain Input is the control: if Textual stops asking for a layout, this test says so.
    _, plain = await _layouts_while_typing(Input(), "abc")
    assert plain >= 1
    app, fixed = await _layouts_while_typing(FixedInput(), "abc")
    assert fixed == 0
    assert app.values == ["a", "ab", "abc"]  # Changed is still posted for every keystroke


async def test_a_fixed_input_still_scrolls_long_text_and_shows_and_hides() -> None:
    box = FixedInput()
    app = BoxApp(box)
    async with app.run_test(size=(60, 10)) as pilot:
        box.focus()
        await pilot.press(*"x" * 60)
        await pilot.pause()
        assert box.value == "x" * 60
        assert box.scroll_x > 0  # the cursor at the end stays in view
        box.display = False
        await pilot.pause()
        assert box.region.height == 0
        box.display = True
        await pilot.pause()
        assert box.region.height == 3


async def test_a_fixed_input_with_an_auto_width_lays_out_as_input_does() -> None:
    # An auto width follows the text, so the layout it asks for is needed.
    box = FixedInput(classes="-auto")
    _, layouts = await _layouts_while_typing(box, "abc")
    assert layouts >= 1


async def test_filter_keystroke_then_the_panes_follow_the_new_row() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        table = screen.table
        await wait_for(pilot, lambda: table.rows, what="rows")
        body = screen.query_one("#diagnosis-body", Static)

        def title() -> str:
            return plain(body.content).split("\n")[0]

        # The first rows' pod gets its diagnosis after the frame that shows the rows.
        first = table.cursor_row
        assert first is not None
        await wait_for(pilot, lambda: first.name in title(), what="first pod's diagnosis")
        await pilot.press("slash", *"crash")
        await wait_for(pilot, lambda: [r.name for r in table.rows] == ["error"], what="filtered")
        await wait_for(pilot, lambda: "error" in title(), what="panes on 'error'")
        assert screen.pod_row is not None and screen.pod_row.name == "error"
        assert isinstance(screen.query_one("#filter"), FixedInput)


async def test_the_same_message_again_does_not_redraw_the_diagnosis() -> None:
    app = static_app()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: screen.table.rows, what="rows")
        view = screen.query_one(DiagnosisView)
        body = view.query_one("#diagnosis-body", Static)
        await wait_for(pilot, lambda: not screen._side_pending, what="the first pod's panes")
        view.show_message(Text("No pod selected.", "dim"))
        await pilot.pause()
        shown = body.content
        view.show_message(Text("No pod selected.", "dim"))
        assert body.content is shown  # not updated again
        view.show_message(Text("Another message.", "dim"))
        await pilot.pause()
        assert "Another message." in plain(body.content)
