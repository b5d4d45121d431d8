"""The footer of key bindings, recomposed only when the keys it would show changed.

Textual's ``Footer`` recomposes (unmounts and mounts one widget per key, ~13 ms at 160 columns) on
every ``bindings_updated_signal``, which the screen sends on each focus change and mount: six times
while the main screen mounts its lists and panes behind the first rows, with the same keys each
time. This one compares what it would show first.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[Any]) -> tuple[tuple[str, str, bool, str], ...]:
    """What a footer shows for the screen's active bindings: key, description, enabled, tooltip."""
    return tuple(
        (binding.key, binding.description, enabled, tooltip)
        for (_, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show
    )


class KeysFooter(Footer):
    """A ``Footer`` that skips recomposing when its keys are the ones it shows already."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[str, str, bool, str], ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        keys = shown_keys(screen)
        if keys == self._shown:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = keys  # the recompose Footer schedules now shows these
        super().bindings_changed(screen)
