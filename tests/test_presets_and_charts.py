import io
import re
from dataclasses import replace

import pandas as pd
import pytest

from dashboard.charts import batch_comparison, timeline
from dashboard.forms import legs_frame, legs_from_frame
from execution.errors import PlanError
from execution.model import OrderResult, OrderStatus, Side
from execution.presets import Preset, check_atm, check_preset, preset_legs
from execution.reports import batches_frame, orders_frame, to_csv
from tests.helpers import TODAY, config, leg, plan, sym


@pytest.mark.parametrize("preset", list(Preset))
def test_every_preset_builds_legs_the_planner_accepts(preset):
    legs = preset_legs(preset, "NIFTY", TODAY, 26000)
    check_preset(preset, legs)
    assert plan(config(legs=legs, lots=4, per=2))


def test_iron_condor_is_buy_wings_around_a_sell_body():
    legs = preset_legs(Preset.IRON_CONDOR, "BANKNIFTY", TODAY, 59000)
    assert [g.side for g in legs] == [Side.BUY, Side.SELL, Side.SELL, Side.BUY]
    swapped = (legs[1], legs[0], legs[2], legs[3])
    flipped = tuple(replace(g, side=Side.SELL if g.side is Side.BUY else Side.BUY) for g in legs)
    with pytest.raises(PlanError, match="wings sit outside"):
        check_preset(Preset.IRON_CONDOR, flipped)
    with pytest.raises(PlanError, match="BUY CE, SELL CE, SELL PE, BUY PE"):
        check_preset(
            Preset.IRON_CONDOR,
            (legs[1], replace(legs[0], side=Side.SELL), legs[2], legs[3]),
        )
    check_preset(Preset.IRON_CONDOR, swapped)  # leg order does not matter, the strikes do
    inside = (leg(26000, "CE", Side.BUY), leg(26500, "CE"), leg(25500, "PE"), leg(25000, "PE", Side.BUY))
    with pytest.raises(PlanError, match="wings sit outside"):
        check_preset(Preset.IRON_CONDOR, inside)


def test_presets_forbid_mixed_underlyings_and_uneven_straddles():
    with pytest.raises(PlanError, match="mix BANKNIFTY, NIFTY"):
        check_preset(Preset.STRANGLE, (leg(26500, "CE"), leg(57000, "PE", underlying="BANKNIFTY")))
    with pytest.raises(PlanError, match="same strike"):
        check_preset(Preset.STRADDLE, (leg(26000, "CE"), leg(25900, "PE")))
    check_preset(Preset.CUSTOM, (leg(26500, "CE"), leg(57000, "PE", underlying="BANKNIFTY")))


def test_legs_table_round_trips_and_names_a_missing_symbol():
    legs = preset_legs(Preset.IRON_CONDOR, "NIFTY", TODAY)
    assert legs_from_frame(legs_frame(legs)) == legs
    df = legs_frame(legs)
    df.loc[1, "symbol"] = ""
    with pytest.raises(PlanError, match="Row 2 of the legs table has no trading symbol"):
        legs_from_frame(df)


def test_an_incomplete_row_is_refused_by_its_number_never_left_out():
    """B1: a new row with a symbol and a side but no product or order type made a one-legged 'strangle'."""
    rows = legs_frame(preset_legs(Preset.STRANGLE, "NIFTY", TODAY)).to_dict("records")
    added = {"symbol": sym("NIFTY", 26000, "PE"), "side": "S", "product": None, "order_type": None, "price": None}
    with pytest.raises(PlanError, match="Row 3 of the legs table has no product and no order type"):
        legs_from_frame(pd.DataFrame([*rows, added]))
    empty = dict.fromkeys(added)
    completed = {**added, "product": "NRML", "order_type": "MKT"}
    assert len(legs_from_frame(pd.DataFrame([*rows, completed, empty]))) == 3  # an empty row is nothing


