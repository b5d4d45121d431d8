"""An ``Input`` whose typing never lays the screen out again.

Textual's ``Input`` sets its ``virtual_size`` (a reactive declared with ``layout=True``) to the text's
width on every change of its value, and any layout request reflows the whole screen and repaints every
widget on it: at 10k pods that made each filter keystroke cost a full frame (~25-40 ms) instead of
repainting the box and the list. When the box's own size is fixed by the stylesheet (no ``auto``
width or height), its text can never move another widget, so a value change only needs a repaint:
the box scrolls its text by its own ``virtual_size``, which is still updated. Every other layout
request (shown or hidden, restyled, resized) goes through unchanged.
"""

from __future__ import annotations

from typing import Self

from textual.geometry import Region
from textual.widgets import Input


class FixedInput(Input):
    """An ``Input`` sized by the stylesheet: a new value repaints it without a screen layout."""

    _value_changing = False

    def _watch_value(self, value: str) -> None:
        # Only the requests made while the value changes are kept from the screen: and only when
        # no dimension is "auto" (then the text's width could change the box's size).
        self._value_changing = not self.styles.auto_dimensions
        try:
            super()._watch_value(value)
        finally:
            self._value_changing = False

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        """As ``Input.refresh``, without the layout pass a value change asks for."""
        if self._value_changing:
            layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
