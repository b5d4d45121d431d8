"""KeysFooter recomposes when the keys it shows change, and only then."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label
from textual.widgets._footer import FooterKey

from ktui.ui.widgets.keys_footer import KeysFooter


class _Keys(App[None]):
    BINDINGS = [("p", "probe", "Probe"), ("l", "logs", "Logs")]

    def __init__(self) -> None:
        super().__init__()
        self.probe_on = False
        self.composed = 0

    def compose(self) -> ComposeResult:
        yield Label("x")
        yield KeysFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "probe" and not self.probe_on else True


async def test_footer_follows_enabled_keys_and_skips_same_keys() -> None:
    app = _Keys()
    async with app.run_test() as pilot:
        footer = app.query_one(KeysFooter)
        await pilot.pause()

        def probe_key() -> FooterKey:
            return next(k for k in footer.query(FooterKey) if k.action == "probe")

        assert probe_key().has_class("-disabled")
        first = probe_key()
        for _ in range(3):  # the same keys: nothing recomposed
            app.screen.refresh_bindings()
            await pilot.pause()
        assert probe_key() is first
        app.probe_on = True
        app.screen.refresh_bindings()
        await pilot.pause()
        assert not probe_key().has_class("-disabled") and probe_key() is not first
