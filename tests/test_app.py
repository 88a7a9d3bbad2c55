"""Page logic through streamlit.testing.v1.AppTest: validation, preview, a finished run, Stop, double submit."""

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.registry import registry
from execution.model import OrderStatus, RunState
from execution.planner import plan
from tests.helpers import TODAY, config, fast, leg, wait_for

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def at(tmp_path, monkeypatch):
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env here: live mode has no credentials
    st.cache_resource.clear()
    registry().paper.exchange.reconfigure(fast(order_ms=10, login_ms=10))
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    yield app
    for run in registry().active():
        run.stop()
        run.wait(10)
    st.cache_resource.clear()


def wait_done(app, timeout=20):
    wait_for(lambda: not registry().active(), timeout, "the run to finish")
    return app.run()


def frame(app, column):
    """The dataframe showing `column` (AppTest exposes keys only for widgets)."""
    return next((d.value for d in app.dataframe if column in d.value.columns), None)


def errors(app):
    return [e.value for e in app.error]


def test_plan_preview_for_the_default_strangle(at):
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Batches"] == "9"
    preview = frame(at, "leg 1 units")
    assert list(preview["lots"]) == [20] * 8 + [7]
    assert list(preview.iloc[-1][["leg 1 units", "leg 2 units"]]) == [455, 455]
    assert not at.button(key="execute").disabled


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("total_lots", 0, "Total lots must be at least 1"),
        ("total_lots", -5, "Total lots must be at least 1"),
        ("lots_per_batch", 0, "Lots per batch must be at least 1"),
        ("lots_per_batch", 28, "Use at most 27 lots per batch"),
        ("delay_s", -1.0, "cannot be negative"),
    ],
)
def test_validation_errors_show_inline_and_block_execute(at, key, value, message):
    at.number_input(key=key).set_value(value).run()
    assert any(message in e for e in errors(at))
    assert at.button(key="execute").disabled
    assert frame(at, "leg 1 units") is None  # no preview of a plan that cannot be sent


def test_a_finished_run_shows_its_tables_on_the_results_page(at):
    at.number_input(key="delay_s").set_value(0.0).run()
    at.button(key="execute").click().run()
    at = wait_done(at)
    assert "18/18 orders ok" in at.success[0].value
    at.switch_page("pages/results.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Logins"] == "1" and metrics["Orders ok"] == "18" and metrics["Orders failed"] == "0"
    batches = frame(at, "sum_leg_ms")
    assert list(batches["batch"]) == list(range(1, 10))
    assert (batches["sum_leg_ms"] > batches["wall_ms"]).all()
    assert [b.label for b in at.get("download_button")] == ["Download orders CSV", "Download batches CSV"]
    # Each order's history: journalled, acknowledged, confirmed from the book; any order can be picked.
    history = frame(at, "source")
    assert list(zip(history["status"], history["source"], strict=True)) == [
        ("pending", "intent"),
        ("placed", "ack"),
        ("complete", "book"),
    ]
    run_id = registry().journal.runs()[0].run_id
    picker = at.selectbox(key=f"history_tag-{run_id}")
    assert len(picker.options) == 18
    picker.set_value(f"{run_id}-9-2").run()
    assert frame(at, "source")["order_no"].iloc[-1] == registry().journal.orders(run_id)[-1].order_no


def test_stop_halts_the_run_before_its_next_order(at):
    at.number_input(key="delay_s").set_value(5.0).run()
    at.button(key="execute").click().run()
    run = registry().active()[0]
    wait_for(lambda: run.progress().batches_done >= 1, what="the first batch")
    at.run()
    at.button(key="stop").click().run()
    assert run.wait(2).state is RunState.STOPPED
    assert len(registry().paper.exchange.book()) == 2


def test_double_click_and_rerun_start_one_run(at):
    at.number_input(key="delay_s").set_value(0.5).run()
    at.button(key="execute").click().run()
    assert at.button(key="stop")  # the page now shows the run, not the form
    at.run()
    at = wait_done(at)
    assert len(registry().journal.runs()) == 1


def test_the_same_plan_again_from_a_second_tab_asks_place_again_naming_the_earlier_run(at):
    at.number_input(key="total_lots").set_value(2).run()
    at.button(key="execute").click().run()
    first = wait_done(at)
    run_id = registry().journal.runs()[0].run_id
    second = AppTest.from_file(APP, default_timeout=30).run()
    second.number_input(key="total_lots").set_value(2).run()
    second.button(key="execute").click().run()
    warning = next(w.value for w in second.warning if w.value.startswith("Place again?"))
    assert run_id in warning and "2 complete" in warning and len(registry().journal.runs()) == 1
    assert second.button(key="execute").disabled  # until the trader answers
    second.button(key="place_again").click().run()
    wait_done(second)
    runs = registry().journal.runs()
    assert len(runs) == 2 and all(r.state is RunState.COMPLETED for r in runs)
    assert first.button(key="execute")


