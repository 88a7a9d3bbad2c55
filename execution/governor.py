"""Per-account rate governor: a rolling window shared by every leg, every run and every process of the account."""

from __future__ import annotations

import fcntl
import math
import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from .clock import SYSTEM, Clock, sleep_until
from .errors import ConfigError, JournalError

_STAMP = struct.Struct("d")

ORDERS_PER_S = 10  # Kotak's order limit per account, per rolling second
READS_PER_S = 20  # reads (book, history, positions, quotes) kept well under Kotak's 25 a second per API
# The most an account's window admits in a real second, whatever it is told: Kotak's order limit, and for reads
# its 25 requests a second per API.
CEILING_PER_S = {"orders": ORDERS_PER_S, "reads": 25}


class Window(Protocol):
    def take(self, now: Callable[[], float], span: float, limit: int) -> float | None:
        """Record a send now (read from `now`) if fewer than `limit` were sent in the `span` before it and return
        None; else return when the oldest of them leaves the window."""
        ...


def _admit(stamps: list[float], t: float, span: float, limit: int) -> tuple[list[float], float | None]:
    """The sends still inside the window at `t`, with `t` added if it fits and None; else the same sends and
    when the oldest that blocks leaves the window. A stamp from the future was written before a reboot reset the
    clock: it says nothing now."""
    kept = sorted(s for s in stamps if t - span < s <= t + span)
    if len(kept) >= limit:
        return kept, kept[-limit] + span
    return [*kept, t], None


class LocalWindow:
    """The window of one process."""

    def __init__(self) -> None:
        self._sent: list[float] = []

    def take(self, now: Callable[[], float], span: float, limit: int) -> float | None:
        self._sent, free_at = _admit(self._sent, now(), span, limit)
        return free_at


class SharedWindow:
    """The window kept in a small file under an exclusive lock, so that every process of the account counts
    every other's sends. Times are the system's monotonic clock, which all processes of one boot share."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            # The data folder is private (0700), as the journal makes it, and so is the window (0600).
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(self._fd).st_mode & 0o077:
                os.fchmod(self._fd, 0o600)
        except OSError as exc:
            raise JournalError(f"The rate window at {self.path} cannot be opened: {exc.strerror}.") from None

    def take(self, now: Callable[[], float], span: float, limit: int) -> float | None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            # Read under the lock: a time read before waiting for it could sort before another process's sends.
            t = now()
            raw = os.pread(self._fd, _STAMP.size * 4096, 0)
            stamps: list[float] = [s for (s,) in _STAMP.iter_unpack(raw[: len(raw) - len(raw) % _STAMP.size])]
            stamps, free_at = _admit(stamps, t, span, limit)
            if free_at is None:
                data = b"".join(_STAMP.pack(s) for s in stamps)
                os.pwrite(self._fd, data, 0)
                os.ftruncate(self._fd, len(data))
            return free_at
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _check(limit: int, window_s: float, margin_s: float) -> None:
    """A limit, window and margin that can work: NaN or infinity would switch the window off."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"The order governor needs a whole limit of at least 1, got {limit!r}.")
    if not _finite(window_s) or not 0 < window_s <= 3600:
        raise ConfigError(f"The order governor's window is above 0 and at most 3600 s, got {window_s!r}.")
    if not _finite(margin_s) or not 0 <= margin_s <= 1:
        raise ConfigError(f"The order governor's margin is a share of its window from 0 to 1, got {margin_s!r}.")


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Governor:
    """At most `limit` sends in any `window_s`. Legs of one batch go out together up to the limit.

    A governor on an account's shared window (`shared`, which every process of the account counts in) never admits
    more than the broker's ceiling for what it `counts` in any real second: a shorter window or a higher limit is
    held to it, so no setting, flag or process lifts the account's limit. A governor of one process alone paces as
    it is told: benchmarks scale it with time against the paper exchange.
    """

    def __init__(
        self,
        limit: int = ORDERS_PER_S,
        window_s: float = 1.0,
        margin_s: float = 0.05,
        *,
        clock: Clock = SYSTEM,
        shared: str | os.PathLike[str] | None = None,
        counts: Literal["orders", "reads"] = "orders",
    ) -> None:
        _check(limit, window_s, margin_s)
        if shared is not None:
            # Both bounds are needed: L sends per window W < 1 s let up to L * ceil(1/W) into one second.
            limit = min(limit, CEILING_PER_S[counts])
            window_s = max(window_s, 1.0)
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        # Sends leave us a little before they reach the exchange; the margin absorbs network jitter.
        self._span = window_s + margin_s * window_s
        self._window: Window = SharedWindow(shared) if shared is not None else LocalWindow()
        self._lock = threading.Lock()
        self.waits = 0  # how many sends had to wait for the window

    @property
    def orders_per_s(self) -> float:
        return self.limit / self.window_s

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Block until a send is allowed; False if `stop` was set first (then nothing may be sent)."""
        waited = False
        while True:
            with self._lock:
                if stop is not None and stop.is_set():
                    return False
                free_at = self._window.take(self.clock.monotonic, self._span, self.limit)
                if free_at is None:
                    self.waits += waited
                    return True
            waited = True
            # Waiters race for the slot that frees; the losers see the next one. No polling: the window is coarse.
            if not sleep_until(free_at, stop, clock=self.clock, poll_s=0.0):
                return False
