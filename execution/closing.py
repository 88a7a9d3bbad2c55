"""The account's positions as the command line and the Positions page show them: rows, totals, broken hedges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .engine import Engine
from .positions import Position


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2) + 0.0  # + 0.0: never print -0.0


def position_json(p: Position, runs: Sequence[str]) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "segment": p.segment.value,
        "product": p.product,
        "lot_size": p.lot_size,
        "net_units": p.net_units,
        "net_lots": p.net_lots,
        "avg_price": _money(p.avg_price),
        "ltp": p.ltp,
        "realised": _money(p.realised),
        "unrealised": _money(p.unrealised),
        "runs": list(runs),
    }


def totals(positions: Sequence[Position]) -> dict[str, dict[str, float | None]]:
    """Realised, unrealised and MTM (their sum) per underlying; unrealised and MTM are None when any open
    position has no price."""
    out: dict[str, dict[str, float | None]] = {}
    for p in positions:
        t = out.setdefault(p.underlying, {"realised": 0.0, "unrealised": 0.0})
        t["realised"] = _money((t["realised"] or 0.0) + p.realised)
        u = p.unrealised
        t["unrealised"] = None if u is None or t["unrealised"] is None else _money(t["unrealised"] + u)
    for t in out.values():
        t["mtm"] = None if t["unrealised"] is None else _money((t["realised"] or 0.0) + t["unrealised"])
    return out


def account_mtm(sums: dict[str, dict[str, float | None]]) -> float | None:
    """The account's MTM over every underlying; None when any of them has none."""
    each = [t["mtm"] for t in sums.values()]
    return None if any(m is None for m in each) else _money(sum(m or 0.0 for m in each))


def _line(p: Position, runs: Sequence[str]) -> str:
    unrealised = _money(p.unrealised)
    shown = "–" if unrealised is None else f"{unrealised:,.2f}"
    return (
        f"{p.symbol:<24} {p.product:<5} {p.net_lots:>8g} lots {p.net_units:>7} units  avg {p.avg_price:>9.2f}  "
        f"ltp {p.ltp or 0:>9.2f}  realised {_money(p.realised) or 0:>11,.2f}  unrealised {shown:>11}  "
        f"{' '.join(runs)}"
    )


def positions_report(engine: Engine) -> tuple[dict[str, Any], list[str]]:
    """(`positions --json`'s object, its text lines)."""
    held = engine.positions()
    opened = engine.opened_by()
    breaks = engine.hedge_breaks(max_age_s=60.0)
    sums = totals(held)
    out = {
        "positions": [position_json(p, opened.get(p.symbol, ())) for p in held],
        "totals": sums,
        "account_mtm": account_mtm(sums),
        "hedge_breaks": [b.text for b in breaks],
    }
    lines = [_line(p, opened.get(p.symbol, ())) for p in held] or ["no positions"]
    lines += [
        f"{u}: realised {t['realised'] or 0:,.2f}, unrealised "
        + ("–" if t["unrealised"] is None else f"{t['unrealised']:,.2f}")
        + ", MTM "
        + ("–" if t["mtm"] is None else f"{t['mtm']:,.2f}")
        for u, t in sums.items()
    ]
    lines += [f"BROKEN HEDGE: {b.text}" for b in breaks]
    return out, lines
