"""The live-mode token's gate: one per server, shared by every tab, so guessing from many tabs is no faster."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from execution.errors import TraderError

log = logging.getLogger(__name__)

GUESSES_PER_MINUTE = 5
FIRST_PAUSE_S = 60.0
LONGEST_PAUSE_S = 3600.0


class TooManyGuesses(TraderError):
    def __init__(self, wait_s: float) -> None:
        super().__init__(f"Too many wrong tokens: try again in {wait_s:.0f} s.")
        self.wait_s = wait_s


class TokenGate:
    """At most 5 wrong tokens a minute; then nothing is compared for a pause that doubles each time (1 min, 2, 4...
    up to an hour) until the right token is given or an hour passes with no wrong one. A 32-character random token
    is out of reach of guessing anyway; the pause keeps a hostile page from trying at all for long."""

    def __init__(self, token: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._token = token.encode()
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: deque[float] = deque()
        self._closed_until = 0.0
        self._pause_s = FIRST_PAUSE_S
        self._last_failure = -float("inf")

    def unlocks(self, given: str) -> bool:
        """Whether `given` is the token. Raises TooManyGuesses, without looking at it, during a pause."""
        with self._lock:
            now = self._clock()
            if now < self._closed_until:
                raise TooManyGuesses(self._closed_until - now)
            if hmac.compare_digest(given.strip().encode(), self._token):
                self._failures.clear()
                self._pause_s = FIRST_PAUSE_S
                return True
            if now - self._last_failure >= LONGEST_PAUSE_S:  # a quiet hour: a typo today is not yesterday's attack
                self._pause_s = FIRST_PAUSE_S
            self._last_failure = now
            while self._failures and now - self._failures[0] >= 60.0:
                self._failures.popleft()
            self._failures.append(now)
            # Never the guess itself: a token mistyped by one character would be most of the real one.
            log.warning("A wrong live-mode token was given (%d in the last minute).", len(self._failures))
            if len(self._failures) >= GUESSES_PER_MINUTE:
                self._closed_until = now + self._pause_s
                log.warning("Live-mode token: no more tries for %.0f s.", self._pause_s)
                self._pause_s = min(2 * self._pause_s, LONGEST_PAUSE_S)
                self._failures.clear()
            return False
