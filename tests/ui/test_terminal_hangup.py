"""`ktui` in a real terminal exits when the terminal goes away without a SIGHUP.

A closed window or a dropped SSH session can leave a process whose terminal is hung up but which
got no signal. Its stdin then reads as end-of-file at once, forever: Textual's input thread would
spin on it at 100% of a core, with the app's port-forwards still open (textual#6690).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from typing import Any

from ktui.sandbox.runner import Sandbox


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    """Read the terminal's output until ``marker`` shows (or the time is up)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_ktui_exits_when_its_terminal_hangs_up(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Any
) -> None:
    sb = sandbox_factory("seed")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path)}
    env.pop("KUBECONFIG", None)
    # A session of its own: the terminal is not its controlling one, so closing it sends no SIGHUP.
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui", "--kubeconfig", str(sb.kubeconfig)],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
    )
    os.close(slave)
    try:
        shown = _read_until(master, b"backoff", 60)
        assert b"backoff" in shown, shown[-2000:]
        os.close(master)  # the window closes
        assert proc.wait(timeout=20) == 129  # as if ended by SIGHUP
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
