"""One wait for a run, the governor and the paper exchange, on a clock that tests can drive."""

from __future__ import annotations

import threading
import time

import pytest

from execution.clock import ManualClock, sleep_until
from execution.governor import Governor
from execution.model import Pacing
from execution.run import Run
from tests.helpers import config, engine, plan


def test_sleep_until_reaches_the_deadline_on_a_manual_clock():
    clock = ManualClock()
    deadline = clock.now + 2.5
    assert sleep_until(deadline, clock=clock) is True
    assert deadline <= clock.now < deadline + 0.01
    assert clock.slept[0] == pytest.approx(2.5 - 0.002)  # one sleep, then the last 2 ms polled


def test_sleep_until_returns_early_once_stop_is_set():
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    start = time.monotonic()
    assert sleep_until(start + 5.0, stop) is False
    assert time.monotonic() - start < 1.0


def test_sleep_until_is_on_time_with_the_real_clock():
    deadline = time.monotonic() + 0.03
    assert sleep_until(deadline) is True
    assert 0 <= time.monotonic() - deadline < 0.01


def test_the_governor_waits_for_its_window_on_the_injected_clock():
    clock = ManualClock()
    governor = Governor(limit=2, window_s=1.0, margin_s=0.05, clock=clock)
    start = clock.now
    assert governor.acquire() and governor.acquire()
    assert clock.now == start  # two sends fit the window: nobody waited
    assert governor.acquire()
    assert clock.now >= start + 1.05 and governor.waits == 1  # the third waited until the first left the window
    stop = threading.Event()
    stop.set()
    assert governor.acquire(stop) is False


def test_the_delay_between_batches_is_kept_on_the_injected_clock(tmp_path):
    eng = engine(tmp_path)
    clock = ManualClock()
    p = plan(config(lots=3, per=1, delay=600.0, pacing=Pacing.CADENCE))
    started = time.monotonic()
    result = Run(p, eng.broker(), eng.journal, clock=clock).start().wait(30)
    assert time.monotonic() - started < 10  # ten minutes of delays, waited on the test's clock
    assert result.ok
    starts = [b.start_mono for b in result.batches]
    assert [round(b - starts[0], 2) for b in starts] == [0.0, 600.0, 1200.0]
