"""Page logic through streamlit.testing.v1.AppTest: validation, preview, a finished run, Stop, double submit."""

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import state as S
from dashboard.forms import form_plan, legs_frame, run_config
from dashboard.registry import registry
from execution.model import Mode, OrderStatus, Pacing, PriceMode, RunState
from tests.helpers import APP, STRANGLE, TODAY, config, fast, frame, leg, plan, wait_for


def wait_done(app, timeout=20):
    wait_for(lambda: not registry().active(), timeout, "the run to finish")
    return app.run()


def errors(app):
    return [e.value for e in app.error]


@pytest.mark.timeout(10)
def test_the_execute_forms_values_map_to_the_run_config():
    form = {**S.FORM_DEFAULTS, "run_mode": "sequential", "pacing": "adaptive", "delay_max_s": 7.0}
    form |= {"price_mode": "limit", "chase_steps": 2.0, "hedge_first": True}
    cfg = run_config(form, STRANGLE)
    assert (cfg.legs, cfg.total_lots, cfg.lots_per_batch, cfg.delay_s, cfg.delay_max_s) == (STRANGLE, 167, 20, 2.0, 7.0)
    assert cfg.mode is Mode.SEQUENTIAL and cfg.pacing is Pacing.ADAPTIVE and cfg.hedge_first
    assert cfg.pricing.mode is PriceMode.LIMIT and cfg.pricing.chase_steps == 2
    assert run_config({**form, "pacing": "gap"}, STRANGLE).delay_max_s == 0.0  # counts only under adaptive pacing
    made, problems = form_plan(S.FORM_DEFAULTS, legs_frame(STRANGLE), plan)
    assert problems == [] and made is not None and len(made.batches) == 9


@pytest.mark.timeout(10)
def test_the_execute_form_names_each_field_it_refuses():
    made, problems = form_plan({**S.FORM_DEFAULTS, "atm": 26010, "total_lots": 0}, legs_frame(STRANGLE), plan)
    assert made is None and len(problems) == 2, problems
    assert problems[0].startswith("ATM strike 26010 is not on NIFTY's 50-point grid")
    assert problems[1].startswith("Total lots must be at least 1")
    made, problems = form_plan({**S.FORM_DEFAULTS, "atm": 26010}, legs_frame(STRANGLE), plan)
    assert made is None and len(problems) == 1  # a plan comes back only when nothing is wrong


def test_plan_preview_for_the_default_strangle(at):
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Batches"] == "9" and metrics["Orders"] == "18"
    # The chosen mode's estimate is marked; the other is there to compare.
    assert "Estimated time, parallel (chosen)" in metrics and "Estimated time, sequential" in metrics
    preview = frame(at, "Batch")
    assert list(preview["Lots"]) == [20] * 8 + [7]
    last = preview.iloc[-1]
    assert [last[c] for c in preview.columns if c.startswith("Leg ")] == ["455", "455"]
    assert all("(SELL NIFTY" in c for c in preview.columns if c.startswith("Leg "))
    legs = frame(at, "Lot size")  # per leg: symbol, side, lot size, lots and units per batch and in total
    assert list(legs["Side"]) == ["SELL", "SELL"] and list(legs["Lot size"]) == [65, 65]
    assert (
        list(legs["Lots per batch"]) == ["20 (last 7)"] * 2
        and list(legs["Units per batch"]) == ["1,300 (last 455)"] * 2
    )
    assert list(legs["Total lots"]) == ["167", "167"] and list(legs["Total units"]) == ["10,855", "10,855"]
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
    assert frame(at, "Batch") is None  # no preview of a plan that cannot be sent


