"""Between widgets and the engine: the legs table as a DataFrame and back to typed legs, and the Execute form's
values as the engine's RunConfig and plan. Plain functions, no Streamlit: tests call them directly."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import pandas as pd

from execution.errors import PlanError, SymbolError
from execution.instruments import BUNDLED, parse_symbol
from execution.model import (
    Leg,
    Mode,
    OnLegFailure,
    OnUnfilled,
    OrderType,
    Pacing,
    Plan,
    PriceFrom,
    PriceMode,
    Pricing,
    Product,
    RunConfig,
    Segment,
    Side,
    decimal,
)
from execution.presets import Preset, check_atm, check_preset
from execution.recovery import ResumePreview
from execution.wording import indian, inr, plural

LEG_COLUMNS = ["symbol", "side", "product", "order_type", "price"]
# The columns a leg cannot do without, as the table names them.
_NAMES = {"symbol": "trading symbol", "side": "side", "product": "product", "order_type": "order type"}
# What a row the trader adds starts with: the usual product and order type; the contract and side are theirs.
NEW_PRODUCT, NEW_ORDER_TYPE, NEW_PRICE = Product.NRML.value, OrderType.MARKET.value, 0.0

# The Execute form's values by widget key, as the widgets gave them (dashboard.state.FORM_DEFAULTS names every key).
Form = Mapping[str, Any]


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
                "Total lots": indian(sum(o.lots for o in orders)),
                "Total units": indian(sum(o.quantity for o in orders)),
                "Priced": leg_price(plan.config.pricing, g),
            }
        )
    return pd.DataFrame(rows)


def leg_price(pricing: Pricing, leg: Leg) -> str:
    """How the leg is priced when sent: the run's limit pricing wins over the table's order type and price."""
    if pricing.mode is PriceMode.LIMIT:
        return "Limit from quote"
    if leg.order_type is OrderType.LIMIT:
        return f"Limit {inr(leg.price)}"
    return "Market"


def plan_preview(plan: Plan) -> pd.DataFrame:
    """One row per batch: its lots and the units each leg sends, each column naming its leg."""
    names = {i: f"Leg {i} units ({g.side.name} {g.symbol})" for i, g in enumerate(plan.config.legs, start=1)}
    rows = []
    for b in plan.batches:
        row: dict[str, object] = {"Batch": b.number, "Lots": b.lots}
        row.update({names[o.leg]: indian(o.quantity) for o in b.orders})
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


def atm_strike(form: Form) -> tuple[int | None, list[str]]:
    """The ATM strike the strategy's legs are built around, or None and why not."""
    try:
        return check_atm(form["underlying"], form["atm"]), []
    except PlanError as exc:
        return None, [str(exc)]


def form_pricing(form: Form) -> Pricing:
    """The pricing box's values as the engine's pricing policy."""
    return Pricing(
        mode=PriceMode(form["price_mode"]),
        source=PriceFrom(form["price_from"]),
        buffer_pct=float(form["buffer_pct"]),
        chase_s=float(form["chase_s"]),
        chase_steps=int(form["chase_steps"]),
        chase_step_pct=float(form["chase_step_pct"]),
        chase_max_pct=float(form["chase_max_pct"]),
        on_unfilled=OnUnfilled(form["on_unfilled"]),
    )


def run_config(form: Form, legs: tuple[Leg, ...]) -> RunConfig:
    """The Execute form's values and the legs from its table as the engine's RunConfig. Most delay counts only under
    adaptive pacing (its box is drawn only then). Raises PlanError naming the field that is wrong."""
    adaptive = form["pacing"] == Pacing.ADAPTIVE.value
    return RunConfig(
        legs=legs,
        total_lots=form["total_lots"],
        lots_per_batch=form["lots_per_batch"],
        delay_s=form["delay_s"],
        delay_max_s=form["delay_max_s"] if adaptive else 0.0,
        mode=Mode(form["run_mode"]),
        pacing=Pacing(form["pacing"]),
        hedge_first=form["hedge_first"],
        hedge_wait_s=form["hedge_wait_s"],
        on_leg_failure=OnLegFailure(form["on_leg_failure"]),
        pricing=form_pricing(form),
    )


def form_plan(
    form: Form, legs_table: pd.DataFrame, make_plan: Callable[[RunConfig], Plan]
) -> tuple[Plan | None, list[str]]:
    """The Execute form and its legs table as a plan made by `make_plan` (the engine's: checked against today's scrip
    master), or None and the problems, each naming its field: the ATM strike's, then the first of the legs', the
    strategy's and the run's. A plan comes back only when there is no problem at all."""
    _, problems = atm_strike(form)
    try:
        legs = legs_from_frame(legs_table)
        check_preset(Preset(form["preset"]), legs)
        plan = make_plan(run_config(form, legs))
    except PlanError as exc:
        return None, [*problems, str(exc)]
    return (None if problems else plan), problems


_BATCH = re.compile(r"\bBatch (\d+)( is\b)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*( lots?\b)?")  # "1 lot" and "2 lots" are alike


def grouped_warnings(warnings: Iterable[str]) -> list[str]:
    """One line per failure: the same warning for batch after batch, or word for word again, is said once, naming
    the batches, or how often."""
    groups: dict[str, list[str]] = {}
    for w in warnings:
        groups.setdefault(_NUMBER.sub("#", w), []).append(w)
    return [_one_line(said) for said in groups.values()]


def _one_line(said: list[str]) -> str:
    first = said[0]
    if len(said) == 1:
        return first
    batches = list(dict.fromkeys(m.group(1) for w in said if (m := _BATCH.search(w))))
    if len(batches) < 2:
        return f"{first} ({len(said)} times)"
    m = _BATCH.search(first)
    verb = " are" if m is not None and m.group(2) else ""
    line = _BATCH.sub(f"Batches {', '.join(batches)}{verb}", first, count=1)
    alike = len(set(_BATCH.sub("", w) for w in said)) == 1
    return line if alike else f"{line} (as batch {batches[0]}; the others alike in kind)"


def resume_frame(preview: ResumePreview) -> pd.DataFrame:
    """Per leg: what Resume places, in how many batches, and its price at the run against its quote now."""
    return pd.DataFrame(
        [
            {
                "Leg": g.leg,
                "Side": g.side.name,
                "Symbol": g.symbol,
                "Lots to place": indian(g.lots),
                "Batches": indian(g.batches),
                "Lots the book decides": indian(g.unclear_lots),
                "At the run (₹)": "–" if g.then is None else indian(g.then, 2),
                "Now (₹)": "–" if g.now is None else indian(g.now, 2),
                "Moved": "–" if g.moved_pct is None else f"{g.moved_pct:+.1f} %",
            }
            for g in preview.legs
        ]
    )


def resume_summary(preview: ResumePreview) -> str:
    """One line before the Resume click."""
    legs = [g for g in preview.legs if g.lots]
    if not legs:
        return "Resume would place nothing the journal knows to be missing; the book is read first."
    what = "; ".join(
        f"{g.side.name} {plural(g.lots, 'lot')} of {g.symbol} in {plural(g.batches, 'batch')}" for g in legs
    )
    return (
        f"Resume places {what}: at today's prices, not the run's. The book is read first; an order it shows is "
        "not sent again."
    )
