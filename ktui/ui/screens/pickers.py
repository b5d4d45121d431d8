"""Small modal choosers: namespace, context, what to copy, and which probe to run."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

ALL_NAMESPACES = "\x00all"
"""The option id meaning "all namespaces" (not a valid namespace name)."""


class Picker(ModalScreen[str | None]):
    """Choose one item from a list, narrowing it by typing."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        """(label, value) pairs."""
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Static(Text(self.title_text, "bold"), classes="picker-title")
            yield Input(placeholder="type to narrow, enter picks, esc cancels", classes="picker-input")
            yield OptionList(*self._options(""), classes="picker-list")

    def _options(self, query: str) -> list[Option]:
        query = query.lower()
        return [
            Option(Text(label), id=str(index))
            for index, (label, _) in enumerate(self.options)
            if query in label.lower()
        ]

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for index, (_, value) in enumerate(self.options):
            if value == self.current:
                options.highlighted = index
                break
        else:
            options.highlighted = 0 if self.options else None
        if len(self.options) <= 8:
            self.query_one(Input).display = False
            options.focus()
        else:
            self.query_one(Input).focus()

    @on(Input.Changed)
    def _narrow(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        options.highlighted = 0 if options.option_count else None

    @on(Input.Submitted)
    def _submit(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._pick(options.get_option_at_index(options.highlighted))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option)

    def _pick(self, option: Option) -> None:
        self.dismiss(self.options[int(option.id or 0)][1])


class NamespacePicker(Picker):
    """Pick a namespace, or all namespaces."""

    def __init__(self, names: list[str], current: str | None) -> None:
        options = [("all namespaces", ALL_NAMESPACES)] + [(name, name) for name in names]
        if current is not None and current not in names:
            options.append((current, current))
        super().__init__("Namespace", options, ALL_NAMESPACES if current is None else current)


class ContextPicker(Picker):
    """Pick a kubeconfig context."""

    def __init__(self, names: list[str], current: str) -> None:
        super().__init__("Context", [(name, name) for name in names], current)


class CopyPicker(Picker):
    """Pick what to copy; the value is the text itself."""

    def __init__(self, choices: list[tuple[str, str]]) -> None:
        super().__init__("Copy to the clipboard", choices)


ALL_CHOICES = "\x00all"
"""The ProbePicker value meaning "every choice"."""


class ProbePicker(Picker):
    """Pick one probe (a port, a Service port, an Ingress rule) or all of them; the value is its index."""

    def __init__(self, title: str, labels: list[str], *, everything: str = "all of them") -> None:
        options = [(label, str(index)) for index, label in enumerate(labels)]
        super().__init__(title, [*options, (everything, ALL_CHOICES)])
