"""How a run's outcome is drawn: one banner, in the same words on every page."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from execution.clock import IST
from execution.journal import Journal
from execution.outcome import Outcome, Summary, summarize
from execution.wording import lots_text

_ICONS = {
    "success": ":material/check_circle:",
    "info": ":material/pending:",
    "warning": ":material/warning:",
    "error": ":material/error:",
}


def journal_summary(journal: Journal, run_id: str) -> Summary | None:
    record = journal.run(run_id)
    if record is None:
        return None
    return summarize(record.config, record.state, journal.orders(run_id))


def banner(run_id: str, summary: Summary, prefix: str = "Run") -> None:
    """The outcome and the lots per leg; an unbalanced run names its naked exposure per underlying, in red."""
    tone = summary.outcome.tone
    draw = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[tone]
    draw(f"{prefix} {run_id}: {summary.headline}", icon=_ICONS[tone])
    if summary.outcome is Outcome.UNBALANCED:
        st.error(
            f"Exposure the plan did not mean: {summary.exposure_text}. Check your positions before you trade again.",
            icon=":material/gpp_maybe:",
        )


def legs_table(summary: Summary) -> pd.DataFrame:
    """Lots per leg: planned, filled, open, rejected, not sent."""
    return pd.DataFrame(
        [
            {
                "Leg": g.leg,
                "Side": g.side.name,
                "Symbol": g.symbol,
                "Lot size": g.lot_size,
                "Planned lots": lots_text(g.planned),
                "Filled lots": lots_text(g.filled),
                "Open lots": lots_text(g.open),
                "Rejected lots": lots_text(g.rejected),
                "Not sent lots": lots_text(g.not_sent),
            }
            for g in summary.legs
        ]
    )


def ist(wall: float | None, with_date: bool = False) -> str:
    """A wall time as the trader reads it: IST, with milliseconds."""
    if wall is None:
        return "–"
    fmt = "%d %b %Y %H:%M:%S IST" if with_date else "%H:%M:%S.%f"
    text = datetime.fromtimestamp(wall, IST).strftime(fmt)
    return text if with_date else text[:-3]
