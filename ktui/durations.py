"""kubectl's short durations (``duration.HumanDuration``) and when one next reads differently.

Pure and shared by the rows (``ktui.model``) and the diagnosis's evidence lines (``ktui.diagnosis``),
which print ages the same way. (The sandbox keeps its own copy: it imports no other ktui package.)
"""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """kubectl's short age (``duration.HumanDuration``): 45s, 5m10s, 12m, 3h5m, 2d3h, 1y20d."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        rest = secs % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def next_change(seconds: int) -> int:
    """The first whole second after ``seconds`` at which ``human_duration`` reads differently."""
    if seconds < 600:  # 45s, 5m10s: every second
        step = 1
    elif seconds < 8 * 3600:  # 162m, 5h10m: every minute
        step = 60
    elif seconds < 8 * 86400:  # 30h, 3d5h: every hour
        step = 3600
    else:  # 40d, 2y20d: every day at most
        step = 86400
    return (seconds // step + 1) * step
