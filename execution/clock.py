"""Time, injectable: a run, the governor and the paper exchange wait through one function.

A thread asleep until a deadline wakes about 0.1 to 0.2 ms late. `sleep_until` sleeps to just before the
deadline and polls the rest with sleep(0), which lets go of the interpreter lock on each turn, so other threads
run meanwhile. A stop event ends the wait at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

POLL_S = 0.002
# Indian Standard Time: the exchange's clock, and every time the trader reads. It has no daylight saving.
IST = timezone(timedelta(hours=5, minutes=30), "IST")


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall(self) -> float: ...

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None: ...

    def today(self) -> date:
        """The trading day in India at this clock's wall time."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def today(self) -> date:
        return trading_day(self)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        if stop is None:
            time.sleep(max(0.0, seconds))
        else:
            stop.wait(max(0.0, seconds))


@dataclass
class ManualClock:
    """A test clock: time moves only when a sleeper asks, so waits are instant and exact."""

    now: float = 1_000.0
    wall_offset: float = 1_764_000_000.0
    tick: float = 0.0005  # what a zero sleep (a yield while polling) costs, so a poll loop always advances
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_offset + self.now

    def today(self) -> date:
        return trading_day(self)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        if stop is not None and stop.is_set():
            return
        self.slept.append(seconds)
        self.now += max(self.tick, seconds)


SYSTEM = SystemClock()


@dataclass(frozen=True)
class ShiftedClock:
    """The real clock's pace from another moment: a paper market rehearsing a chosen day and time of day, and
    tests that must give the same result on any date. Every exchange handed one clock agrees on the time."""

    offset_s: float

    @classmethod
    def starting_at(cls, moment: datetime) -> ShiftedClock:
        return cls(moment.timestamp() - time.time())

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time() + self.offset_s

    def today(self) -> date:
        return trading_day(self)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        SYSTEM.sleep(seconds, stop)


def trading_day(clock: Clock | None = None) -> date:
    """The clock's date in India, where the exchange keeps its day (not the machine's: a UTC machine's date is
    behind India's from 18:30 to midnight UTC)."""
    return datetime.fromtimestamp((clock or SYSTEM).wall(), IST).date()


def sleep_until(
    deadline: float, stop: threading.Event | None = None, *, clock: Clock = SYSTEM, poll_s: float = POLL_S
) -> bool:
    """Return at the monotonic `deadline` (polling its last `poll_s`), or early once `stop` is set.

    True if the deadline was reached, False if `stop` ended the wait first.
    """
    left = deadline - clock.monotonic() - poll_s
    if left > 0:
        clock.sleep(left, stop)
    while clock.monotonic() < deadline:
        if stop is not None and stop.is_set():
            return False
        clock.sleep(0.0)
    return stop is None or not stop.is_set()
