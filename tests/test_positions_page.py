"""The Positions page and the Repair panel as AppTest drives them: MTM per underlying and for the account, closed
rows folded away, the table read again while a run works, and every exit and repair previewed, then confirmed."""

import time
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.positions import EXIT, EXIT_PENDING, HEDGE, REFRESH_S, closed_frame, positions_frame
from execution.closing import account_mtm, totals
from execution.model import EXIT_PRICING, PriceMode, Purpose, RunState
from execution.positions import Position
from tests.helpers import APP, Side, config, fast, leg, wait_for
from tests.live_standin import live_standin, standin_calls

PAGE = "pages/positions.py"
SHORT_CE, HEDGE_CE = leg(27050, "CE"), leg(27550, "CE", Side.BUY)
SHORT_PE = leg(25450, "PE")


def position(symbol: str, bought: int, sold: int, buy_px: float, sell_px: float, ltp: float | None) -> Position:
    return Position(symbol, SHORT_CE.segment, "NRML", "1", 65, bought, sold, bought * buy_px, sold * sell_px, ltp)


def positions_page(reg) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(PAGE).run()
    return at


@pytest.mark.timeout(10)
def test_mtm_sums_realised_and_unrealised_per_underlying_and_for_the_account():
    held = [
        position(SHORT_CE.symbol, 0, 130, 0.0, 100.0, 90.0),  # short 2 lots at 100, now 90: +1,300
        position(HEDGE_CE.symbol, 130, 130, 20.0, 15.0, 15.0),  # closed at a loss of 650
        position(leg(81000, "CE", underlying="SENSEX").symbol, 20, 0, 50.0, 0.0, 40.0),  # long at 50, now 40: -200
    ]
    sums = totals(held)
    assert sums["NIFTY"]["mtm"] == 1300.0 - 650.0
    assert sums["SENSEX"]["mtm"] == -200.0
    assert account_mtm(sums) == 450.0
    # One contract without a price: its underlying's MTM, and the account's, are not guessed.
    unpriced = totals([*held[:2], replace(held[2], ltp=None)])
    assert unpriced["SENSEX"]["mtm"] is None and account_mtm(unpriced) is None
    frame = positions_frame(held, {})
    assert list(frame["Symbol"]) == sorted([held[0].symbol, held[2].symbol])  # the closed row is not here
    assert list(closed_frame(held)["Symbol"]) == [HEDGE_CE.symbol]
    assert list(frame.columns[:4]) == [EXIT, "Lots to exit", "Symbol", HEDGE]  # the hedge beside the symbol
    assert frame.loc[frame["Symbol"] == SHORT_CE.symbol, "MTM ₹"].item() == "₹1,300"


@pytest.mark.timeout(90)
def test_the_page_shows_coloured_mtm_and_folds_closed_rows_away(app):
    reg = app()
    reg.paper.exchange.reconfigure(fast(login_ms=10, order_ms=10))
    eng = reg.paper
    eng.start(eng.plan(config((SHORT_CE, SHORT_PE), lots=2, per=2))).wait(30)
    eng.start(
        eng.exits.exit_plan(units={SHORT_PE.symbol: 2 * 65}, pricing=replace(EXIT_PRICING, mode=PriceMode.MARKET))
    ).wait(30)
    at = positions_page(reg)
    strip = [m.value for m in at.markdown if "MTM" in m.value]
    assert any(s.startswith("NIFTY MTM") for s in strip) and any(s.startswith("Account MTM") for s in strip)
    assert all(any(f":{c}[" in s for c in ("red", "green", "gray")) for s in strip)
    editor = next(d for d in at.dataframe if EXIT in d.value.columns)
    assert list(editor.value["Symbol"]) == [SHORT_CE.symbol]  # the PE, bought back to nothing, is not here
    [closed] = [e for e in at.expander if "Closed today" in e.label]
    assert SHORT_PE.symbol in closed.dataframe[0].value["Symbol"].tolist()
    assert not any("Exit" in str(c) for c in closed.dataframe[0].value.columns)


