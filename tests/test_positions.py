"""Positions, exits and repairs: what a run started is finished on the exchange's own book."""

import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.positions import EXIT, LOTS, units_to_exit
from execution.cli import main
from execution.errors import NothingToDo, PlanError
from execution.instruments import BUNDLED, parse_symbol
from execution.journal import Journal
from execution.model import PRICING, OrderStatus, OrderType, Purpose, RunState
from execution.planner import slices
from execution.repair import balance
from paper.exchange import ExchangeConfig
from paper.wiring import COMMAND_LINE
from tests.helpers import APP, TODAY, Side, config, engine, fast, leg, wait_for

ROOT = Path(__file__).resolve().parent.parent
SHORT_CE, HEDGE_CE = leg(27050, "CE"), leg(27550, "CE", Side.BUY)
SHORT_PE, HEDGE_PE = leg(25450, "PE"), leg(24950, "PE", Side.BUY)
CONDOR = (SHORT_CE, HEDGE_CE, SHORT_PE, HEDGE_PE)
FREEZE = BUNDLED["NIFTY"].freeze_qty


def lagging(tmp_path: Path, **kw) -> ExchangeConfig:
    """Fills in full, but the book shows each order only after a lag and a few state steps, as Neo's does."""
    return fast(state_path=str(tmp_path / "book.sqlite"), book_lag_ms=(20.0, 120.0), state_step_ms=10.0, **kw)


def net(eng) -> dict[str, int]:
    return {p.symbol: p.net_units for p in eng.positions()}


def replay_never_naked(book: list[dict]) -> None:
    """Walk the exchange's fills in the order it accepted them: on no index, expiry and right may the shorts ever
    exceed the longs by more than they did before the walk reached that group's hedges."""
    held: Counter[str] = Counter()
    for row in sorted(book, key=lambda r: r["nOrdNo"]):
        held[row["trdSym"]] += row["fldQty"] * (1 if row["trnsTp"] == "B" else -1)
        groups: dict[tuple, int] = {}
        for symbol, units in held.items():
            p = parse_symbol(symbol)
            groups[(p.expiry, p.right)] = groups.get((p.expiry, p.right), 0) + units
        assert all(units >= 0 for units in groups.values()), f"naked after order {row['nOrdNo']}: {dict(held)}"


@pytest.mark.timeout(60)
def test_a_condor_entered_and_exited_in_batches_is_flat_and_never_naked_on_the_exchanges_book(tmp_path):
    eng = engine(tmp_path, lagging(tmp_path))
    entry = eng.start(eng.plan(config(CONDOR, lots=45, per=20, hedge_first=True))).wait(60)
    assert entry.ok
    assert net(eng) == {g.symbol: 45 * 65 * (1 if g.side is Side.BUY else -1) for g in CONDOR}
    assert set(eng.opened_by()) == {g.symbol for g in CONDOR}

    # At market: this test is about the batches and their order on the book, not about a limit's chase.
    plan = eng.exits.exit_plan(run_id=entry.run_id, lots_per_batch=25, pricing=PRICING)
    assert plan.config.purpose is Purpose.EXIT and plan.config.of_run == entry.run_id
    exit_ = eng.start(plan).wait(60)
    assert exit_.ok
    assert all(units == 0 for units in net(eng).values())
    mine = [r for r in eng.exchange.book() if r["GuiOrdId"].startswith(exit_.run_id)]
    assert len(mine) == 4 * 2 and all(int(r["qty"]) <= FREEZE for r in mine)  # 25 + 20 lots, within the freeze
    # Per batch the shorts were bought back, and filled, before any hedge was sold.
    for number in (1, 2):
        batch = [r for r in mine if r["GuiOrdId"].split("-")[-2] == str(number)]
        buys = [r["nOrdNo"] for r in batch if r["trnsTp"] == "B"]
        sells = [r["nOrdNo"] for r in batch if r["trnsTp"] == "S"]
        assert len(buys) == len(sells) == 2 and max(buys) < min(sells)
    replay_never_naked(eng.exchange.book())
    assert eng.hedge_breaks(0) == []


