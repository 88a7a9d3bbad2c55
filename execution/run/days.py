"""Cross-day rules: today's book shows only today's orders, so an earlier day's order is judged by its record."""

from __future__ import annotations

from datetime import date

from ..model import OrderResult, OrderStatus


def never_left(order: OrderResult) -> bool:
    """Journalled but never sent: the run died, or stopped, before the order's wave went out."""
    return order.status is OrderStatus.PENDING and order.submit_wall is None


def on_day(order: OrderResult, today: date) -> bool:
    """Whether today's book can show this order: it was journalled today (or before days were recorded)."""
    return order.day is None or order.day >= today


def earlier_day(order: OrderResult) -> str:
    day = f"{order.day:%d %b %Y}" if order.day else "an earlier day"
    return f"sent on {day} with no reply recorded; today's book cannot show it, so it is not placed again"
