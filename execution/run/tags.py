"""A run's id and its orders' tags: what ties each order on the exchange's book to its run and its slot."""

from __future__ import annotations

import secrets
from datetime import datetime

from ..clock import IST, SYSTEM, Clock


def new_run_id(clock: Clock = SYSTEM) -> str:
    """The date and time in IST, as the orders' times are shown, and a random suffix."""
    return datetime.fromtimestamp(clock.wall(), IST).strftime("%y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def tag_for(run_id: str, batch: int, leg: int, attempt: int = 1) -> str:
    """Unique per account and day: the run id carries the date, time and a random suffix.

    A leg that Resume places again gets a new tag (`-r2`, `-r3`, ...), so each tag's history stays true.
    """
    base = f"{run_id}-{batch}-{leg}"
    return base if attempt == 1 else f"{base}-r{attempt}"
