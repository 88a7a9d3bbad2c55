"""pandas frames of a run's orders and batches, from a live run or from the journal, and CSV export."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .fills import fills, order_slippage, order_slippage_pct
from .model import OrderEvent, OrderResult, RunConfig, RunRecord
from .outcome import Summary, underlying_of
from .wording import lots_text

TZ = "Asia/Kolkata"
ORDER_COLUMNS = [
    "batch",
    "leg",
    "symbol",
    "side",
    "lots",
    "units",
    "tag",
    "order_no",
    "status",
    "filled_lots",
    "filled_units",
    "price",
    "avg_price",
    "arrival_mid",
    "slippage_rs",
    "slippage_pct",
    "modifies",
    "start",
    "end",
    "latency_ms",
    "attempts",
    "error",
]
EVENT_COLUMNS = ["time", "status", "source", "filled_units", "price", "order_no", "note"]
HISTORY_COLUMNS = [
    "when",
    "run",
    "account",
    "outcome",
    "underlying",
    "contracts",
    "lots",
    "per_batch",
    "delay_s",
    "mode",
    "filled",
    "failures",
    "total_s",
]
BATCH_COLUMNS = [
    "batch",
    "lots",
    "legs",
    "start",
    "batch_ms",
    "one_by_one_ms",
    "saved_ms",
    "saved_pct",
    "skew_ms",
    "slippage_rs",
    "slippage_pct",
]
FILL_COLUMNS = ["leg", "symbol", "side", "filled_units", "avg_price", "premium_rs", "slippage_rs", "slippage_pct"]
# What a screen calls each column: the trader's words, with units and the time zone.
LABELS = {
    "batch": "Batch",
    "leg": "Leg",
    "symbol": "Symbol",
    "side": "Side",
    "lots": "Lots",
    "units": "Units",
    "tag": "Tag",
    "order_no": "Order no.",
    "status": "Status",
    "filled_lots": "Filled lots",
    "filled_units": "Filled units",
    "avg_price": "Avg price (₹)",
    "price": "Limit (₹)",
    "arrival_mid": "Mid at send (₹)",
    "slippage_rs": "Slippage (₹)",
    "slippage_pct": "Slippage (%)",
    "modifies": "Moves",
    "premium_rs": "Premium (₹, + received)",
    "start": "Sent (IST)",
    "end": "Acknowledged (IST)",
    "latency_ms": "Reply (ms)",
    "attempts": "Attempts",
    "error": "Error",
    "time": "Time (IST)",
    "source": "Said by",
    "note": "Note",
    "legs": "Legs",
    "batch_ms": "Batch took (ms)",
    "one_by_one_ms": "Legs one by one (ms)",
    "saved_ms": "Parallel saved (ms)",
    "saved_pct": "Saved (%)",
    "skew_ms": "Leg skew (ms)",
    "when": "When (IST)",
    "run": "Run",
    "account": "Account",
    "outcome": "Outcome",
    "underlying": "Underlying",
    "contracts": "Legs",
    "per_batch": "Lots per batch",
    "delay_s": "Delay (s)",
    "mode": "Legs sent",
    "filled": "Filled lots per leg",
    "failures": "Failures",
    "total_s": "Total (s)",
}


def _when(wall: pd.Series) -> pd.Series:
    return pd.to_datetime(wall, unit="s", utc=True).dt.tz_convert(TZ)


def orders_frame(orders: Iterable[OrderResult]) -> pd.DataFrame:
    """One row per order, in batch and leg order; quantities in lots and in units (lots x lot size)."""
    rows = [
        {
            "batch": o.batch,
            "leg": o.leg,
            "symbol": o.symbol,
            "side": o.side.name,
            "lots": o.lots,
            "units": o.quantity,
            "tag": o.tag,
            "order_no": o.order_no or "",
            "status": o.status.value,
            "filled_lots": round(o.filled_qty * o.lots / o.quantity, 2) if o.quantity else 0.0,
            "filled_units": o.filled_qty,
            "price": o.price,
            "avg_price": o.avg_price,
            "arrival_mid": o.arrival_mid,
            "slippage_rs": order_slippage(o),
            "slippage_pct": order_slippage_pct(o),
            "modifies": o.modifies,
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


def events_frame(events: Iterable[OrderEvent]) -> pd.DataFrame:
    """An order's history, oldest first: when, what status, who said so, and any note."""
    rows = [
        {
            "time": e.wall,
            "status": e.status.value,
            "source": e.source.value,
            "filled_units": e.filled_qty,
            "price": e.price,
            "order_no": e.order_no or "",
            "note": e.note or "",
        }
        for e in events
    ]
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["time"] = _when(df["time"].astype(float))
    return df


def fills_frame(orders: Iterable[OrderResult]) -> pd.DataFrame:
    """Per leg: units filled, weighted average price, premium received or paid, and slippage."""
    rows = [
        {
            "leg": g.leg,
            "symbol": g.symbol,
            "side": g.side.name,
            "filled_units": g.filled_units,
            "avg_price": g.avg_price,
            "premium_rs": g.premium,
            "slippage_rs": g.slippage,
            "slippage_pct": g.slippage_pct,
        }
        for g in fills(orders).legs
    ]
    return pd.DataFrame(rows, columns=FILL_COLUMNS)