def test_a_finished_run_shows_its_tables_on_the_results_page(at):
    at.number_input(key="delay_s").set_value(0.0).run()
    at.button(key="execute").click().run()
    at = wait_done(at)
    assert "Clean: SELL" in at.success[0].value and "167/167 lots filled" in at.success[0].value
    assert "18 of 18 orders filled" in at.success[0].value
    at.switch_page("pages/results.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    # One session: the margin check before Execute opened it, so the run itself logs in once at most.
    assert metrics["Logins"] in ("0", "1") and metrics["Orders filled"] == "18 of 18"
    batches = frame(at, "Legs one by one (ms)")
    assert list(batches["Batch"]) == list(range(1, 10))
    # Batch by batch the legs overlap; the median, since one batch can stall on a busy machine.
    ms = batches[["Legs one by one (ms)", "Batch took (ms)"]].replace(",", "", regex=True).astype(float)
    assert ms["Legs one by one (ms)"].median() > ms["Batch took (ms)"].median()
    assert [b.label for b in at.get("download_button")] == [
        "Download orders CSV",
        "Download batches CSV",
        "Download history CSV",
    ]
    # Each order's history: journalled, acknowledged, confirmed from the book; any order can be picked.
    history = frame(at, "Said by")
    assert list(zip(history["Status"], history["Said by"], strict=True)) == [
        ("pending", "intent"),
        ("sent", "run"),
        ("placed", "ack"),
        ("complete", "book"),
    ]
    run_id = registry().journal.runs()[0].run_id
    picker = at.selectbox(key=f"history_tag-{run_id}")
    assert len(picker.options) == 18
    picker.set_value(f"{run_id}-9-2").run()
    assert frame(at, "Said by")["Order no."].iloc[-1] == registry().journal.orders(run_id)[-1].order_no


def test_stop_halts_the_run_before_its_next_order(at):
    at.number_input(key="delay_s").set_value(5.0).run()
    at.button(key="execute").click().run()
    run = registry().active()[0]
    wait_for(lambda: run.progress().batches_done >= 1, what="the first batch")
    at.run()
    # The live view: what the run is doing now, lots per leg, and a log whose lines carry the IST time in ms.
    assert any(i.value.startswith("Now: ") for i in at.info)
    assert frame(at, "Filled lots") is not None
    log = at.code[0].value.splitlines()
    assert log and all(re.match(r"\d\d:\d\d:\d\d\.\d{3}  ", line) for line in log), log
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
    ce, pe = (g.symbol for g in registry().journal.runs()[0].config.legs)
    assert f"filled SELL {ce} 2 lots, SELL {pe} 2 lots; orders 2 complete" in warning  # lots per leg first
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


def test_a_tab_whose_click_lost_the_race_shows_no_green_for_the_other_tabs_run(at):
    """B7: the second tab showed the first tab's green 'completed' beside its own red refusal."""
    second = AppTest.from_file(APP, default_timeout=30).run()
    for tab in (at, second):
        tab.number_input(key="total_lots").set_value(4).run()
        tab.number_input(key="lots_per_batch").set_value(1).run()
        tab.number_input(key="delay_s").set_value(0.5).run()  # four batches: still running when the second click lands
    at.button(key="execute").click().run()  # the first tab's click lands first
    second.button(key="execute").click().run()  # the second tab's button was drawn before the run began
    assert any("started in another tab" in h.value for h in second.subheader)
    wait_done(at)
    second.run()
    assert len(registry().journal.runs()) == 1
    assert not second.success, [s.value for s in second.success]
    assert any(w.value.startswith("Place again?") for w in second.warning)
    assert at.run().success  # the tab that placed it sees its outcome


def test_counts_read_as_english_and_small_delays_keep_their_digits(at):
    """B16: '1 orders', the order count drawn as an up-arrow badge, a 0.001 s delay shown as 0.00."""
    at.number_input(key="total_lots").set_value(1).run()
    at.number_input(key="delay_s").set_value(0.001).run()
    line = next(m.value for m in at.markdown if "per leg" in m.value)
    assert line.startswith("**1 lot per leg** in 1 batch (2 orders)"), line
    assert all(m.proto.delta == "" for m in at.metric)  # no badges
    assert at.number_input(key="delay_s").format == "%.3f" and at.number_input(key="delay_s").value == 0.001


def test_compare_picks_a_parallel_and_a_sequential_run_and_compares_only_like_for_like(at):
    eng = registry().paper
    eng.start(plan(config(lots=2, per=1, mode="parallel"))).wait(30)
    eng.start(plan(config(lots=3, per=1, mode="sequential"))).wait(30)
    eng.start(plan(config(lots=4, per=1, mode="sequential"))).wait(30)  # the newest run is sequential too
    at.switch_page("pages/results.py").run()
    runs = registry().journal.runs()
    assert at.selectbox(key="compare_a").value == runs[2].run_id  # the newest parallel run
    assert at.selectbox(key="compare_b").value == runs[0].run_id  # the newest sequential run
    # 2 lots against 4: the whole spans are not compared, batch against batch is.
    assert any(w.value.startswith("Not like for like (lots per leg: 2 against 4") for w in at.warning)
    said = [m.value for m in at.markdown if "median batch" in m.value]
    assert len(said) == 1 and not any("whole span was" in m.value for m in at.markdown)


def test_every_control_says_what_it_does(at):
    at.number_input(key="total_lots").set_value(5).run()
    at.button(key="execute").click().run()
    at = wait_done(at)
    kinds = ("number_input", "selectbox", "radio", "toggle", "checkbox", "button", "slider", "text_input")
    for page in ("execute", "results", "session"):
        at.switch_page(f"pages/{page}.py").run()
        controls = [w for kind in kinds for w in at.get(kind)]
        assert len(controls) > 3
        for w in controls:
            assert w.proto.help, f"{page}: {w.proto.label!r} has no help text"
