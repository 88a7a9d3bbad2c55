"""pandas frames of a run's orders and batches, from a live run or from the journal, a run's whole span, two runs
compared, and CSV export."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .fills import fills, order_slippage, order_slippage_pct
from .model import EventSource, OrderEvent, OrderResult, RunConfig, RunRecord
from .outcome import Summary, underlying_of
from .wording import indian, lots_text

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
# The facts a trader scans for first, so they fit a 1366 px screen; what each run traded after them.
HISTORY_COLUMNS = [
    "when",
    "run",
    "outcome",
    "mode",
    "lots",
    "per_batch",
    "delay_s",
    "total_s",
    "filled",
    "failures",
    "account",
    "underlying",
    "contracts",
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
PARALLEL_COLUMNS = ("one_by_one_ms", "saved_ms", "saved_pct")
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
    "total_s": "Whole span (s)",
    "saved": "Parallel against one by one",
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


SENT = "sent"  # not an order status: the moment an order left, as the run's own clock saw it
# What the journal's first line of an order means: it is written as the batch is set up, before the wait before the
# batch, so its time is not when the order left.
INTENT_NOTE = "intent journalled as its batch was set up, before the wait; not sent yet"


def events_frame(events: Iterable[OrderEvent], order: OrderResult | None = None) -> pd.DataFrame:
    """An order's history, oldest first: when, what status, who said so, and any note. With `order`, the moment it
    was sent is a row of its own, between its intent and the exchange's reply."""
    rows: list[dict[str, object]] = [
        {
            "time": e.wall,
            "status": e.status.value,
            "source": e.source.value,
            "filled_units": e.filled_qty,
            "price": e.price,
            "order_no": e.order_no or "",
            "note": e.note or (INTENT_NOTE if e.source is EventSource.INTENT else ""),
        }
        for e in events
    ]
    if order is not None and order.submit_wall is not None and order.ack_wall is not None:
        note = "left for the exchange; its reply is the next line"
        rows.append(dict(time=order.submit_wall, status=SENT, source="run", filled_units=0, order_no="", note=note))
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["time"] = _when(df["time"].astype(float))
    return df.sort_values("time", kind="stable").reset_index(drop=True)


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


def batches_frame(orders: pd.DataFrame, *, hedge_first: bool = False, parallel: bool = True) -> pd.DataFrame:
    """Per batch: how long it took (first send to last reply), how far apart its legs left, and its slippage against
    the arrival mid. For a parallel run also what its legs one by one would have taken (the sum of their reply
    times) and what sending them together saved; a sequential run sent them one by one, so it has no such saving."""
    columns = BATCH_COLUMNS if parallel else [c for c in BATCH_COLUMNS if c not in PARALLEL_COLUMNS]
    sent = orders.dropna(subset=["latency_ms"])
    if sent.empty:
        return pd.DataFrame(columns=columns)
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
    return df[columns].round(rounding)


def run_span_s(orders: pd.DataFrame) -> float | None:
    """First send to last reply, from the orders frame alone (no history at hand)."""
    sent = orders.dropna(subset=["latency_ms"])
    if sent.empty:
        return None
    return float((sent["end"].max() - sent["start"].min()).total_seconds())


# Who settles an order after the run has let go of it: they tell when they looked, not when it happened.
_LATER = frozenset({EventSource.RECONCILE, EventSource.RESUME, EventSource.RECOVERY, EventSource.MIGRATION})


@dataclass(frozen=True)
class Span:
    """A run's whole span over every part of it (a stop and each resume): its first order sent to the last of its
    sent orders reaching a final state. The pause between a stop and its resume is inside it."""

    first_sent: float  # wall seconds
    last_final: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.last_final - self.first_sent)


def _settled(order: OrderResult, history: Sequence[OrderEvent]) -> float:
    """When a sent order reached its final state as the run saw it; its reply when it has no such moment (not final
    yet, or settled only by a later look)."""
    assert order.ack_wall is not None
    final = next((e for e in history if e.status.final), None)
    if final is None or final.source in _LATER:
        return order.ack_wall
    return max(order.ack_wall, final.wall)