def test_an_exit_never_sells_a_hedge_below_the_shorts_it_still_covers():
    # 40 lots short against a 20-lot hedge: the hedge is sold only once the shorts are down to it.
    legs = (replace(HEDGE_CE, side=Side.SELL), replace(SHORT_CE, side=Side.BUY))
    batches = slices(legs, (20, 40), 10, closes=True)
    assert batches == [(0, 10), (0, 10), (10, 10), (10, 10)]
    left_short, left_long = 40, 20
    for sell, buy in batches:
        left_short, left_long = left_short - buy, left_long - sell
        assert left_long >= left_short or left_long == 20
    # An entry slices every leg alike.
    assert slices(legs, (20, 40), 10, closes=False) == [(10, 10), (10, 10), (0, 10), (0, 10)]


@pytest.mark.timeout(60)
def test_exit_twice_in_a_row_closes_the_position_once(tmp_path):
    eng = engine(tmp_path, lagging(tmp_path))
    entry = eng.start(eng.plan(config((SHORT_CE, SHORT_PE), lots=10, per=5))).wait(60)
    assert entry.ok
    with pytest.raises(PlanError, match="Lots per batch must be at least 1"):  # never read as "the run's own"
        eng.exits.exit_plan(run_id=entry.run_id, lots_per_batch=0)
    first = eng.start(eng.exits.exit_plan(run_id=entry.run_id)).wait(60)
    assert first.ok and all(units == 0 for units in net(eng).values())
    with pytest.raises(NothingToDo):
        eng.exits.exit_plan(run_id=entry.run_id)
    with pytest.raises(NothingToDo):
        eng.exits.exit_plan()
    bought = sum(int(r["fldQty"]) for r in eng.exchange.book() if r["trnsTp"] == "B")
    assert bought == 2 * 10 * 65  # closed once, never twice
    # Asking for more than is held closes what is held, never more.
    again = eng.start(eng.plan(config((SHORT_CE,), lots=3, per=3))).wait(60)
    assert again.ok
    plan = eng.exits.exit_plan(units={SHORT_CE.symbol: 50 * 65})
    assert [(o.leg_spec.side, o.lots) for o in plan.orders] == [(Side.BUY, 3)]
    assert eng.start(plan).wait(60).ok
    assert eng.start(eng.plan(config((SHORT_CE,), lots=3, per=3)), again_of=again.run_id).wait(60).ok
    same = eng.exits.exit_plan(units={SHORT_CE.symbol: 50 * 65})
    assert same.fingerprint == plan.fingerprint
    assert eng.start(same).wait(60).ok  # sized from what is held, the same exit is never refused as a repeat
    assert net(eng) == {SHORT_CE.symbol: 0, SHORT_PE.symbol: 0}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", [Purpose.COMPLETE, Purpose.FLATTEN])
def test_a_run_with_a_rejected_hedge_is_brought_to_balance(tmp_path, how):
    exchange = lagging(tmp_path, reject_symbols=(HEDGE_CE.symbol,))
    eng = engine(tmp_path, exchange)
    entry = eng.start(eng.plan(config((SHORT_CE, HEDGE_CE), lots=30, per=10, on_leg_failure="continue"))).wait(60)
    bal = balance(eng.journal, entry.run_id)
    assert bal is not None and not bal.balanced and len(bal.gaps) == 3
    assert [gap.missing for gap in bal.gaps] == [(0.0, 10.0)] * 3
    [broken] = eng.hedge_breaks(0)
    assert broken.naked_units == 30 * 65

    eng.exchange.reconfigure(replace(exchange, reject_symbols=()))
    plan = eng.repair_plan(entry.run_id, how)
    expected = (
        {(HEDGE_CE.symbol, Side.BUY)} if how is Purpose.COMPLETE else {(SHORT_CE.symbol, Side.BUY)}
    )  # Complete places only the missing hedge; Flatten buys back the excess short
    assert {(o.leg_spec.symbol, o.leg_spec.side) for o in plan.orders} == expected
    assert sum(o.lots for o in plan.orders) == 30
    assert eng.start(plan).wait(60).ok

    bal = balance(eng.journal, entry.run_id)
    assert bal is not None and bal.balanced and bal.repairs
    # One story, in lots: what the run left (as its outcome says it), what the repair filled, where it stands now.
    fixed = f"{HEDGE_CE.symbol} 30 of 30 lots" if how is Purpose.COMPLETE else f"{SHORT_CE.symbol} 30 of 30 lots"
    assert bal.story.startswith(f"The run's own orders filled SELL {SHORT_CE.symbol} 30 lots more than BUY ")
    assert f"{how.value.capitalize()} {bal.repairs[0]}: BUY {fixed} filled. Balanced now:" in bal.story
    held = net(eng)
    if how is Purpose.COMPLETE:
        assert held == {SHORT_CE.symbol: -30 * 65, HEDGE_CE.symbol: 30 * 65}
    else:
        assert held == {SHORT_CE.symbol: 0}
    assert eng.hedge_breaks(0) == []
    with pytest.raises(NothingToDo):
        eng.repair_plan(entry.run_id, how)


