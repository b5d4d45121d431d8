"""The selected object as the server has it now (YAML), fetched on demand in a worker."""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ktui.kube.client import KubeError
from ktui.resources import ref_of
from ktui.ui.messages import DetailLoaded
from ktui.ui.source import Source


class DetailScreen(ModalScreen[None]):
    """An object's full YAML (pod, Service, Ingress, Deployment...), read from the API server when opened."""

    BINDINGS = [
        Binding("escape,q,d", "dismiss", "Close", id="detail.close"),
        Binding("y", "copy", "Copy YAML", id="detail.copy"),
    ]

    def __init__(self, obj: Any, source: Source) -> None:
        super().__init__()
        self.obj = obj
        """The record whose server copy is shown."""
        self.source = source
        self.text = ""
        """The YAML once loaded."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-scroll"):
            what = f"{self.obj.kind.lower()} {self.obj.metadata.name}"
            yield Static(Text(f"Loading {what}…", "dim"), id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        name = f"{self.obj.kind.lower()}/{self.obj.metadata.name}"
        self.query_one("#detail-scroll").border_title = f"{name} (YAML, from the server)"
        self.query_one("#detail-scroll").focus()
        self._fetch()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _fetch(self) -> None:
        ref = ref_of(self.obj)
        try:
            text = self.source.object_yaml(ref)
        except KubeError as exc:
            self.post_message(DetailLoaded(ref.name, "", exc.message))
            return
        self.post_message(DetailLoaded(ref.name, text))

    @on(DetailLoaded)
    def _loaded(self, event: DetailLoaded) -> None:
        body = self.query_one("#detail-body", Static)
        if event.error:
            body.update(Text.assemble(("Could not read the object: ", "bold red"), event.error))
            return
        self.text = event.text
        # Syntax renders the text as data: nothing in it is interpreted as markup.
        body.update(Syntax(event.text, "yaml", theme="ansi_dark", background_color="default"))

    def action_copy(self) -> None:
        """Copy the YAML."""
        if self.text:
            self.app.copy_text(self.text)  # type: ignore[attr-defined]
