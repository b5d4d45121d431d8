"""A `now` that notes when an answer computed from it stops being true, so findings can be cached.

Rules read the time only through ``ix.now`` (a ``Clock``): ``ix.now - t`` gives an ``Elapsed``, and
comparing it with a threshold (``> STARTUP_GRACE``) notes the exact moment the comparison flips;
``age()`` notes the moment its kubectl-style text next changes. The engine resets ``expires`` before
judging one object and reads it after: the object's findings stay valid while ``now < expires``.
Anything the clock cannot follow (other arithmetic on the time) notes ``now`` itself, which means
"judge again next time": never a stale answer, only a lost saving.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

_TICK = timedelta(microseconds=1)


class Clock(datetime):
    """The snapshot's time, noting the earliest moment at which a result read from it would change."""

    expires: datetime | None
    _dt: datetime

    def __new__(cls, now: datetime) -> Clock:
        now = _plain(now)
        self = datetime.__new__(
            cls, now.year, now.month, now.day, now.hour, now.minute, now.second, now.microsecond,
            now.tzinfo, fold=now.fold,
        )
        self.expires = None
        self._dt = now
        return self

    def note(self, moment: datetime) -> None:
        """A result read now changes at ``moment`` (kept if earlier than what is noted already)."""
        moment = _plain(moment)
        if self.expires is None or moment < self.expires:
            self.expires = moment

    def volatile(self) -> None:
        """A result the clock cannot follow: it is good for this snapshot only."""
        self.expires = _plain(self)

    def plain(self) -> datetime:
        """The same moment as a plain datetime (reads through it are not followed)."""
        return _plain(self)

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, datetime):
            return Elapsed(datetime.__sub__(_plain(self), _plain(other)), self, _plain(other))
        self.volatile()
        return datetime.__sub__(_plain(self), other)

    def __rsub__(self, other: Any) -> Any:
        self.volatile()
        return _plain(other) - _plain(self)

    def __add__(self, other: Any) -> Any:
        self.volatile()
        return datetime.__add__(_plain(self), other)

    __radd__ = __add__

    def __lt__(self, other: Any) -> bool:
        result = datetime.__lt__(_plain(self), _plain(other))
        if result is True:
            self.note(other)  # true until now reaches other
        return result

    def __le__(self, other: Any) -> bool:
        result = datetime.__le__(_plain(self), _plain(other))
        if result is True:
            self.note(_plain(other) + _TICK)
        return result

    def __gt__(self, other: Any) -> bool:
        result = datetime.__gt__(_plain(self), _plain(other))
        if result is False:
            self.note(_plain(other) + _TICK)  # false until now passes other
        return result

    def __ge__(self, other: Any) -> bool:
        result = datetime.__ge__(_plain(self), _plain(other))
        if result is False:
            self.note(other)
        return result

    def __eq__(self, other: object) -> bool:
        return datetime.__eq__(_plain(self), _plain(other) if isinstance(other, datetime) else other)

    __hash__ = datetime.__hash__


class Elapsed(timedelta):
    """``now - since``: comparing it with a threshold notes when the comparison flips."""

    _clock: Clock
    _since: datetime

    def __new__(cls, delta: timedelta, clock: Clock, since: datetime) -> Elapsed:
        self = timedelta.__new__(cls, delta.days, delta.seconds, delta.microseconds)
        self._clock = clock
        self._since = since
        return self

    def _plain(self) -> timedelta:
        return timedelta(self.days, self.seconds, self.microseconds)

    def __gt__(self, other: Any) -> bool:
        result = timedelta.__gt__(self._plain(), other)
        if result is False:
            self._clock.note(self._since + other + _TICK)
        return result

    def __ge__(self, other: Any) -> bool:
        result = timedelta.__ge__(self._plain(), other)
        if result is False:
            self._clock.note(self._since + other)
        return result

    def __lt__(self, other: Any) -> bool:
        result = timedelta.__lt__(self._plain(), other)
        if result is True:
            self._clock.note(self._since + other)
        return result

    def __le__(self, other: Any) -> bool:
        result = timedelta.__le__(self._plain(), other)
        if result is True:
            self._clock.note(self._since + other + _TICK)
        return result

    def __eq__(self, other: object) -> bool:
        self._clock.volatile()
        return timedelta.__eq__(self._plain(), other)

    __hash__ = timedelta.__hash__

    def total_seconds(self) -> float:
        """Seconds, as a float; any use of them is taken to change at the next whole second."""
        seconds = timedelta.total_seconds(self)
        if seconds >= 0:
            self._clock.note(self._since + timedelta(seconds=math.floor(seconds) + 1))
        else:
            self._clock.note(self._since)
        return seconds

    def _other(self, op: str, *args: Any) -> Any:
        self._clock.volatile()
        return getattr(self._plain(), op)(*args)

    def __add__(self, other: Any) -> Any:
        return self._other("__add__", other)

    def __sub__(self, other: Any) -> Any:
        return self._other("__sub__", other)

    def __mul__(self, other: Any) -> Any:
        return self._other("__mul__", other)

    def __truediv__(self, other: Any) -> Any:
        return self._other("__truediv__", other)

    def __floordiv__(self, other: Any) -> Any:
        return self._other("__floordiv__", other)

    def __neg__(self) -> Any:
        return self._other("__neg__")

    def __abs__(self) -> Any:
        return self._other("__abs__")


def _plain(moment: Any) -> Any:
    return moment._dt if isinstance(moment, Clock) else moment


def elapsed_plain(now: datetime, since: datetime) -> timedelta:
    """``now - since`` without noting anything (the caller notes the exact boundary itself)."""
    return datetime.__sub__(_plain(now), _plain(since))
