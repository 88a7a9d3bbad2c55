"""What a run's fills came to: each leg's average price and premium, the position's net credit or debit, and
slippage against the mid when each batch was sent. Pure: from journalled orders only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import OrderResult, Side
from .pricing import slippage


def order_slippage(o: OrderResult) -> float | None:
    """₹ lost against the arrival mid on what filled (negative: better than the mid); None when not measured."""
    if o.arrival_mid is None or not o.filled_qty:
        return None
    return slippage(o.side, o.avg_price, o.arrival_mid, o.filled_qty)


def order_slippage_pct(o: OrderResult) -> float | None:
    lost = order_slippage(o)
    return None if lost is None or o.arrival_mid is None else percent(lost, o.arrival_mid * o.filled_qty)


def premium(o: OrderResult) -> float:
    """₹ received (positive, a sale) or paid (negative, a purchase) for what filled."""
    value = o.avg_price * o.filled_qty
    return round(value if o.side is Side.SELL else -value, 2)


def percent(part: float, whole: float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 3)


@dataclass(frozen=True)
class LegFill:
    leg: int
    symbol: str
    side: Side
    filled_units: int
    avg_price: float  # weighted by filled units
    premium: float  # ₹: positive received, negative paid
    slippage: float | None  # ₹ against the arrival mids, over the fills that have one
    slippage_pct: float | None


@dataclass(frozen=True)
class Fills:
    legs: tuple[LegFill, ...]

    @property
    def net_premium(self) -> float:
        """The position's net credit (positive) or debit (negative)."""
        return round(sum(g.premium for g in self.legs), 2)

    @property
    def slippage_total(self) -> float | None:
        measured = [g.slippage for g in self.legs if g.slippage is not None]
        return round(sum(measured), 2) if measured else None

    @property
    def credit_text(self) -> str:
        kind = "credit" if self.net_premium >= 0 else "debit"
        return f"net {kind} ₹{abs(self.net_premium):,.2f}"


def _measured(orders: list[OrderResult]) -> tuple[float | None, float | None]:
    """(₹, %) slippage of these orders against their arrival mids' value."""
    pairs = [
        (s, o.arrival_mid * o.filled_qty) for o in orders if (s := order_slippage(o)) is not None and o.arrival_mid
    ]
    if not pairs:
        return None, None
    lost = round(sum(s for s, _ in pairs), 2)
    return lost, percent(lost, sum(v for _, v in pairs))


def fills(orders: Iterable[OrderResult]) -> Fills:
    """Per leg, in the legs' order: fills, average price, premium and slippage."""
    by_leg: dict[int, list[OrderResult]] = {}
    for o in orders:
        by_leg.setdefault(o.leg, []).append(o)
    legs = []
    for leg, group in sorted(by_leg.items()):
        units = sum(o.filled_qty for o in group)
        avg = round(sum(o.avg_price * o.filled_qty for o in group) / units, 4) if units else 0.0
        lost, pct = _measured(group)
        legs.append(
            LegFill(
                leg, group[0].symbol, group[0].side, units, avg, round(sum(premium(o) for o in group), 2), lost, pct
            )
        )
    return Fills(tuple(legs))


def batch_slippage(orders: Iterable[OrderResult]) -> dict[int, tuple[float | None, float | None]]:
    """(₹, %) slippage per batch."""
    by_batch: dict[int, list[OrderResult]] = {}
    for o in orders:
        by_batch.setdefault(o.batch, []).append(o)
    return {batch: _measured(group) for batch, group in sorted(by_batch.items())}