def _batch_slippage(orders: pd.DataFrame) -> pd.DataFrame:
    """(₹, %) per batch from the orders frame: slippage over the value of the fills at the arrival mid."""
    measured = orders.dropna(subset=["slippage_rs"]).assign(
        value=lambda d: d["arrival_mid"].astype(float) * d["filled_units"]
    )
    g = measured.groupby("batch")
    out = pd.DataFrame({"slippage_rs": g["slippage_rs"].sum(), "value": g["value"].sum()})
    out["slippage_pct"] = (100.0 * out["slippage_rs"] / out["value"]).where(out["value"] > 0)
    return out[["slippage_rs", "slippage_pct"]].round({"slippage_rs": 2, "slippage_pct": 3})


def leg_skew_ms(sent: pd.DataFrame, by_side: bool = False) -> pd.Series:
    """Per batch, how far apart its legs left: the spread of their send times, in ms. With `by_side` (hedge-first)
    the BUY legs leave together and the SELL legs together after them, so each side is its own spread."""
    keys = ["batch", "side"] if by_side else ["batch"]
    spread = sent.groupby(keys)["start"].agg(lambda s: (s.max() - s.min()).total_seconds() * 1000.0)
    return spread.groupby(level="batch").max() if by_side else spread


def batches_frame(orders: pd.DataFrame, *, hedge_first: bool = False) -> pd.DataFrame:
    """Per batch: how long it took (first send to last reply), what its legs one by one would have taken (the sum
    of their reply times), what sending them together saved, how far apart its legs left, and its slippage against
    the arrival mid."""
    sent = orders.dropna(subset=["latency_ms"])
    if sent.empty:
        return pd.DataFrame(columns=BATCH_COLUMNS)
    g = sent.groupby("batch")
    df = pd.DataFrame(
        {
            "lots": g["lots"].first(),
            "legs": g.size(),
            "start": g["start"].min(),
            "batch_ms": (g["end"].max() - g["start"].min()).dt.total_seconds() * 1000.0,
            "one_by_one_ms": g["latency_ms"].sum(),
        }
    ).reset_index()
    df["saved_ms"] = df["one_by_one_ms"] - df["batch_ms"]
    df["saved_pct"] = (100.0 * df["saved_ms"] / df["one_by_one_ms"]).where(df["one_by_one_ms"] > 0, 0.0)
    df = df.join(leg_skew_ms(sent, hedge_first).rename("skew_ms"), on="batch")
    df = df.join(_batch_slippage(orders), on="batch")
    rounding = {"batch_ms": 3, "one_by_one_ms": 3, "saved_ms": 3, "saved_pct": 1, "skew_ms": 3}
    return df[BATCH_COLUMNS].round(rounding)


def run_span_s(orders: pd.DataFrame) -> float | None:
    """First send to last reply, from the orders themselves: a run that died never recorded its own time."""
    sent = orders.dropna(subset=["latency_ms"])
    if sent.empty:
        return None
    return float((sent["end"].max() - sent["start"].min()).total_seconds())


def for_screen(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with the trader's column names; times keep their IST zone."""
    return df.rename(columns=LABELS)


def to_csv(df: pd.DataFrame) -> bytes:
    """Times with an explicit +05:30 offset, to the millisecond, so a spreadsheet cannot take them for UTC."""
    out = df.copy()
    for col in out.columns:
        # A run that sent nothing has no times: its (empty) columns are not datetimes.
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            ms = out[col].dt.round("ms")
            offset = ms.dt.strftime("%z").str.replace(r"(\d\d)$", r":\1", regex=True)
            out[col] = ms.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + offset
    return out.to_csv(index=False).encode()


def underlyings(config: RunConfig) -> list[str]:
    """The indices a run's legs are on, in the legs' order."""
    return list(dict.fromkeys(underlying_of(leg.symbol) for leg in config.legs))


def _failures(summary: Summary) -> str:
    """What went wrong, in lots per leg: the exposure first, then what did not fill."""
    parts = [f"naked: {summary.exposure_text}"] if summary.exposure else []
    for g in summary.legs:
        missing = [(n, what) for n, what in ((g.rejected, "rejected"), (g.open, "open"), (g.not_sent, "not sent")) if n]
        if missing:
            parts.append(f"{g.label}: " + ", ".join(f"{lots_text(n)} {what}" for n, what in missing))
    return "; ".join(parts)


def history_frame(runs: Iterable[RunRecord], summaries: dict[str, Summary]) -> pd.DataFrame:
    """One row per run, newest first: when (IST), what it traded, how it ended and what failed."""
    rows = [
        {
            "when": r.created_wall,
            "run": r.run_id,
            "account": "paper" if r.paper else "LIVE",
            "outcome": summaries[r.run_id].outcome.value,
            "underlying": ", ".join(underlyings(r.config)),
            "contracts": ", ".join(g.label for g in r.config.legs),
            "lots": r.config.total_lots,
            "per_batch": r.config.lots_per_batch,
            "delay_s": r.config.delay_s,
            "mode": r.config.mode.value,
            "filled": " / ".join(lots_text(g.filled) for g in summaries[r.run_id].legs),
            "failures": _failures(summaries[r.run_id]),
            "total_s": None if r.wall_s is None else round(r.wall_s, 3),
        }
        for r in runs
    ]
    df = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    df["when"] = _when(df["when"].astype(float))
    return df
