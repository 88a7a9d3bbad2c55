"""Adaptive pacing, the seed's dynamic delay: the gap between batches moves between the trader's bounds, from how
the exchange answered the batch before.

A 429 or replies much slower than the run's best batch mean the exchange or the account's limit is under strain:
the delay steps up. Replies back near the best let it ease down again, more slowly than it rose.
"""

from __future__ import annotations

SLOW = 1.5  # a batch whose median reply is this many times the run's best is slow
UP_STEPS = 4  # a rise is at least a quarter of the range, and at least doubles the delay
DOWN_STEPS = 8  # an easing is an eighth of the range


def next_delay(
    delay: float, *, least: float, most: float, median_ms: float | None, best_ms: float | None, throttled: bool
) -> tuple[float, str]:
    """(the next delay, why), within [least, most]."""
    span = most - least
    up = min(most, max(2 * delay, delay + span / UP_STEPS))
    if throttled:
        return up, "the exchange answered 429 (too many requests)"
    if median_ms is not None and best_ms and median_ms > SLOW * best_ms:
        return up, f"replies slowed to {median_ms:.0f} ms (best {best_ms:.0f} ms)"
    return max(least, delay - span / DOWN_STEPS), "replies at their usual speed"