@pytest.mark.timeout(90)
def test_exit_all_previews_then_sends_only_at_the_confirming_click(app):
    reg = app()
    reg.paper.exchange.reconfigure(fast(login_ms=10, order_ms=10))
    reg.paper.start(reg.paper.plan(config((SHORT_CE, HEDGE_CE), lots=3, per=3))).wait(30)
    at = positions_page(reg)
    assert at.button(key="exit_all").proto.type != "primary"
    at.number_input(key="exit_batch_lots").set_value(2).run()
    at.number_input(key="exit_delay").set_value(0.0).run()
    at.button(key="exit_all").click().run()
    assert [r.config.purpose for r in reg.journal.runs()] == [Purpose.ENTRY]  # a preview sends nothing
    preview = next(d.value for d in at.dataframe if "Batches" in d.value.columns)
    assert sorted(zip(preview["Side"], preview["Lots"], preview["Batches"], strict=True)) == [
        ("BUY", 3, 2),
        ("SELL", 3, 2),
    ]
    assert all(p.startswith("limit at the mid") for p in preview["Price"])  # exits default to a chased limit
    assert at.button(key="exit-confirm").label == "Place 4 orders"
    # Changing a setting after the preview drops it: what would go is no longer what was shown.
    at.number_input(key="exit_batch_lots").set_value(3).run()
    assert EXIT_PENDING not in at.session_state
    at.button(key="exit_all").click().run()
    assert at.button(key="exit-confirm").label == "Place 2 orders"
    at.button(key="exit-confirm").click().run()
    wait_for(lambda: not reg.active(), what="the exit to finish")
    [exit_] = [r for r in reg.journal.runs() if r.config.purpose is Purpose.EXIT]
    assert exit_.state is RunState.COMPLETED and exit_.config.pricing == EXIT_PRICING
    assert sorted(o.lots for o in reg.journal.orders(exit_.run_id)) == [3, 3]
    assert all(units == 0 for units in {p.symbol: p.net_units for p in reg.paper.positions()}.values())


@pytest.mark.timeout(90)
def test_a_run_working_on_the_account_refreshes_the_table_and_holds_the_exits(app):
    reg = app()
    reg.paper.exchange.reconfigure(fast(login_ms=10, order_ms=10))
    eng = reg.paper
    eng.start(eng.plan(config((SHORT_CE,), lots=2, per=2))).wait(30)
    assert [p.symbol for p in eng.positions()] == [SHORT_CE.symbol]  # read, and kept for reuse, before the run
    # One lot now, the next after a long delay: the run keeps working between them.
    run = eng.start(eng.plan(config((SHORT_PE,), lots=2, per=1, delay=60.0)))
    wait_for(lambda: run.progress().batches_done >= 1, what="the first batch")
    time.sleep(REFRESH_S / 2 + 0.1)  # older than a working run's table may be
    at = positions_page(reg)
    assert any("A run is working on this account" in i.value for i in at.info)
    table = next(d.value for d in at.dataframe if EXIT in d.value.columns)
    assert dict(zip(table["Symbol"], table["Net lots"], strict=True)) == {SHORT_CE.symbol: -2, SHORT_PE.symbol: -1}
    assert at.button(key="exit_all").disabled and at.button(key="exit_run_button").disabled
    run.stop()
    run.wait(30)
    at.run()
    assert not any("A run is working" in i.value for i in at.info)
    assert not at.button(key="exit_all").disabled


@pytest.mark.timeout(90)
def test_complete_previews_what_it_sends_and_a_complete_that_filled_nothing_is_not_called_a_repair(app):
    reg = app()
    reject = fast(login_ms=10, order_ms=10, reject_symbols=(HEDGE_CE.symbol,))
    reg.paper.exchange.reconfigure(reject)
    plan = reg.paper.plan(config((SHORT_CE, HEDGE_CE), lots=4, per=2, on_leg_failure="continue"))
    entry = reg.paper.start(plan).wait(30)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.query_params["run"] = entry.run_id
    at.switch_page("pages/results.py").run()
    at.button(key="complete").click().run()
    assert [r.config.purpose for r in reg.journal.runs()] == [Purpose.ENTRY]  # the preview sent nothing
    preview = next(d.value for d in at.dataframe if "Batches" in d.value.columns)
    assert list(zip(preview["Side"], preview["Contract"], preview["Lots"], strict=True)) == [
        ("BUY", HEDGE_CE.symbol, 4)
    ]
    at.button(key="repair-confirm").click().run()  # the hedge is still rejected: the Complete fills nothing
    wait_for(lambda: not reg.active(), what="Complete to finish")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.query_params["run"] = entry.run_id
    at.switch_page("pages/results.py").run()
    story = next(e.value for e in at.error if "Still unbalanced" in e.value)
    assert f"BUY {HEDGE_CE.symbol} 0 of 4 lots filled" in story and "Repaired" not in story
    assert not at.success


@pytest.mark.timeout(90)
def test_a_live_exit_previewed_while_confirmed_sends_nothing_once_the_confirmation_is_gone(app, tmp_path):
    reg = app()
    reg.live = live_standin(tmp_path, reg.journal)
    assert reg.live.start(reg.live.plan(config(lots=1, per=1))).wait(30).ok
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["mode"] = "Live"
    at.session_state["live_unlocked"] = True
    at.run()
    at.switch_page(PAGE).run()
    at.checkbox(key="exit_live_ok").check().run()
    at.button(key="exit_all").click().run()
    assert at.button(key="exit-confirm").label == "Place 2 orders"
    placed = [c for c in standin_calls(tmp_path) if "place" in c]
    at.checkbox(key="exit_live_ok").uncheck().run()
    at.button(key="exit-confirm").click().run()
    assert any("tick the LIVE confirmation" in e.value for e in at.error)
    assert [c for c in standin_calls(tmp_path) if "place" in c] == placed and placed
    assert [r.config.purpose for r in reg.journal.runs()] == [Purpose.ENTRY]
