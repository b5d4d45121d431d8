"""Hanging: the findings' item lists draw exactly what the two-column Table.grid they replace drew."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ktui.ui.widgets.diagnosis_view import Hanging

ROWS = [
    [("•", Text("FailedScheduling x12 over 3h: 0/50 nodes are available: 50 Insufficient nvidia.com/gpu. "
                "preemption: 0/50 nodes are available: 50 No preemption victims found for incoming pod."))],
    [("1.", Text("Lower the pod's requests, free capacity, or add nodes.")),
     ("2.", Text("Compare requests with node allocatable: `kubectl describe nodes`.")),
     ("3.", Text("short"))],
    [("$", Text("kubectl describe pod web-7d9c4b-xk2lp -n shop", "cyan")),
     ("$", Text("kubectl get events -n shop --field-selector involvedObject.name=web-7d9c4b-xk2lp", "cyan"))],
    [("•", Text("image registry.example.test/identity/auth:9.9.9-a-very-long-tag-with-no-spaces-at-all-x")),
     ("•", Text("two\nlines"))],
]


def _grid(rows: list[tuple[str, Text]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right", style="dim")
    grid.add_column(ratio=1)
    for bullet, text in rows:
        grid.add_row(bullet, text)
    return grid


def _lines(renderable: object, width: int) -> list[list[tuple[str, str]]]:
    console = Console(width=width, file=io.StringIO(), color_system="truecolor")
    lines = console.render_lines(renderable, console.options.update_width(width), pad=False)
    return [[(s.text, str(s.style)) for s in Segment.simplify(line)] for line in lines]


@pytest.mark.parametrize("width", [12, 30, 47, 78, 160])
@pytest.mark.parametrize("rows", ROWS)
def test_same_cells_and_styles_as_the_table(rows: list[tuple[str, Text]], width: int) -> None:
    assert _lines(Hanging(rows), width) == _lines(_grid(rows), width)
