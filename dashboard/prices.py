"""The Execute page's market view: the option chain around the money, and the live ATM."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state as S
from execution.engine import Engine
from execution.errors import TraderError
from execution.market import nearest_strike

CHAIN_LABELS = {
    "strike": "Strike",
    "right": "Right",
    "symbol": "Symbol",
    "ltp": "LTP (₹)",
    "bid": "Bid (₹)",
    "ask": "Ask (₹)",
    "oi": "OI (units)",
    "low": "Band low (₹)",
    "high": "Band high (₹)",
}


def use_live_atm(eng: Engine, underlying: str) -> None:
    """Set the ATM strike to the listed strike nearest the index's live level."""
    try:
        _, spot, rows = eng.chain(underlying, strikes=1)
    except TraderError as exc:
        st.session_state[S.CHAIN_ERROR] = str(exc)
        return
    if rows:
        st.session_state["atm"] = int(nearest_strike([r.strike for r in rows], spot))


def chain_box(eng: Engine, underlying: str) -> None:
    """Underlying, expiry (weeklies and monthlies from the scrip master), strikes around the live spot."""
    expiries = eng.scrip_master().expiries(underlying)
    if not expiries:
        st.warning(f"Today's scrip master lists no {underlying} options.")
        return
    c = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
    expiry = c[0].selectbox(
        "Expiry", expiries, format_func=lambda d: f"{d:%a %d %b %Y}", key="chain_expiry", help="Nearest first."
    )
    strikes = c[1].number_input("Strikes each side", min_value=1, max_value=25, value=5, key="chain_strikes")
    c[2].button(
        "Use live ATM",
        key="live_atm",
        on_click=use_live_atm,
        args=(eng, underlying),
        help="The listed strike nearest the index's live level becomes the ATM strike.",
    )
    try:
        expiry, spot, rows = eng.chain(underlying, expiry, int(strikes))
    except TraderError as exc:
        st.error(f"The chain could not be read: {exc}")
        return
    c[3].markdown(f"**{underlying}** {spot:,.2f} · expiry {expiry:%d %b %Y}")
    if error := st.session_state.pop(S.CHAIN_ERROR, None):
        st.error(error)
    table = pd.DataFrame([r.__dict__ for r in rows])
    st.dataframe(table.rename(columns=CHAIN_LABELS), hide_index=True, width="stretch", key="chain_table")
