"""Snapshot -> the rows the TUI shows: pods (kubectl's columns and status string) and scoped events.

The rows live in ``pod_rows``, ``row_filter``, ``events``, ``log_hints`` and ``durations``; this
module keeps the names callers import from it.

Pure functions of records and an injected clock, so every string is testable on fixtures. The pod
status string follows kubectl's ``printPod`` (k8s.io/kubernetes pkg/printers/internalversion):
Init:..., waiting/terminated reasons, Signal:N / ExitCode:N, Terminating; durations follow
``duration.HumanDuration`` (``45s``, ``5m10s``, ``3h``, ``2d3h``).
"""

from __future__ import annotations

from ktui.model.durations import human_duration, since
from ktui.model.events import EventRow, event_interval, owner_chain, scoped_events
from ktui.model.log_hints import container_names, why_no_logs
from ktui.model.pod_rows import (
    SEVERITY_RANK,
    SORT_KEYS,
    PodRow,
    PodStatusLine,
    is_ready,
    pod_row,
    pod_rows,
    pod_status,
    restarts_text,
    sort_rows,
)
from ktui.model.row_filter import RowFilter, SelectorError, matches_selector, parse_selector

__all__ = [
    "SEVERITY_RANK",
    "SORT_KEYS",
    "EventRow",
    "PodRow",
    "PodStatusLine",
    "RowFilter",
    "SelectorError",
    "container_names",
    "event_interval",
    "human_duration",
    "is_ready",
    "matches_selector",
    "owner_chain",
    "parse_selector",
    "pod_row",
    "pod_rows",
    "pod_status",
    "restarts_text",
    "scoped_events",
    "since",
    "sort_rows",
    "why_no_logs",
]