@pytest.mark.timeout(60)
def test_complete_never_tops_up_what_the_trader_has_closed_another_way(tmp_path):
    exchange = lagging(tmp_path, reject_symbols=(HEDGE_CE.symbol,))
    eng = engine(tmp_path, exchange)
    entry = eng.start(eng.plan(config((SHORT_CE, HEDGE_CE), lots=4, per=4, on_leg_failure="stop"))).wait(60)
    eng.exchange.reconfigure(replace(exchange, reject_symbols=()))
    assert eng.start(eng.exits.exit_plan()).wait(60).ok  # every position closed, not as an exit of the run
    with pytest.raises(NothingToDo, match="Nothing to complete"):
        eng.repair_plan(entry.run_id, Purpose.COMPLETE)
    with pytest.raises(NothingToDo, match="Nothing to flatten"):
        eng.repair_plan(entry.run_id, Purpose.FLATTEN)


@pytest.mark.timeout(60)
def test_a_resting_leg_blocks_complete_until_cancel_open_settles_it(tmp_path):
    eng = engine(tmp_path, lagging(tmp_path))
    # Inside the band (its premium, 40 % or ₹20 either way) and well under the asks, whatever the day: it rests.
    ltp = eng.quotes([HEDGE_CE.symbol])[HEDGE_CE.symbol].ltp
    hedge = replace(HEDGE_CE, order_type=OrderType.LIMIT, price=round(max(0.05, ltp * 0.7) * 20) / 20)
    entry = eng.start(eng.plan(config((SHORT_CE, hedge), lots=4, per=2))).wait(60)
    assert entry.state is RunState.UNSETTLED
    with pytest.raises(PlanError, match="Cancel open"):
        eng.repair_plan(entry.run_id, Purpose.COMPLETE)
    assert eng.cancel_open(entry.run_id) == 2
    statuses = [o.status for o in eng.journal.orders(entry.run_id) if o.symbol == hedge.symbol]
    assert statuses == [OrderStatus.CANCELLED] * 2
    plan = eng.repair_plan(entry.run_id, Purpose.COMPLETE)
    assert [(o.leg_spec.symbol, o.leg_spec.order_type, o.lots) for o in plan.orders] == [
        (hedge.symbol, OrderType.MARKET, 2),
        (hedge.symbol, OrderType.MARKET, 2),
    ]