def run_span(orders: Iterable[OrderResult], events: Mapping[str, Sequence[OrderEvent]]) -> Span | None:
    """The run's whole span from its journal: every order, its tags placed again by Resume included, with each
    order's history (Journal.events). None when nothing was sent."""
    sent = [o for o in orders if o.submit_wall is not None and o.ack_wall is not None]
    if not sent:
        return None
    first = min(o.submit_wall for o in sent if o.submit_wall is not None)
    return Span(first, max(_settled(o, events.get(o.tag, ())) for o in sent))


@dataclass(frozen=True)
class Timing:
    """What a comparison needs of one run: its shape (what it placed and how) and its times."""

    run_id: str
    mode: str
    leg_lots: tuple[int, ...]  # each leg's lots over the run
    lots_per_batch: int
    batches: int  # planned: the most lots of any leg over the lots per batch
    delay_s: float
    pacing: str
    pricing: str
    span_s: float | None  # the whole span, over every resume
    batches_sent: int
    orders_sent: int
    batch_ms: float | None  # the median batch: first send to last reply
    order_ms: float | None  # the median batch's time over its legs: per order in a batch

    @property
    def legs(self) -> int:
        return len(self.leg_lots)

    @property
    def span_per_batch_s(self) -> float | None:
        """The whole span over the batches sent: a batch and the wait after it."""
        return self.span_s / self.batches_sent if self.span_s is not None and self.batches_sent else None


