"""Simulated time: real Kubernetes durations, played faster by a speed factor.

Timestamps written into objects are real wall-clock UTC, so kubectl's ages stay truthful; only the
waits between state changes shrink (``--speed 10`` turns a 10 s back-off into 1 s of real time).
Messages that quote a duration (``back-off 20s restarting failed container``) quote the nominal one.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime


class SimClock:
    """Wall-clock timestamps, waits divided by ``speed``."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)

    def stamp(self) -> str:
        """The current time as an RFC 3339 string with seconds precision, as the API writes it."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def micro_stamp(self) -> str:
        """The current time as a MicroTime string (eventTime)."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def real_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of cluster time take in real time."""
        return sim_seconds / self.speed

    async def sleep(self, sim_seconds: float) -> None:
        """Wait ``sim_seconds`` of cluster time."""
        await asyncio.sleep(self.real_seconds(sim_seconds))