def test_a_run_that_sent_nothing_opens_in_results(at):
    journal = registry().journal
    cfg = config(lots=2, per=1)
    journal.begin_run("died-early", cfg, plan(cfg).fingerprint, paper=True, day=TODAY, account="paper:other")
    journal.update_run("died-early", state=RunState.FAILED)
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert any(b.label == "Download batches CSV" for b in at.get("download_button"))


def test_a_second_tab_sees_the_running_run_and_cannot_start_it_again(at):
    at.number_input(key="delay_s").set_value(0.5).run()
    at.button(key="execute").click().run()
    second = AppTest.from_file(APP, default_timeout=30).run()
    assert any("Run in progress" in w.value for w in second.sidebar.warning)
    assert second.button(key="stop")
    wait_done(at)
    assert len(registry().journal.runs()) == 1


def test_session_page_applies_paper_knobs(at):
    at.switch_page("pages/session.py").run()
    at.number_input[1].set_value(42.0)
    at.button[0].click().run()  # the form's Apply
    assert not at.exception
    assert registry().paper.exchange.config.order_ms == 42.0


@pytest.fixture
def live_token(capsys, at) -> str:
    """The token the server printed in its terminal when it started."""
    printed = capsys.readouterr().err
    return re.findall(r"paste this token: (\S+)", printed)[-1]


def unlock_live(at, token):
    at.sidebar.radio(key="mode_choice").set_value("Live").run()
    at.text_input(key="live_token").input(token).run()


def test_live_mode_shows_nothing_until_the_terminal_token_is_given(live_token, at):
    token = live_token
    at.sidebar.radio(key="mode_choice").set_value("Live").run()
    assert [t.value for t in at.title] == ["Live mode is locked"] and not at.button
    at.text_input(key="live_token").input("guess").run()
    assert any("not this server's access token" in e for e in errors(at)) and not at.button
    at.text_input(key="live_token").input(token).run()
    assert [t.value for t in at.title] == ["Execute"]
    assert at.session_state["live_token"] == ""  # the box was emptied once read
    shown = " ".join(str(e.value) for kind in (at.markdown, at.caption, at.info, at.error, at.title) for e in kind)
    assert token not in shown  # never drawn, and not kept in the session either
    assert token not in " ".join(str(at.session_state[k]) for k in ("live_unlocked", "mode"))
    # AppTest reruns only the page (it sees a pages/ folder), so the sidebar's radio is set through its state.
    at.session_state["mode"] = "Paper"
    at.session_state["live_unlocked"] = False
    at.run()
    assert [t.value for t in at.title] == ["Execute"]  # paper mode needs no token


def test_paper_mode_needs_no_token(at):
    assert [t.value for t in at.title] == ["Execute"] and at.button(key="execute")


def test_live_mode_needs_a_login_and_names_missing_credentials(live_token, at):
    unlock_live(at, live_token)
    assert any("log in on the Session page" in i.value for i in at.info)
    at.switch_page("pages/session.py").run()
    next(b for b in at.button if b.label == "Log in").click().run()
    assert any("Missing credentials in .env: NEO_CONSUMER_KEY" in e for e in errors(at))


def test_an_unsettled_run_is_shown_plainly_and_reconcile_now_settles_it(at):
    exchange = registry().paper.exchange
    exchange.reconfigure(fast(order_ms=10, login_ms=10, liquidity=0.05))  # a thin book: a big MKT order rests
    legs = (leg(29000, "CE"),)
    result = registry().paper.start(plan(config(legs=legs, lots=27, per=27))).wait(30)
    assert result.state is RunState.UNSETTLED
    at.switch_page("pages/results.py").run()
    assert any("not settled" in e for e in errors(at))
    exchange.reconfigure(fast(order_ms=10, login_ms=10))  # liquidity returns: the resting order can fill
    at.button(key="reconcile").click().run()
    record = registry().journal.run(result.run_id)
    assert record is not None and record.state is RunState.COMPLETED
    assert [o.status for o in registry().journal.orders(result.run_id)] == [OrderStatus.COMPLETE]
    assert not any("not settled" in e for e in errors(at))


def test_an_unusable_data_folder_is_one_line_on_the_page(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NEO_BATCH_DATA", str(blocker / "data"))
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    assert [e.value for e in app.error][0].startswith(f"The journal at {blocker / 'data'}")
    assert not app.button  # nothing can be started
    st.cache_resource.clear()