def _orders():
    t0 = 1_795_000_000.0

    def mk(b: int, leg: int, start: float, ms: float, st: OrderStatus = OrderStatus.COMPLETE) -> OrderResult:
        end = start + ms / 1000
        return OrderResult(
            b,
            leg,
            f"SYM{leg}",
            Side.SELL,
            1,
            65,
            f"r-{b}-{leg}",
            st,
            f"{b}{leg}",
            65,
            10.0,
            None,
            start,
            end,
            t0 + start,
            t0 + end,
            1,
        )

    return orders_frame(
        [mk(1, 1, 0.0, 150.0), mk(1, 2, 0.001, 0.4), mk(2, 1, 1.0, 120.0), mk(2, 2, 1.0, 90.0, OrderStatus.REJECTED)]
    )


def test_timeline_draws_a_bar_per_order_with_millisecond_lengths():
    orders = _orders()
    fig = timeline(orders, batches_frame(orders))
    bars = [x for trace in fig.data for x in trace.x]
    assert len(bars) == 4 and sorted(bars)[0] == pytest.approx(0.4)  # a 0.4 ms order keeps its width
    assert {t.name for t in fig.data} == {"complete", "rejected"}
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%H:%M:%S.%L"
    assert len(fig.layout.shapes) == 2  # one shaded span per batch
    assert "latency" in fig.data[0].hovertemplate and "order" in fig.data[0].hovertemplate


def test_batches_frame_and_csv():
    orders = _orders()
    b = batches_frame(orders)
    assert list(b["one_by_one_ms"]) == pytest.approx([150.4, 210.0])
    assert list(b["batch_ms"]) == pytest.approx([150.0, 120.0], abs=0.01)
    text = to_csv(orders).decode()
    assert text.splitlines()[0].startswith("batch,leg,symbol,side,lots,units,tag,order_no,status")
    rows = pd.read_csv(io.StringIO(text))
    assert len(rows) == 4 and list(rows["units"]) == [65] * 4 and list(rows["filled_lots"]) == [1.0] * 4
    # Milliseconds and an explicit IST offset: a spreadsheet cannot read these as UTC.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30", t) for t in rows["start"])
    sent = pd.Timestamp(rows["start"][0])
    assert sent.timestamp() == pytest.approx(1_795_000_000.0, abs=0.001)


def test_the_timeline_hover_reads_rupees_the_indian_way_and_a_market_order_as_market():
    orders = _orders()
    orders.loc[0, ["avg_price", "arrival_mid"]] = [2045725.5, None]
    fig = timeline(orders, batches_frame(orders))
    hovers = [row[7] for trace in fig.data for row in trace.customdata]
    assert "limit market · filled at ₹20,45,725.50 · mid at send — · slippage —" in hovers


def test_the_batch_comparison_draws_each_runs_batches_and_its_median():
    orders = _orders()
    a, b = batches_frame(orders), batches_frame(orders, parallel=False)
    b["batch_ms"] = b["batch_ms"] * 2
    fig = batch_comparison(a, b, "A", "B")
    assert [t.name for t in fig.data] == ["A", "B"] and list(fig.data[1].y) == pytest.approx([300.0, 240.0])
    assert [s.y0 for s in fig.layout.shapes] == pytest.approx([135.0, 270.0])  # the two medians, dashed
    assert "first order sent to last reply" in fig.layout.title.text


@pytest.mark.parametrize(
    "atm, message",
    [
        (0, "ATM strike must be a positive NIFTY strike"),
        (-500, "ATM strike must be a positive NIFTY strike"),
        (26137, "ATM strike 26137 is not on NIFTY's 50-point grid: use 26100 or 26150."),
        (float("nan"), "ATM strike must be a number"),
    ],
)
def test_an_atm_strike_the_legs_cannot_use_is_refused_in_one_line(atm, message):
    """B11: 0 built legs around 26000, -500 blamed a symbol the trader never typed, 26137 became 26150."""
    with pytest.raises(PlanError, match=re.escape(message)):
        preset_legs(Preset.STRANGLE, "NIFTY", TODAY, atm)
    assert check_atm("NIFTY", 26150) == 26150
