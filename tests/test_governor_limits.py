"""No setting lifts the account's 10 orders a rolling second: the governor refuses a window that cannot work and
holds an account's shared window to the broker's ceiling, whatever each process on it was told."""

import math
import threading
import time
from typing import Any

import pytest

from execution import governor
from execution.errors import ConfigError
from execution.governor import Governor

BAD: dict[str, dict[str, Any]] = {
    "window NaN": {"window_s": math.nan},
    "window infinite": {"window_s": math.inf},
    "window zero": {"window_s": 0.0},
    "window negative": {"window_s": -1.0},
    "margin NaN": {"margin_s": math.nan},
    "margin negative": {"margin_s": -0.1},
    "limit zero": {"limit": 0},
    "limit fractional": {"limit": 2.5},
    "limit NaN": {"limit": math.nan},
    "limit as a boolean": {"limit": True},
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", BAD)
def test_a_governor_that_cannot_work_is_refused(name, tmp_path):
    with pytest.raises(ConfigError, match="order governor"):
        Governor(**BAD[name], shared=tmp_path / "w.window")
    with pytest.raises(ConfigError, match="order governor"):
        Governor(**BAD[name])


@pytest.mark.timeout(10)
def test_an_account_window_is_held_to_ten_a_second_however_it_is_asked(tmp_path):
    for limit, window in ((30, 1.0), (10, 0.01), (1000, 0.001), (5, 0.5)):
        g = Governor(limit, window, shared=tmp_path / "w.window")
        assert g.limit <= 10 and g.window_s >= 1.0 and g.orders_per_s <= 10
    reads = Governor(1000, 0.01, shared=tmp_path / "r.window", counts="reads")
    assert reads.orders_per_s <= 25
    assert Governor(10, 0.01).orders_per_s == pytest.approx(1000)  # one process alone: a benchmark's scaled clock


@pytest.mark.timeout(30)
def test_three_governors_on_one_window_never_send_more_than_ten_in_a_rolling_second(tmp_path, monkeypatch):
    """As three processes with any flags would: each has its own file handle and lock on the account's window."""
    sends: list[float] = []
    take = governor.SharedWindow.take

    def recorded(self, now, span, limit):  # each send's time as the shared window recorded it
        seen: list[float] = []

        def stamp() -> float:
            seen.append(now())
            return seen[-1]

        free_at = take(self, stamp, span, limit)
        if free_at is None:
            sends.append(seen[-1])
        return free_at

    monkeypatch.setattr(governor.SharedWindow, "take", recorded)
    path = tmp_path / "orders.window"
    governors = [
        Governor(30, 1.0, shared=path),  # --orders-per-s 30
        Governor(10, 0.001, margin_s=0.0, shared=path),  # --time-scale 1000
        Governor(1000, 0.01, margin_s=0.0, shared=path),  # both, and no margin
    ]
    threads = [threading.Thread(target=lambda g=g: [g.acquire() for _ in range(8)]) for g in governors]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(25)
    assert len(sends) == 24
    assert max(sum(1 for s in sends if t <= s < t + 1.0) for t in sends) <= 10
    assert time.monotonic() - started >= 2.0  # 24 sends at 10 a second: the third ten waits for two windows
