"""The broker session: paper exchange knobs for rehearsal, or a live login with every secret masked."""

from dataclasses import replace
from typing import Any

import streamlit as st

from dashboard.lock import guard
from dashboard.registry import Registry, is_live, registry
from execution.engine import Engine
from execution.errors import LoginError
from execution.model import normal_symbol
from paper.exchange import FAULT_KINDS, ExchangeConfig
from paper.wiring import PaperEngine


def latency_knobs(c: ExchangeConfig) -> dict[str, Any]:
    """How long the simulated exchange takes to answer."""
    k = st.columns(4)
    return {
        "login_ms": k[0].number_input(
            "Login latency (ms)", 0.0, 60000.0, float(c.login_ms), 50.0, help="A whole TOTP login and validate."
        ),
        "order_ms": k[1].number_input(
            "Order latency (ms)", 0.0, 60000.0, float(c.order_ms), 10.0, help="One place_order round trip."
        ),
        "query_ms": k[2].number_input(
            "Order-book latency (ms)", 0.0, 60000.0, float(c.query_ms), 10.0, help="Book, history, cancel, positions."
        ),
        "jitter_ms": k[3].number_input(
            "Jitter (ms)", 0.0, 10000.0, float(c.jitter_ms), 10.0, help="Each call adds up to this much at random."
        ),
    }


def market_knobs(c: ExchangeConfig) -> dict[str, Any]:
    """Rejects, the exchange's order limit, the seed, the book's lag and its depth."""
    k2 = st.columns(3)
    knobs: dict[str, Any] = {}
    knobs["reject"] = k2[0].slider(
        "RMS reject rate",
        0.0,
        1.0,
        float(c.reject_rate),
        0.01,
        help="The share of orders the exchange accepts and its risk check then rejects, as on Neo.",
    )
    knobs["limit"] = k2[1].number_input(
        "Exchange order limit (orders/s)",
        0.0,
        1000.0,
        float(c.orders_per_s),
        1.0,
        help="Orders above this rate get Neo's 429; 0 turns the limit off.",
    )
    knobs["seed"] = k2[2].number_input("Seed", 0, 10**6, int(c.seed), 1, help="The same seed draws the same market.")
    knobs["rejected"] = st.text_input(
        "RMS rejects every order in (symbols, comma-separated)",
        ", ".join(c.reject_symbols),
        help="Rehearse a failed leg: the exchange accepts these contracts' orders and its risk check rejects them.",
    )
    k4 = st.columns(2)
    knobs["lag_ms"] = k4[0].number_input(
        "Book lag, most (ms)",
        0.0,
        60000.0,
        float(c.book_lag_ms[1]),
        100.0,
        help="An accepted order shows in the book up to this much later, as on Neo.",
    )
    knobs["depth"] = k4[1].number_input(
        "Liquidity (depth multiplier; 0 fills everything at once)",
        0.0,
        100.0,
        float(c.liquidity or 0.0),
        0.1,
        help="How much the book holds at each price: thin books leave big MKT orders resting or part filled.",
    )
    return knobs


def fault_knobs(c: ExchangeConfig) -> dict[str, Any]:
    """The probability of each fault, four to a row."""
    st.caption(
        "Fault injection: the probability of each fault on every order (book-failure: on every read; feed-gap: "
        "on every state change the order feed would push)."
    )
    per_row = 4
    faults: dict[str, Any] = {}
    for start in range(0, len(FAULT_KINDS), per_row):
        row = st.columns(per_row)
        for i, kind in enumerate(FAULT_KINDS[start : start + per_row]):
            faults[kind] = row[i].number_input(
                kind,
                0.0,
                1.0,
                float(c.faults.get(kind, 0.0)),
                0.05,
                key=f"fault-{kind}",
                help=f"The chance of a {kind} fault on each order.",
            )
    return faults


def knobs_config(
    c: ExchangeConfig, latency: dict[str, Any], market: dict[str, Any], faults: dict[str, Any]
) -> ExchangeConfig:
    """The exchange's settings with the knobs' values."""
    lag_ms = market["lag_ms"]
    return replace(
        c,
        login_ms=latency["login_ms"],
        order_ms=latency["order_ms"],
        query_ms=latency["query_ms"],
        jitter_ms=latency["jitter_ms"],
        seed=int(market["seed"]),
        book_lag_ms=(min(c.book_lag_ms[0], lag_ms), lag_ms),
        liquidity=market["depth"] or None,
        reject_rate=market["reject"],
        reject_symbols=tuple(normal_symbol(t) for t in market["rejected"].split(",") if t.strip()),
        orders_per_s=market["limit"],
        faults={f: r for f, r in faults.items() if r},
    )


def paper_knobs(eng: PaperEngine) -> None:
    """The simulated exchange's settings, applied together."""
    c = eng.exchange.config
    with st.form("paper_knobs"):
        st.subheader("Simulated exchange")
        latency = latency_knobs(c)
        market = market_knobs(c)
        faults = fault_knobs(c)
        if st.form_submit_button("Apply", help="The next order uses these settings; the book and session stay."):
            eng.exchange.reconfigure(knobs_config(c, latency, market, faults))
            st.success("Applied. The next order uses these settings.")


def paper_session(eng: PaperEngine) -> None:
    s = eng.session.status()
    st.caption(
        f"Paper account {s.ucc}: {'session open' if s.logged_in else 'not logged in yet (the first order logs in)'}, "
        f"{s.logins} login(s) today. The simulated exchange answers in Neo's wire format; "
        "nothing leaves this machine."
    )
    st.caption(eng.feed_status())
    paper_knobs(eng)
    b1, b2 = st.columns(2)
    if b1.button("Log in now", disabled=s.logged_in, help="Open the paper session before a run."):
        eng.session.client()
        st.rerun()
    if b2.button("Log out", disabled=not s.logged_in, help="End the paper session."):
        eng.session.logout()
        st.rerun()


def live_logged_in(reg: Registry, live: Engine) -> bool:
    """The live credentials, masked; when logged in, the session and Log out, and True."""
    for name, value in live.session.credentials.masked().items():
        st.text(f"{name}: {value}")
    s = live.session.status()
    if not s.logged_in:
        return False
    st.success(f"Logged in as {s.ucc}. Logins today: {s.logins}; session age {(s.age_s or 0) / 60:.0f} min.")
    st.caption(live.feed_status())
    if st.button("Log out", help="End the live session; the next order logs in again."):
        reg.logout_live()
        st.rerun()
    return True


def live_session(reg: Registry) -> None:
    st.subheader("Live session")
    st.caption("Credentials come from .env (see .env.example). Secrets are never shown, logged or exported.")
    if reg.env_warning:
        st.warning(reg.env_warning, icon=":material/lock_open:")
    live = reg.live
    if live is not None and live_logged_in(reg, live):
        return
    totp = st.text_input(
        "TOTP (6 digits; leave empty when NEO_TOTP_SECRET is set)",
        type="password",
        max_chars=6,
        help="From your authenticator app; used once and never stored.",
    )
    if st.button("Log in", type="primary", help="One login for the day; every order reuses it."):
        try:
            reg.login_live(totp.strip() or None)
            st.rerun()
        except LoginError as exc:
            st.error(str(exc))


def session_page() -> None:
    guard()
    st.title("Session")
    reg = registry()
    if is_live():
        live_session(reg)
    else:
        paper_session(reg.paper)


session_page()