@pytest.mark.timeout(60)
def test_a_position_carried_from_yesterday_shows_and_exits_today(tmp_path):
    yesterday = TODAY - timedelta(days=1)
    before = engine(tmp_path, lagging(tmp_path, today=yesterday))
    entry = before.start(before.plan(config((SHORT_CE,), lots=4, per=4))).wait(60)
    assert entry.ok
    today = engine(tmp_path, lagging(tmp_path))
    [p] = today.positions()
    assert (p.symbol, p.net_units, p.sell_qty) == (SHORT_CE.symbol, -4 * 65, 4 * 65)
    assert today.start(today.exits.exit_plan()).wait(60).ok
    assert net(today) == {SHORT_CE.symbol: 0}


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "execution", *args, "--profile", "fast", "--login-ms", "10", "--latency-ms", "10"]
    cmd += ["--paper-today", TODAY.isoformat()]
    return subprocess.run(
        [*cmd, "--journal", str(folder / "journal.sqlite")], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


@pytest.mark.timeout(120)
def test_the_command_line_exits_in_one_process_what_another_opened(tmp_path, capsys):
    legs = [f"--leg={g.symbol}:{g.side.name[0]}" for g in (SHORT_CE, SHORT_PE)]
    run = cli(tmp_path, "run", *legs, "--lots", "6", "--batch-lots", "3", "--delay", "0", "--json")
    assert run.returncode == 0, run.stderr
    run_id = json.loads(run.stdout)["run_id"]
    out = cli(tmp_path, "exit", "--run", run_id, "--batch-lots", "4", "--delay", "0", "--pacing", "cadence", "--json")
    assert out.returncode == 0, out.stderr
    exit_ = json.loads(out.stdout)
    assert exit_["outcome"] == "clean" and exit_["batches"] == 2 and exit_["pacing"] == "cadence"
    assert sorted(o["lots"] for o in exit_["orders"]) == [2, 2, 4, 4]
    again = cli(tmp_path, "positions", "--json")
    after = json.loads(again.stdout)
    assert again.returncode == 0 and [p["net_units"] for p in after["positions"]] == [0, 0]
    assert all(p["runs"] == [] for p in after["positions"]) and after["hedge_breaks"] == []
    # Exiting again finds nothing left: the paper account and the journal live in the data folder.
    journal = str(tmp_path / "journal.sqlite")
    argv = ["exit", "--run", run_id, "--profile", "fast", "--journal", journal, "--json", "--paper-today", str(TODAY)]
    assert main(argv, paper=COMMAND_LINE) == 0
    assert "Nothing to exit" in json.loads(capsys.readouterr().out)["nothing_to_do"]
    assert [r.config.purpose for r in Journal(journal).runs()] == [Purpose.EXIT, Purpose.ENTRY]


@pytest.mark.timeout(90)
def test_the_dashboard_shows_a_broken_hedge_on_every_page_and_complete_fixes_it(app):
    reg = app()
    reg.paper.exchange.reconfigure(fast(login_ms=10, order_ms=10, reject_symbols=(HEDGE_CE.symbol,)))
    plan = reg.paper.plan(config((SHORT_CE, HEDGE_CE), lots=4, per=2, on_leg_failure="continue"))
    entry = reg.paper.start(plan).wait(30)
    at = AppTest.from_file(APP, default_timeout=30).run()  # app.py draws the banner above whichever page is open
    assert any("Broken hedge" in e.value and "260 units (4 lots) short" in e.value for e in at.error)
    at.switch_page("pages/positions.py").run()
    positions = next(d.value for d in at.dataframe if "Symbol" in d.value.columns)
    assert list(positions["Net lots"]) == [-4.0] and list(positions["Opened by"]) == [entry.run_id]

    reg.paper.exchange.reconfigure(fast(login_ms=10, order_ms=10))
    at.switch_page("pages/results.py").run()
    assert any("Unbalanced" in e.value for e in at.error)
    at.button(key="complete").click().run()
    assert not reg.active()  # Complete previews; only its confirming click sends
    at.button(key="repair-confirm").click().run()
    wait_for(lambda: not reg.active(), what="Complete to finish")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not any("Broken hedge" in e.value for e in at.error)
    assert {p.symbol: p.net_units for p in reg.paper.positions()} == {SHORT_CE.symbol: -260, HEDGE_CE.symbol: 260}


@pytest.mark.timeout(90)
def test_the_positions_page_exits_everything_in_batches(app):
    reg = app()
    reg.paper.exchange.reconfigure(fast(login_ms=10, order_ms=10))
    reg.paper.start(reg.paper.plan(config((SHORT_CE, SHORT_PE), lots=5, per=5))).wait(30)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/positions.py").run()
    at.number_input(key="exit_batch_lots").set_value(2).run()
    at.number_input(key="exit_delay").set_value(0.0).run()
    at.button(key="exit_all").click().run()
    at.button(key="exit-confirm").click().run()
    wait_for(lambda: not reg.active(), what="the exit to finish")
    exits = [r for r in reg.journal.runs() if r.config.purpose is Purpose.EXIT]
    assert len(exits) == 1 and exits[0].state is RunState.COMPLETED
    lots = sorted(o.lots for o in reg.journal.orders(exits[0].run_id))
    assert lots == [1, 1, 2, 2, 2, 2]
    assert all(units == 0 for units in {p.symbol: p.net_units for p in reg.paper.positions()}.values())


@pytest.mark.timeout(10)
def test_the_exit_table_names_every_ticked_row_whose_lots_are_not_a_whole_number_at_once():
    frame = pd.DataFrame(
        {
            "Symbol": [SHORT_CE.symbol, SHORT_PE.symbol, HEDGE_CE.symbol, HEDGE_PE.symbol],
            EXIT: [True, True, True, False],
            LOTS: [2.0, float("nan"), 0.5, float("nan")],  # an emptied cell reads as NaN; the unticked row is skipped
        }
    )
    lot = BUNDLED["NIFTY"].lot_size
    units, problems = units_to_exit(frame, dict.fromkeys(frame["Symbol"], lot))
    assert units == {SHORT_CE.symbol: 2 * lot}
    assert problems == [
        f"{LOTS} of {s}: a whole number of lots, 1 or more." for s in (SHORT_PE.symbol, HEDGE_CE.symbol)
    ]
