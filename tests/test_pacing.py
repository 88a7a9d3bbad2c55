"""Adaptive pacing: the delay moves between the trader's bounds, from replies and 429s."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from execution.errors import PlanError
from execution.model import Pacing
from execution.pacing import next_delay
from tests.helpers import TODAY, config, engine, fast, plan

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_the_delay_rises_on_a_429_or_slow_replies_and_eases_back_within_its_bounds():
    bounds = {"least": 1.0, "most": 9.0}
    up, why = next_delay(1.0, **bounds, median_ms=100, best_ms=100, throttled=True)
    assert up == 3.0 and "429" in why  # at least a quarter of the range
    assert next_delay(8.0, **bounds, median_ms=100, best_ms=100, throttled=True)[0] == 9.0  # never past the most
    slow, why = next_delay(1.0, **bounds, median_ms=400, best_ms=100, throttled=False)
    assert slow == 3.0 and "slowed to 400 ms" in why
    eased = [3.0]
    while eased[-1] > 1.0:
        eased.append(next_delay(eased[-1], **bounds, median_ms=110, best_ms=100, throttled=False)[0])
    assert eased == [3.0, 2.0, 1.0]  # an eighth of the range at a time, never below the least
    assert next_delay(0.0, least=0.0, most=2.0, median_ms=None, best_ms=None, throttled=True)[0] == 0.5


def test_adaptive_pacing_needs_a_most_delay_at_least_the_delay():
    with pytest.raises(PlanError, match="at least that"):
        plan(config(delay=2.0, pacing=Pacing.ADAPTIVE, delay_max_s=1.0), today=TODAY)
    assert plan(config(delay=2.0, pacing="adaptive", delay_max_s="5"), today=TODAY).config.delay_max_s == 5.0


@pytest.mark.timeout(60)
def test_a_run_backs_off_after_429s_and_stays_at_the_least_delay_when_replies_are_quick(tmp_path):
    adaptive = config(pacing=Pacing.ADAPTIVE, delay=0.0, delay_max_s=0.4, lots=8, per=1)
    quick = engine(tmp_path / "quick", fast())
    calm = quick.start(quick.plan(adaptive)).wait(60)
    assert calm.ok and calm.delays == (0.0,) * 7
    throttled = engine(tmp_path / "busy", fast(faults={"rate-limit": 0.3}, seed=3), timeout_s=0.2)
    run = throttled.start(throttled.plan(adaptive))
    busy = run.wait(60)
    assert throttled.exchange.faults_fired["rate-limit"] > 0  # an order the 429 kept out twice failed: that is fine
    assert max(busy.delays) > 0.0 and all(0.0 <= d <= 0.4 for d in busy.delays)
    assert any("delay now" in e.message and "429" in e.message for e in run.progress().events)


@pytest.mark.timeout(60)
def test_the_execute_page_asks_for_the_most_delay_only_for_adaptive_pacing(tmp_path, monkeypatch):
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=30).run()
        assert not [n for n in at.number_input if n.key == "delay_max_s"]
        at.radio(key="pacing").set_value("adaptive").run()
        at.number_input(key="delay_s").set_value(1.0).run()
        at.number_input(key="delay_max_s").set_value(0.5).run()
        assert any("at least that" in e.value for e in at.error)  # the most below the least is refused
        at.number_input(key="delay_max_s").set_value(4.0).run()
        assert not any("at least that" in e.value for e in at.error)
    finally:
        st.cache_resource.clear()
