"""Between widgets and the engine: the legs table as a DataFrame, and back to typed legs."""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping

import pandas as pd

from execution.errors import PlanError, SymbolError
from execution.instruments import BUNDLED, parse_symbol
from execution.model import Leg, OrderType, Plan, Product, Segment, Side, decimal

LEG_COLUMNS = ["symbol", "side", "product", "order_type", "price"]
# The columns a leg cannot do without, as the table names them.
_NAMES = {"symbol": "trading symbol", "side": "side", "product": "product", "order_type": "order type"}
# What a row the trader adds starts with: the usual product and order type; the contract and side are theirs.
NEW_PRODUCT, NEW_ORDER_TYPE, NEW_PRICE = Product.NRML.value, OrderType.MARKET.value, 0.0


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


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def _row_leg(i: int, row: Mapping[Hashable, object]) -> Leg:
    """One row of the legs table as a leg; an incomplete row is refused by its number, never left out."""
    missing = [name for column, name in _NAMES.items() if _blank(row.get(column))]
    if missing:
        raise PlanError(f"Row {i} of the legs table has no {' and no '.join(missing)}: fill it in or delete the row.")
    symbol = str(row["symbol"]).strip().upper()
    try:
        side, product = Side(str(row["side"])), Product(str(row["product"]))
        order_type = OrderType(str(row["order_type"]))
    except ValueError:
        raise PlanError(f"Row {i}: side must be B or S, product NRML or MIS, order type MKT or L.") from None
    price = _price(i, row.get("price"))
    try:
        segment = BUNDLED[parse_symbol(symbol).underlying].segment
    except SymbolError:
        segment = Segment.NSE_FO  # the planner names what is wrong with the symbol
    return Leg(symbol=symbol, side=side, segment=segment, product=product, order_type=order_type, price=price)


def _price(i: int, value: object) -> float:
    """A cell's limit price: blank is none; else a finite number of at least 0, written plainly (no 1e3, 1_0 or
    digits of another script, which float() would read)."""
    if _blank(value):
        return 0.0
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
    try:
        price = decimal(value, f"Row {i}: the price")
    except PlanError:
        raise PlanError(
            f"Row {i}: the price must be a number of rupees written plainly, e.g. 102.5; got {value!r}."
        ) from None
    if price < 0:
        raise PlanError(f"Row {i}: the price cannot be negative, got {price:g}.")
    return price


def legs_from_frame(df: pd.DataFrame) -> tuple[Leg, ...]:
    """Every row that holds anything is a leg, or is refused by its number: none is ever quietly left out."""
    legs = []
    for i, row in enumerate(df.to_dict("records"), start=1):
        if all(_blank(row.get(c)) for c in LEG_COLUMNS if c != "price"):
            continue
        legs.append(_row_leg(i, row))
    return tuple(legs)


def _per_batch(values: list[int]) -> str:
    """'20' when every batch is alike, else '20 (last 7)'."""
    return f"{values[0]:,}" if len(set(values)) == 1 else f"{values[0]:,} (last {values[-1]:,})"


def legs_preview(plan: Plan) -> pd.DataFrame:
    """Per leg: what it is, its lot size, and lots and units per batch and in total."""
    rows = []
    for i, g in enumerate(plan.config.legs, start=1):
        orders = [o for o in plan.orders if o.leg == i]
        rows.append(
            {
                "Leg": i,
                "Side": g.side.name,
                "Symbol": g.symbol,
                "Lot size": plan.lot_sizes[i - 1],
                "Lots per batch": _per_batch([o.lots for o in orders]),
                "Units per batch": _per_batch([o.quantity for o in orders]),
                "Total lots": sum(o.lots for o in orders),
                "Total units": sum(o.quantity for o in orders),
            }
        )
    return pd.DataFrame(rows)


def plan_preview(plan: Plan) -> pd.DataFrame:
    """One row per batch: its lots and the units each leg sends, each column naming its leg."""
    names = {i: f"Leg {i} units ({g.side.name} {g.symbol})" for i, g in enumerate(plan.config.legs, start=1)}
    rows = []
    for b in plan.batches:
        row: dict[str, object] = {"Batch": b.number, "Lots": b.lots}
        row.update({names[o.leg]: o.quantity for o in b.orders})
        rows.append(row)
    return pd.DataFrame(rows)


def units_per_leg(plan: Plan) -> list[str]:
    totals: dict[int, int] = {}
    for o in plan.orders:
        totals[o.leg] = totals.get(o.leg, 0) + o.quantity
    return [
        f"{g.side.name} {plan.config.total_lots:,} lots = {totals[i]:,} units of {g.symbol}"
        for i, g in enumerate(plan.config.legs, start=1)
    ]
