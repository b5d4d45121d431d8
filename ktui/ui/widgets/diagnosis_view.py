"""The selected object's findings: summary, detail, evidence, next steps and kubectl commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.segment import Segment
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

SEVERITY_STYLE = {
    "error": "bold red",
    "warning": "bold yellow",
    "unknown": "bold magenta",
    "info": "bold green",
}
"""How each severity is drawn (rich styles; all text from the cluster goes in as Text, never markup)."""

SEVERITY_LABEL = {"error": "✖ ERROR", "warning": "▲ WARNING", "unknown": "? CANNOT TELL", "info": "✔ OK"}
"""The label in front of a finding."""


def finding_text(finding: Any) -> Text:
    """One finding as plain-layout rich Text (cluster strings appended as text, never parsed as markup)."""
    severity = str(finding.severity)
    text = Text()
    text.append(SEVERITY_LABEL.get(severity, severity.upper()) + "  ", SEVERITY_STYLE.get(severity, "bold"))
    text.append(finding.summary, "bold")
    if finding.code:
        text.append(f"  {finding.code}", "dim")
    text.append("\n")
    if finding.detail:
        text.append(finding.detail.strip() + "\n")
    for title, items, bullet in (
        ("Evidence", finding.evidence, "•"),
        ("Next steps", finding.next_steps, "#"),
        ("Commands", finding.commands, "$"),
    ):
        if items:
            text.append(title + "\n", "bold underline")
            for number, item in enumerate(items, 1):
                text.append(f"  {number if bullet == '#' else bullet} ", "dim")
                text.append(item + "\n", "cyan" if bullet == "$" else "")
    return text


class Hanging:
    """Items under a bullet column, wrapped lines indented under their item (a hanging indent).

    Draws what a two-column ``Table.grid`` (bullet right-aligned in 3 cells, dim; then the item)
    drew, the same cells and styles, in a fifth of the time: the table measured and laid out its
    columns on every render, and Textual renders a finding twice per layout (its height, then its
    lines), on every cursor move and every snapshot that changes the selected pod's findings.
    """

    def __init__(self, rows: Sequence[tuple[str, Text]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # The table's item column: as wide as the widest item, at most what the bullets leave.
        width = max(1, options.max_width - 4)
        column = min(width, max((cell_len(line) for _, text in self.rows for line in text.plain.split("\n")),
                                default=1))
        dim = console.get_style("dim")
        indent = Segment("    ", dim)
        new_line = Segment.line()
        for bullet, text in self.rows:
            lines = text.wrap(console, column, justify="left", overflow="ellipsis")  # padded to it
            for number, line in enumerate(lines):
                yield Segment(bullet.rjust(3) + " ", dim) if number == 0 else indent
                segments = line.render(console)
                if line.style:  # a line's own style is its base: render() leaves it out
                    segments = Segment.apply_style(segments, console.get_style(line.style))
                yield from segments
                yield new_line


def finding_renderable(finding: Any) -> Group:
    """One finding laid out with hanging indents, so wrapped evidence stays under its bullet."""
    severity = str(finding.severity)
    head = Text()
    head.append(SEVERITY_LABEL.get(severity, severity.upper()) + "  ", SEVERITY_STYLE.get(severity, "bold"))
    head.append(finding.summary, "bold")
    if finding.code:
        head.append(f"  {finding.code}", "dim")
    parts: list[Any] = [head]
    if finding.detail:
        parts.append(Text(finding.detail.strip()))
    sections = (
        ("Evidence", finding.evidence, "•"),
        ("Next steps", finding.next_steps, "#"),
        ("Commands  (y copies)", finding.commands, "$"),
    )
    for title, items, bullet in sections:
        if not items:
            continue
        parts.append(Text(title, "bold underline"))
        parts.append(Hanging([
            (f"{number}." if bullet == "#" else bullet, Text(item, "cyan" if bullet == "$" else ""))
            for number, item in enumerate(items, 1)
        ]))
    parts.append(Text(""))
    return Group(*parts)


def findings_of_related(diagnosis: Any, subjects: Sequence[Any]) -> tuple[Any, ...]:
    """Findings of the Services and Ingresses in front of a pod (``subjects``) that matter to it.

    A Running pod can still be unreachable; the cause then sits on a Service (wrong targetPort,
    selector) or an Ingress in front of it, and a Service or Ingress probe's evidence is filed
    under that object. Healthy ones without probe evidence are left out.
    """
    if diagnosis is None:
        return ()
    out = []
    for obj in subjects:
        for finding in diagnosis.for_uid(obj.metadata.uid):
            probed = any(line.startswith("probe ") for line in finding.evidence)
            if str(finding.severity) != "info" or probed:
                out.append(finding)
    return tuple(out)


def findings_as_plain_text(findings: Sequence[Any]) -> str:
    """The findings as plain text for the clipboard."""
    return "\n".join(finding_text(f).plain for f in findings).strip() + "\n"


class DiagnosisView(VerticalScroll, can_focus=True):
    """Scrollable findings of the object under the cursor."""

    BINDING_GROUP_TITLE = "Diagnosis"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings: tuple[Any, ...] = ()
        """The findings shown (root cause first)."""
        self._key: object = None
        self._message_key: object = None  # the message shown instead of findings, if any

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("Select a pod to see what is wrong with it.", "dim"), id="diagnosis-body")

    def show(
        self,
        title: Text,
        findings: Sequence[Any],
        extra: Text | None = None,
        related: Sequence[Any] = (),
        related_title: str = "In front of this pod (c shows the path)",
    ) -> None:
        """Show an object's findings under a title line, then those of the objects related to it."""
        key = (title.plain, tuple(findings), extra.plain if extra else None, tuple(related), related_title)
        if key == self._key:
            return
        scroll_home = self._key is None or (isinstance(self._key, tuple) and self._key[0] != title.plain)
        self._key = key
        self._message_key = None
        self.findings = tuple(findings) + tuple(related)
        parts: list[Any] = [title]
        for finding in findings:
            parts.append(finding_renderable(finding))
        if not findings:
            parts.append(Text("No diagnosis yet.", "dim"))
        if related:
            parts.append(Text(related_title, "bold reverse"))
        for finding in related:
            subject = finding.subject
            parts.append(Text(f"{subject.kind} {subject.name}", "bold underline"))
            parts.append(finding_renderable(finding))
        if extra is not None:
            parts.append(extra)
        self.query_one("#diagnosis-body", Static).update(Group(*parts))
        if scroll_home:
            self.scroll_home(animate=False)

    def show_message(self, message: Text) -> None:
        """Show a message instead of findings."""
        # Kept on every snapshot while nothing is selected (an empty filter result under a watch
        # storm): the same message again must not lay the screen out again.
        key = ("message", message.plain, str(message.style), tuple(message.spans))
        if key == self._message_key:
            return
        self._message_key = key
        self._key = None
        self.findings = ()
        self.query_one("#diagnosis-body", Static).update(message)
