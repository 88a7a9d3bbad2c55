"""pandas frames of a run's orders and batches, from a live run or from the journal, and CSV export."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .model import OrderEvent, OrderResult, OrderStatus

TZ = "Asia/Kolkata"
ORDER_COLUMNS = [
    "batch",
    "leg",
    "symbol",
    "side",
    "lots",
    "quantity",
    "tag",
    "order_no",
    "status",
    "filled_qty",
    "avg_price",
    "start",
    "end",
    "latency_ms",
    "attempts",
    "error",
]
EVENT_COLUMNS = ["time", "status", "source", "filled_qty", "order_no", "note"]
BATCH_COLUMNS = ["batch", "lots", "legs", "start", "wall_ms", "sum_leg_ms", "saving_ms", "saving_pct"]


def _when(wall: pd.Series) -> pd.Series:
    return pd.to_datetime(wall, unit="s", utc=True).dt.tz_convert(TZ)


def orders_frame(orders: Iterable[OrderResult]) -> pd.DataFrame:
    """One row per order, in batch and leg order."""
    rows = [
        {
            "batch": o.batch,
            "leg": o.leg,
            "symbol": o.symbol,
            "side": o.side.name,
            "lots": o.lots,
            "quantity": o.quantity,
            "tag": o.tag,
            "order_no": o.order_no or "",
            "status": o.status.value,
            "filled_qty": o.filled_qty,
            "avg_price": o.avg_price,
            "start": o.submit_wall,
            "end": o.ack_wall,
            "latency_ms": o.latency_ms,
            "attempts": o.attempts,
            "error": o.error or "",
        }
        for o in orders
    ]
    df = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    df["start"], df["end"] = _when(df["start"].astype(float)), _when(df["end"].astype(float))
    df["latency_ms"] = df["latency_ms"].astype(float).round(3)
    return df.sort_values(["batch", "leg"], kind="stable").reset_index(drop=True)


def ok_count(orders: pd.DataFrame) -> int:
    """Orders filled in full: a resting or merely accepted order is not done yet."""
    return int(sum(OrderStatus(s).ok for s in orders["status"]))


def events_frame(events: Iterable[OrderEvent]) -> pd.DataFrame:
    """An order's history, oldest first: when, what status, who said so, and any note."""
    rows = [
        {
            "time": e.wall,
            "status": e.status.value,
            "source": e.source.value,
            "filled_qty": e.filled_qty,
            "order_no": e.order_no or "",
            "note": e.note or "",
        }
        for e in events
    ]
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["time"] = _when(df["time"].astype(float))
    return df


def batches_frame(orders: pd.DataFrame) -> pd.DataFrame:
    """Per batch: wall time (first send to last ack), the sum of its leg latencies and what parallel saved."""
    sent = orders.dropna(subset=["latency_ms"])
    if sent.empty:
        return pd.DataFrame(columns=BATCH_COLUMNS)
    g = sent.groupby("batch")
    df = pd.DataFrame(
        {
            "lots": g["lots"].first(),
            "legs": g.size(),
            "start": g["start"].min(),
            "wall_ms": (g["end"].max() - g["start"].min()).dt.total_seconds() * 1000.0,
            "sum_leg_ms": g["latency_ms"].sum(),
        }
    ).reset_index()
    df["saving_ms"] = df["sum_leg_ms"] - df["wall_ms"]
    df["saving_pct"] = (100.0 * df["saving_ms"] / df["sum_leg_ms"]).where(df["sum_leg_ms"] > 0, 0.0)
    return df[BATCH_COLUMNS].round({"wall_ms": 3, "sum_leg_ms": 3, "saving_ms": 3, "saving_pct": 1})


def leg_balance(orders: pd.DataFrame) -> pd.DataFrame:
    """Filled quantity and lots per leg: legs that differ leave the position unbalanced."""
    g = orders.groupby(["leg", "symbol", "side"])
    out = pd.DataFrame({"planned_qty": g["quantity"].sum(), "filled_qty": g["filled_qty"].sum()}).reset_index()
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    out = df.copy()
    for col in ("start", "end"):
        # A run that sent nothing has no times: its (empty) columns are not datetimes.
        if col in out and pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3]
    return out.to_csv(index=False).encode()