def timing(record: RunRecord, batches: pd.DataFrame, span: Span | None) -> Timing:
    """A run's shape from its config; its times from its batches frame and its whole span."""
    c = record.config
    per_order = batches["batch_ms"] / batches["legs"] if len(batches) else pd.Series(dtype=float)
    return Timing(
        run_id=record.run_id,
        mode=c.mode.value,
        leg_lots=c.leg_lots,
        lots_per_batch=c.lots_per_batch,
        batches=-(-max(c.leg_lots, default=0) // max(1, c.lots_per_batch)),
        delay_s=c.delay_s,
        pacing=c.pacing.value,
        pricing=c.pricing.mode.value,
        span_s=None if span is None else span.seconds,
        batches_sent=len(batches),
        orders_sent=int(batches["legs"].sum()) if len(batches) else 0,
        batch_ms=float(batches["batch_ms"].median()) if len(batches) else None,
        order_ms=float(per_order.median()) if len(per_order) else None,
    )


def _lots_shape(t: Timing) -> str:
    return lots_text(t.leg_lots[0]) if len(set(t.leg_lots)) == 1 else "/".join(lots_text(n) for n in t.leg_lots)


def differences(a: Timing, b: Timing) -> tuple[str, ...]:
    """How two runs differ in what they placed and how they paced it, each as 'what: A against B'; the legs'
    mode (parallel or sequential) is what a comparison is for, so it is not one of them."""
    pairs = [
        ("lots per leg", _lots_shape(a), _lots_shape(b)),
        ("legs", str(a.legs), str(b.legs)),
        ("batches", indian(a.batches), indian(b.batches)),
        ("lots per batch", lots_text(a.lots_per_batch), lots_text(b.lots_per_batch)),
        ("delay between batches", f"{a.delay_s:g} s", f"{b.delay_s:g} s"),
        ("pacing", a.pacing, b.pacing),
        ("pricing", a.pricing, b.pricing),
    ]
    return tuple(f"{what}: {x} against {y}" for what, x, y in pairs if x != y)


def _faster(what: str, a: float, b: float, unit: str, places: int) -> str:
    """'Run A's X was 1.20 s shorter (40 %): 1.80 s against 3.00 s.' The share is of the longer."""
    if a == b:
        return f"{what.capitalize()}: the same, {indian(a, places)} {unit}."
    quick, slow, x, y = ("A", "B", a, b) if a < b else ("B", "A", b, a)
    return (
        f"Run {quick}'s {what} was {indian(y - x, places)} {unit} shorter ({100 * (y - x) / y:.0f} %): "
        f"{indian(x, places)} {unit} against {indian(y, places)} {unit} for run {slow}."
    )


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side: what differs between them, and only the verdicts that are like for like."""

    differences: tuple[str, ...]
    whole: str | None  # the whole spans, only when the runs placed and paced the same
    per_batch: str | None  # the median batches, only when they carry the same legs
    note: str  # what is and is not compared, in a line


def compare(a: Timing, b: Timing) -> Comparison:
    diffs = differences(a, b)
    whole = per_batch = None
    if not diffs and a.span_s and b.span_s:
        whole = _faster("whole span", a.span_s, b.span_s, "s", 2)
    if a.legs == b.legs and a.batch_ms and b.batch_ms:
        per_batch = _faster("median batch", a.batch_ms, b.batch_ms, "ms", 1)
    if not diffs:
        note = "Like for like: the same lots, legs, batches, delay, pacing and pricing."
    elif a.legs == b.legs:
        note = (
            f"Not like for like ({'; '.join(diffs)}), so the whole spans are not compared. The batches carry the "
            "same legs, so batch against batch is."
        )
    else:
        note = (
            f"Not like for like ({'; '.join(diffs)}): neither the whole spans nor the batches compare, so no run is "
            "called faster. Per order in a batch is the nearest measure."
        )
    return Comparison(diffs, whole, per_batch, note)


def comparison_frame(a: Timing, b: Timing) -> pd.DataFrame:
    """The measures of two runs side by side, as the trader reads them."""

    def num(value: float | None, places: int) -> str:
        return "—" if value is None else indian(value, places)

    rows = [
        ("Lots per leg", _lots_shape(a), _lots_shape(b)),
        ("Legs", str(a.legs), str(b.legs)),
        (
            "Batches sent (planned)",
            f"{indian(a.batches_sent)} ({indian(a.batches)})",
            f"{indian(b.batches_sent)} ({indian(b.batches)})",
        ),
        ("Orders sent", indian(a.orders_sent), indian(b.orders_sent)),
        ("Whole span (s)", num(a.span_s, 2), num(b.span_s, 2)),
        ("Span per batch, with its wait (s)", num(a.span_per_batch_s, 2), num(b.span_per_batch_s, 2)),
        ("Batch took, median (ms)", num(a.batch_ms, 1), num(b.batch_ms, 1)),
        ("Per order in a batch, median (ms)", num(a.order_ms, 1), num(b.order_ms, 1)),
    ]
    return pd.DataFrame(rows, columns=["Measure", f"Run A ({a.mode})", f"Run B ({b.mode})"])


# How each kind of column reads on a screen: rupees and times to two places, counts whole, all with Indian grouping.
_MONEY = ("price", "avg_price", "arrival_mid", "slippage_rs", "premium_rs")
_COUNTS = ("lots", "units", "filled_units", "modifies", "attempts", "legs", "per_batch")
_TWO_PLACES = ("batch_ms", "one_by_one_ms", "skew_ms", "latency_ms", "slippage_pct", "total_s")
NONE = "—"  # what a table shows where a value is missing


def _cells(values: pd.Series, text: Callable[[float], str]) -> pd.Series:
    return values.map(lambda v: NONE if v is None or pd.isna(v) else text(float(v))).astype(object)


def _times(values: pd.Series, column: str) -> pd.Series:
    """IST to the millisecond; the date too when the column spans more than one day, or for a run's start."""
    days = values.dropna().dt.date.nunique()
    fmt = "%d %b %Y %H:%M:%S" if column == "when" else "%d %b %H:%M:%S.%f" if days > 1 else "%H:%M:%S.%f"
    text = values.dt.round("ms").dt.strftime(fmt)
    shown: pd.Series = (text if column == "when" else text.str[:-3]).fillna(NONE).astype(object)
    return shown


def _saving(ms: float, pct: float) -> str:
    """What parallel legs did to a batch against its legs one by one: a saving, or plainly a cost."""
    if ms >= 0:
        return f"saved {indian(ms, 2)} ms ({pct:.1f} %)"
    return f"{indian(-ms, 2)} ms slower ({-pct:.1f} %)"


def for_screen(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame as the trader reads it: their column names; Indian grouping; times in IST to the
    millisecond; a missing value as a dash; and what parallel legs saved in words, a cost never shown as a saving."""
    out = df.copy()
    if "saved_ms" in out:
        saved = [_saving(ms, pct) for ms, pct in zip(out["saved_ms"], out["saved_pct"], strict=True)]
        at = list(out.columns).index("saved_ms")
        out = out.drop(columns=["saved_ms", "saved_pct"])
        out.insert(at, "saved", pd.Series(saved, index=out.index, dtype=object))
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = _times(out[col], col)
        elif col == "price":  # a market order has no limit
            out[col] = out[col].map(lambda v: "market" if v is None or pd.isna(v) else indian(float(v), 2))
        elif col in _MONEY or col in _TWO_PLACES:
            out[col] = _cells(out[col], lambda v: indian(v, 2))
        elif col in _COUNTS:
            out[col] = _cells(out[col], indian)
        elif col == "filled_lots":
            out[col] = _cells(out[col], lots_text)
        elif col == "delay_s":
            out[col] = _cells(out[col], lambda v: indian(v, 3, trim=True))
        elif out[col].dtype == object:
            out[col] = out[col].map(lambda v: NONE if v is None or (isinstance(v, float) and pd.isna(v)) else v)
    return out.rename(columns=LABELS)


def _plain(value: float) -> str:
    """A lot count for a spreadsheet: 20, or a partial fill to two places (12.5)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def to_csv(df: pd.DataFrame) -> bytes:
    """Times with an explicit +05:30 offset, to the millisecond, so a spreadsheet cannot take them for UTC; lots
    whole when whole."""
    out = df.copy()
    for col in out.columns:
        # A run that sent nothing has no times: its (empty) columns are not datetimes.
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            ms = out[col].dt.round("ms")
            offset = ms.dt.strftime("%z").str.replace(r"(\d\d)$", r":\1", regex=True)
            out[col] = ms.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + offset
    if "filled_lots" in out:
        out["filled_lots"] = out["filled_lots"].map(lambda v: "" if pd.isna(v) else _plain(float(v)))
    return out.to_csv(index=False).encode()


def underlyings(config: RunConfig) -> list[str]:
    """The indices a run's legs are on, in the legs' order."""
    return list(dict.fromkeys(underlying_of(leg.symbol) for leg in config.legs))


def _failures(summary: Summary) -> str:
    """What went wrong, in lots per leg: the exposure first, then what did not fill."""
    parts = [f"not meant: {summary.exposure_text}"] if summary.exposure else []
    for g in summary.legs:
        missing = [(n, what) for n, what in ((g.rejected, "rejected"), (g.open, "open"), (g.not_sent, "not sent")) if n]
        if missing:
            parts.append(f"{g.label}: " + ", ".join(f"{lots_text(n)} {what}" for n, what in missing))
    return "; ".join(parts)


def _seconds(span: Span | None) -> float | None:
    return None if span is None else round(span.seconds, 3)


def history_frame(
    runs: Iterable[RunRecord], summaries: Mapping[str, Summary], spans: Mapping[str, Span | None]
) -> pd.DataFrame:
    """One row per run, newest first: when (IST), what it traded, how it ended, what failed and its whole span."""
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
            "total_s": _seconds(spans.get(r.run_id)),
        }
        for r in runs
    ]
    df = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    df["when"] = _when(df["when"].astype(float))
    return df
