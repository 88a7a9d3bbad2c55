"""Per-account order-rate governor: a rolling window shared by every leg and every run."""

from __future__ import annotations

import threading
from collections import deque

from .clock import SYSTEM, Clock, sleep_until
from .errors import ConfigError


class Governor:
    """At most `limit` sends in any `window_s`. Legs of one batch go out together up to the limit."""

    def __init__(
        self, limit: int = 10, window_s: float = 1.0, margin_s: float = 0.05, *, clock: Clock = SYSTEM
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ConfigError("The governor needs a limit of at least 1 per a positive window.")
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        # Sends leave us a little before they reach the exchange; the margin absorbs network jitter.
        self._span = window_s + margin_s * window_s
        self._sent: deque[float] = deque()
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
                now = self.clock.monotonic()
                while self._sent and self._sent[0] + self._span <= now:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    self.waits += waited
                    return True
                free_at = self._sent[0] + self._span
            waited = True
            # Waiters race for the slot that frees; the losers see the next one. No polling: the window is coarse.
            if not sleep_until(free_at, stop, clock=self.clock, poll_s=0.0):
                return False
