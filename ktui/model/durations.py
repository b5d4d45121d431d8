"""Ages as kubectl prints them (``duration.HumanDuration``, ``translateTimestampSince``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ktui.durations import human_duration, next_change

__all__ = ["human_duration", "next_change", "since", "since_changes"]


def since(moment: datetime | None, now: datetime) -> str:
    """Age of a timestamp, ``<unknown>`` when absent (kubectl's translateTimestampSince)."""
    if moment is None:
        return "<unknown>"
    return human_duration((now - moment).total_seconds())


def since_changes(moment: datetime | None, now: datetime) -> datetime | None:
    """When ``since(moment, now)`` next reads differently (None: never, for an unknown moment)."""
    if moment is None:
        return None
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return moment  # in the future (clock skew): "0s" until then at least
    return moment + timedelta(seconds=next_change(seconds))
