"""Leave when the terminal is gone: a closed window or a dropped SSH session that sent no SIGHUP.

A hung-up terminal reads as end-of-file at once, every time. Textual's input thread goes on reading
it (textual#6690): the app would live on with no screen, its port-forwards open, spinning a core.
Nothing in Textual reports it, so the app asks once a second whether its stdin is still a terminal
(one ``isatty`` call; a hung-up terminal answers no) and exits when it is not.
"""

from __future__ import annotations

import os
import sys
from typing import Any

CHECK_EVERY = 1.0
"""Seconds between checks: a dead terminal costs at most this long of a spinning input thread."""
HANGUP_EXIT = 129
"""The exit status of a process ended by SIGHUP (128 + 1), as a shell reports it."""


def watch_terminal(app: Any, interval: float = CHECK_EVERY) -> None:
    """Exit ``app`` (status 129) once its terminal is gone; nothing to watch when headless or piped."""
    stdin = sys.__stdin__
    if app.is_headless or stdin is None:
        return
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):
        return
    if not os.isatty(fd):
        return

    def check() -> None:
        if not os.isatty(fd):
            app.exit(return_code=HANGUP_EXIT)

    app.set_interval(interval, check, name="terminal-watch")
