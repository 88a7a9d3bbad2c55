"""What the command line prints: a run's report (text, or `--json`), orders with their histories, quotes, and the
symbols of a structure."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from ..engine import Engine
from ..fills import Fills, fills, order_slippage
from ..instruments import BUNDLED, next_weekday, parse_symbol, weekly_symbol
from ..model import (
    OrderEvent,
    OrderResult,
    RunResult,
)
from ..outcome import Exposure, Summary, summarize
from ..presets import REFERENCE_LEVEL, Preset, preset_legs
from ..quotes import Quote
from .args import STRUCTURES


def symbols_text(underlying: str, legs: str | None, today: date) -> str:
    """Live contracts from today's date: a structure's legs as `run` arguments, or a few examples to copy."""
    if legs:
        return " ".join(f"--leg {leg.symbol}:{leg.side}" for leg in preset_legs(STRUCTURES[legs], underlying, today))
    u = BUNDLED[underlying]
    level = REFERENCE_LEVEL[underlying]
    examples = [leg.symbol for leg in preset_legs(Preset.STRADDLE, underlying, today)]
    examples += [
        weekly_symbol(underlying, next_weekday(today, u.expiry_weekday), level, right) for right in ("CE", "PE")
    ]
    lines = []
    for symbol in examples:
        parsed = parse_symbol(symbol)
        kind = "weekly" if parsed.weekly else "monthly"
        lines.append(
            f"{symbol:<24} {kind:<8} expires {parsed.expiry:%a %d %b %Y}, lot {u.lot_size}, freeze {u.freeze_qty} units"
        )
    return "\n".join(lines)


def _event_json(e: OrderEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "wall": round(e.wall, 6),
        "status": e.status.value,
        "source": e.source.value,
        "filled_qty": e.filled_qty,
        "order_id": e.order_no,
        "price": e.price,
        "note": e.note,
    }


def _order_json(o: OrderResult, events: tuple[OrderEvent, ...]) -> dict[str, Any]:
    return {
        "batch": o.batch,
        "leg": o.leg,
        "symbol": o.symbol,
        "side": o.side.value,
        "lots": o.lots,
        "quantity": o.quantity,
        "tag": o.tag,
        "order_id": o.order_no,
        "status": o.status.value,
        "filled_qty": o.filled_qty,
        "avg_price": o.avg_price,
        "price": o.price,
        "arrival_mid": o.arrival_mid,
        "slippage": order_slippage(o),
        "modifies": o.modifies,
        "attempts": o.attempts,
        "latency_ms": None if o.latency_ms is None else round(o.latency_ms, 3),
        "error": o.error,
        "events": [_event_json(e) for e in events],
    }


def _venue_book(result: RunResult, engine: Engine) -> list[dict[str, Any]] | None:
    """The paper exchange's own rows of the run's orders; None on a live account."""
    if engine.exchange is None:
        return None
    tags = {o.tag for o in result.orders}
    keys = {"tag": "GuiOrdId", "symbol": "trdSym", "quantity": "qty", "order_id": "nOrdNo", "status": "ordSt"}
    return [{k: r[v] for k, v in keys.items()} for r in engine.exchange.book() if r["GuiOrdId"] in tags]


def _legs_json(summary: Summary) -> list[dict[str, Any]]:
    lots = ("planned", "placed", "filled", "open", "rejected", "not_sent")
    return [
        {
            **{"leg": g.leg, "symbol": g.symbol, "side": g.side.value, "lot_size": g.lot_size},
            "lots": {k: getattr(g, k) for k in lots},
        }
        for g in summary.legs
    ]


def _exposure_json(e: Exposure) -> dict[str, Any]:
    """One group's exposure the plan did not mean: per index, expiry (ISO date; None for a symbol that does not
    parse) and right."""
    return {
        "underlying": e.underlying,
        "expiry": None if e.expiry is None else e.expiry.isoformat(),
        "right": e.right,
        "naked_short_lots": e.naked_short,
        "extra_long_lots": e.extra_long,
        "text": e.text,
    }


def _fills_json(filled: Fills) -> list[dict[str, Any]]:
    return [
        {
            **{"leg": g.leg, "symbol": g.symbol, "side": g.side.value, "filled_qty": g.filled_units},
            **{"avg_price": g.avg_price, "premium": g.premium, "slippage": g.slippage},
        }
        for g in filled.legs
    ]


def report(result: RunResult, engine: Engine) -> dict[str, Any]:
    """What `run --json` prints: the run, each order with its history, and (paper) the exchange's own book."""
    events = engine.journal.events(result.run_id)
    journalled = engine.journal.orders(result.run_id) or list(result.orders)
    summary = summarize(result.config, result.state, journalled)
    filled = fills(journalled)
    return {
        "run_id": result.run_id,
        "outcome": summary.outcome.value,
        "headline": summary.headline,
        "exposure": [_exposure_json(e) for e in summary.exposure],
        "legs": _legs_json(summary),
        "net_premium": filled.net_premium,
        "slippage_total": filled.slippage_total,
        "fills": _fills_json(filled),
        "pricing": result.config.pricing.text,
        "state": result.state.value,
        "mode": result.config.mode.value,
        "pacing": result.config.pacing.value,
        "delays": [round(d, 6) for d in result.delays],
        "batches": len({o.batch for o in result.orders}),
        "logins": result.logins,
        "wall_s": round(result.wall_s, 6),
        "warnings": list(result.warnings),
        "orders": [_order_json(o, events.get(o.tag, ())) for o in result.orders],
        "exchange_book": _venue_book(result, engine),
    }


def print_text(out: dict[str, Any]) -> None:
    """The orders, then the outcome in lots per leg; warnings on standard error."""
    for o in out["orders"]:
        print(
            f"batch {o['batch']:>3} leg {o['leg']} {o['side']} {o['symbol']:<22} {o['quantity']:>6} "
            f"{o['status']:<9} {o['order_id'] or '-':<16} {o['latency_ms'] or 0:8.1f} ms {o['error'] or ''}"
        )
    print(out["headline"])
    for e in out["exposure"]:
        print(f"exposure the plan did not mean: {e['text']}")
    slip = "not measured" if out["slippage_total"] is None else f"₹{out['slippage_total']:,.2f}"
    kind = "credit" if out["net_premium"] >= 0 else "debit"
    print(f"net {kind} ₹{abs(out['net_premium']):,.2f}, slippage {slip} against the mid at each batch's send")
    print(f"{out['batches']} batches, {out['logins']} login(s), {out['wall_s']:.3f} s")
    for w in out["warnings"]:
        print(f"warning: {w}", file=sys.stderr)


def quote_json(q: Quote) -> dict[str, Any]:
    return {
        "ltp": q.ltp,
        "bid": q.bid,
        "ask": q.ask,
        "mid": q.mid,
        "low": q.low,
        "high": q.high,
        "oi": q.oi,
        "depth": {"buy": [list(level) for level in q.bids], "sell": [list(level) for level in q.asks]},
    }
