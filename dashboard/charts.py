"""Plotly figures for the results page. Pure functions of report frames, so they are tested directly."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from execution.wording import inr

STATUS_COLORS = {
    "complete": "#3ddc97",
    "open": "#f5c542",
    "placed": "#7aa2f7",
    "rejected": "#f7768e",
    "failed": "#f7768e",
    "unknown": "#ff9e64",
    "cancelled": "#a9b1d6",
    "skipped": "#565f89",
}


def _naive(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_localize(None) if ts.dt.tz is not None else ts


def _money(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else inr(float(value))


def _prices(order: Mapping[Hashable, Any]) -> str:
    """The hover's price line: limit, fill, the mid at send and the slippage."""
    limit = "market" if order.get("price") is None or pd.isna(order.get("price")) else _money(order["price"])
    moves = f" ({order['modifies']} moves)" if order.get("modifies") else ""
    return (
        f"limit {limit}{moves} · filled at {_money(order.get('avg_price') or None)} · mid at send "
        f"{_money(order.get('arrival_mid'))} · slippage {_money(order.get('slippage_rs'))}"
    )


def _order_bars(fig: go.Figure, sent: pd.DataFrame) -> None:
    """A bar per sent order, submit to acknowledge, coloured by its status."""
    for status, part in sent.groupby("status", sort=False):
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=part["row"],
                base=part["start_naive"],
                x=part["latency_ms"].clip(lower=0.001),
                name=status,
                marker_color=STATUS_COLORS.get(str(status), "#c0caf5"),
                customdata=part[
                    ["symbol", "units", "order_no", "status", "latency_ms", "batch", "lots", "prices", "skew"]
                ].to_numpy(),
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>batch %{customdata[5]} · "
                    "%{customdata[6]} lots = %{customdata[1]} units · legs left %{customdata[8]:.2f} ms apart<br>"
                    "order %{customdata[2]} · %{customdata[3]}<br>latency %{customdata[4]:.1f} ms"
                    "<br>%{customdata[7]}<br>sent %{base|%H:%M:%S.%L}<extra></extra>"
                ),
            )
        )


def _batch_shading(fig: go.Figure, batches: pd.DataFrame) -> None:
    """Each batch shaded from its first send for as long as it took."""
    for _, b in batches.iterrows():
        start = _naive(pd.Series([b["start"]])).iloc[0]
        end = start + pd.Timedelta(milliseconds=float(b["batch_ms"]))
        fig.add_vrect(
            x0=start,
            x1=end,
            fillcolor="#7aa2f7",
            opacity=0.12,
            line_width=0,
            annotation_text=f"B{int(b['batch'])}",
            annotation_position="top left",
        )


def timeline(orders: pd.DataFrame, batches: pd.DataFrame, title: str = "") -> go.Figure:
    """A row per leg and a bar per order, submit to acknowledge, with each batch shaded.

    Bars are go.Bar on a date axis with a millisecond length, so sub-millisecond orders keep their width.
    """
    sent = orders.dropna(subset=["latency_ms"]).copy()
    fig = go.Figure()
    if sent.empty:
        fig.update_layout(title=title or "No orders were sent")
        return fig
    sent["start_naive"] = _naive(sent["start"])
    sent["row"] = "Leg " + sent["leg"].astype(str) + " · " + sent["side"] + " " + sent["symbol"]
    sent["prices"] = [_prices(r) for r in sent.to_dict("records")]
    skew = batches.set_index("batch")["skew_ms"] if "skew_ms" in batches else pd.Series(dtype=float)
    sent["skew"] = sent["batch"].map(skew).fillna(0.0)
    _order_bars(fig, sent)
    _batch_shading(fig, batches)
    fig.update_xaxes(type="date", tickformat="%H:%M:%S.%L", title="time (IST)")
    fig.update_yaxes(title=None, categoryorder="category descending")
    fig.update_layout(
        title=title,
        barmode="overlay",
        height=180 + 40 * sent["row"].nunique(),
        legend_title_text="status",
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def batch_comparison(a: pd.DataFrame, b: pd.DataFrame, label_a: str, label_b: str) -> go.Figure:
    """Per-batch time of two runs side by side, first send to last reply (the wait between batches left out), each
    run's median a dashed line in its colour: the measure a comparison of unlike runs can still make."""
    fig = go.Figure()
    for frame, label, colour in ((a, label_a, "#3ddc97"), (b, label_b, "#7aa2f7")):
        fig.add_trace(go.Bar(name=label, x=frame["batch"], y=frame["batch_ms"], marker_color=colour))
        if len(frame):
            median = float(frame["batch_ms"].median())
            fig.add_hline(y=median, line_dash="dash", line_color=colour, annotation_text=f"median {median:.1f} ms")
    fig.update_layout(
        title="Batch by batch: first order sent to last reply",
        barmode="group",
        xaxis_title="batch",
        yaxis_title="batch took (ms)",
        margin=dict(l=10, r=10, t=50, b=10),
        height=320,
    )
    return fig
