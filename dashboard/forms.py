"""Between widgets and the engine: the legs table as a DataFrame, and back to typed legs."""

from __future__ import annotations

import math

import pandas as pd

from execution.errors import PlanError, SymbolError
from execution.instruments import BUNDLED, parse_symbol
from execution.model import Leg, OrderType, Plan, Product, Segment, Side

LEG_COLUMNS = ["symbol", "side", "product", "order_type", "price"]


def legs_frame(legs: tuple[Leg, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "symbol": g.symbol,
                "side": g.side.value,
                "product": g.product.value,
                "order_type": g.order_type.value,
                "price": g.price,
            }
            for g in legs
        ],
        columns=LEG_COLUMNS,
    )


def legs_from_frame(df: pd.DataFrame) -> tuple[Leg, ...]:
    legs = []
    for i, row in enumerate(df.to_dict("records"), start=1):
        symbol = str(row.get("symbol") or "").strip().upper()
        if not symbol:
            if not any(str(row.get(c) or "").strip() for c in ("side", "product", "order_type")):
                continue  # an empty row the editor added
            raise PlanError(f"Leg {i} has no trading symbol.")
        try:
            side, product = Side(str(row.get("side") or "")), Product(row.get("product") or "NRML")
            order_type = OrderType(row.get("order_type") or "MKT")
        except ValueError:
            raise PlanError(f"Leg {i}: side must be B or S, product NRML or MIS, order type MKT or L.") from None
        price = row.get("price")
        price = 0.0 if price is None or (isinstance(price, float) and math.isnan(price)) else float(price)
        try:
            segment = BUNDLED[parse_symbol(symbol).underlying].segment
        except SymbolError:
            segment = Segment.NSE_FO  # the planner names what is wrong with the symbol
        legs.append(Leg(symbol=symbol, side=side, segment=segment, product=product, order_type=order_type, price=price))
    return tuple(legs)


def plan_preview(plan: Plan) -> pd.DataFrame:
    """One row per batch: its lots and the units each leg sends."""
    rows = []
    for b in plan.batches:
        row = {"batch": b.number, "lots": b.lots}
        row.update({f"leg {o.leg} units": o.quantity for o in b.orders})
        rows.append(row)
    return pd.DataFrame(rows)


def units_per_leg(plan: Plan) -> list[str]:
    totals: dict[int, int] = {}
    for o in plan.orders:
        totals[o.leg] = totals.get(o.leg, 0) + o.quantity
    return [f"{g.side.name} {totals[i]:,} units of {g.symbol}" for i, g in enumerate(plan.config.legs, start=1)]
