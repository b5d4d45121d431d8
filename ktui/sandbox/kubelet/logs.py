"""Container log buffers and the kubelet's log reading: tail, since, timestamps, limit, follow.

Each container instance keeps its own buffer, so the previous run's log survives a restart as the
kubelet keeps the last dead container's log file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

_MAX_LINES = 20_000  # a rotated log keeps its tail


@dataclass(frozen=True)
class LogLine:
    """One line as the CRI log file stores it."""

    nanos: int
    stream: str
    data: bytes


def rfc3339_nano(nanos: int) -> str:
    """Go's ``time.RFC3339Nano`` (trailing zeros of the fraction trimmed)."""
    secs, frac = divmod(nanos, 1_000_000_000)
    base = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{frac:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


class ContainerLog:
    """An append-only log with waiters for ``follow``."""

    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.closed = False
        self._changed = asyncio.Event()
        self._dropped = 0

    def write(self, text: str, stream: str = "stdout") -> None:
        """Append text; each line gets its own timestamp, like the runtime's log writer."""
        if self.closed:
            return
        parts = text.split("\n")
        if parts and parts[-1] == "":
            parts.pop()
        for part in parts:
            self.lines.append(LogLine(time.time_ns(), stream, part.encode() + b"\n"))
        if len(self.lines) > _MAX_LINES:
            drop = len(self.lines) - _MAX_LINES
            del self.lines[:drop]
            self._dropped += drop
        self._wake()

    def close(self) -> None:
        """The container exited: followers finish."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def read(
        self,
        *,
        follow: bool,
        tail_lines: int | None,
        since_seconds: int | None,
        timestamps: bool,
        limit_bytes: int | None,
    ) -> AsyncIterator[bytes]:
        """The log as the kubelet serves it, then (with ``follow``) new lines until the container ends."""
        start = 0
        if since_seconds is not None:
            cutoff = time.time_ns() - since_seconds * 1_000_000_000
            while start < len(self.lines) and self.lines[start].nanos < cutoff:
                start += 1
        if tail_lines is not None:
            start = max(start, len(self.lines) - max(tail_lines, 0))
        remaining = limit_bytes if limit_bytes is not None and limit_bytes > 0 else None
        position = start + self._dropped
        while True:
            changed = self._changed  # taken before reading, so a write during our yield is not missed
            index = position - self._dropped
            batch = self.lines[max(index, 0) :]
            position += len(batch)
            if batch:
                chunk = b"".join(
                    (rfc3339_nano(line.nanos).encode() + b" " + line.data) if timestamps else line.data
                    for line in batch
                )
                if remaining is not None:
                    chunk = chunk[:remaining]
                    remaining -= len(chunk)
                yield chunk
                if remaining is not None and remaining <= 0:
                    return
            if not follow or self.closed:
                return
            await changed.wait()
