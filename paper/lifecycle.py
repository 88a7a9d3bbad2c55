"""One order's life on the paper exchange: the row it starts as, Neo's states it moves through (SDK docs/functions/
orders/order_history.md), and its fills against the market."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from execution.clock import IST

from .contracts import Contract
from .floor import Floor

STATES = ("put order req received", "validation pending", "open pending", "open")
FINAL_STATES = ("complete", "rejected", "cancelled")


def working(row: Mapping[str, Any]) -> int:
    """Units still working on the book: not yet filled, and neither rejected nor cancelled."""
    return 0 if row["ordSt"] in FINAL_STATES else int(row["unFldSz"])


def outside_band(price: float, low: float, high: float) -> str:
    # A price outside the band is refused by the exchange and shows later on the book (SDK docs/functions/orders/
    # modify_order.md: "the exchange may reject it moments later (e.g. price outside the allowed band)").
    return f"RMS:Order price {price:.2f} is outside the price band {low:.2f} - {high:.2f}"


def new_row(
    floor: Floor,
    j: Mapping[str, Any],
    contract: Contract,
    order_no: str,
    qty: int,
    *,
    limit: float,
    reason: str,
    now: float,
    lag: float,
) -> dict[str, Any]:
    """An order accepted `now` at `limit`, which the RMS rejects for `reason` if there is one: it shows in the book
    `lag` seconds later."""
    return {
        **_reported(floor, j, contract, order_no, qty, limit),
        "_tag": j.get("ig") or "",
        "_acc": now,
        "_t0": now + lag,
        "_step": floor.config.state_step_ms / 1000.0,
        "_reject": reason,
        "_limit": limit,
        "_cost": 0.0,
        "_second": -1,
        "_history": [],
    }


def _reported(
    floor: Floor, j: Mapping[str, Any], contract: Contract, order_no: str, qty: int, limit: float
) -> dict[str, Any]:
    """What the order's reports show of a new order."""
    stamp = datetime.fromtimestamp(floor.clock.wall(), IST).strftime("%d-%b-%Y %H:%M:%S")
    return {
        "nOrdNo": order_no,
        "ordSt": STATES[0],
        "trdSym": contract.symbol,
        "exSeg": contract.rules.segment,
        "prod": j.get("pc"),
        # A MKT order keeps prcTp "MKT" (Kotak's streaming page example of a filled market order, the SDK's
        # tests/unit/test_orderfeed_client.py, the REST pages' field tables, OpenAlgo's book mapping; no source
        # quotes a book row relabelled "L"), while its fills stop at the protection price, which is its prc.
        "prcTp": j.get("pt"),
        "prc": f"{limit:.2f}",
        "trgPrc": "0.00",
        "qty": qty,
        "fldQty": 0,
        "unFldSz": qty,
        "cnlQty": 0,
        "avgPrc": "0.00",
        "trnsTp": j.get("tt"),
        "vldt": j.get("rt"),
        "GuiOrdId": j.get("ig") or "",
        "rejRsn": "--",
        "ordDtTm": stamp,
        # order_report.md's sample row carries the token and the entry time; another client's times read them.
        "ordEntTm": stamp,
        "tok": str(contract.token),
        "sym": contract.rules.name,
        "flDtTm": stamp,
        "exOrdId": "NA",
        "lotSz": str(contract.rules.lot_size),
        "ordDur": j.get("rt") or "DAY",
        "mktPro": "0.00",
    }


def advance(floor: Floor, row: dict[str, Any], now: float) -> bool:
    """Move an order through its lifecycle up to `now`, filling from the market when open; whether its state or
    its filled quantity changed."""
    step, start = row["_step"], row["_t0"]
    if row["ordSt"] in FINAL_STATES or now < start:
        return False
    before = (row["ordSt"], row["fldQty"])
    reached = len(STATES) if step == 0 else min(len(STATES), int((now - start) / step) + 1)
    for index in range(STATES.index(row["ordSt"]) + 1, reached):
        row["_history"].append(row["ordSt"])
        row["ordSt"] = STATES[index]
        if row["ordSt"] == "open pending" and row["_reject"]:
            row["_history"].append(row["ordSt"])
            row.update(ordSt="rejected", unFldSz=0, rejRsn=row["_reject"], _final=start + index * step)
            break
    if row["ordSt"] == "open":
        if row["exOrdId"] == "NA":
            row["exOrdId"] = f"{1000000000000000 + int(row['nOrdNo'][-9:])}"
        _fill(floor, row, now)
    return (row["ordSt"], row["fldQty"]) != before


def _fill(floor: Floor, row: dict[str, Any], now: float) -> None:
    """Take liquidity once per second of the order's open life, up to its limit."""
    contract, market = floor.contracts[row["trdSym"]], floor.market
    opened = int(row["_t0"] + 3 * row["_step"])
    # Each second's depth is taken once; unlimited liquidity has no depth to use up.
    renewed = 1 if market.liquidity is not None else 0
    first = max(row["_second"] + renewed, opened)
    for second in range(first, min(int(now), first + 60) + 1):
        left = row["unFldSz"]
        if not left:
            break
        trades = market.fill(contract, row["trnsTp"] == "B", left, row["_limit"], second, floor.days_left(contract))
        for got, price in trades:
            row.setdefault("_fills", []).append([second, got, price])
            row["_cost"] += got * price
            row["fldQty"] += got
            row["unFldSz"] -= got
        if trades:
            # The order book shows the average to the paisa; the trade book keeps each trade's own price.
            row["avgPrc"] = f"{row['_cost'] / row['fldQty']:.2f}"
        row["_second"] = second
    if not row["unFldSz"]:
        row["_history"].append("open")
        row.update(ordSt="complete", _final=max(row["_t0"] + 3 * row["_step"], float(row["_second"])))
