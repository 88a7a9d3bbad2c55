import io
from dataclasses import replace

import pandas as pd
import pytest

from dashboard.charts import timeline
from dashboard.forms import legs_frame, legs_from_frame
from execution.errors import PlanError
from execution.model import OrderResult, OrderStatus, Side
from execution.planner import plan
from execution.presets import Preset, check_preset, preset_legs
from execution.reports import batches_frame, orders_frame, to_csv
from tests.helpers import TODAY, config, leg


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
    with pytest.raises(PlanError, match="Leg 2 has no trading symbol"):
        legs_from_frame(df)


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
    assert list(b["sum_leg_ms"]) == pytest.approx([150.4, 210.0])
    assert list(b["wall_ms"]) == pytest.approx([150.0, 120.0], abs=0.01)
    text = to_csv(orders).decode()
    assert text.splitlines()[0].startswith("batch,leg,symbol,side,lots,quantity,tag,order_no,status")
    assert ".000," in text or ".001," in text  # millisecond timestamps
    assert len(pd.read_csv(io.StringIO(text))) == 4
