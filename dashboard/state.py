"""Every st.session_state key the dashboard uses, declared in one place."""

from collections.abc import Mapping
from typing import Any

import pandas as pd

from dashboard.forms import LEG_COLUMNS
from execution.model import ON_LEG_FAILURE, PRICING

MODE = "mode"  # "Paper" or "Live", kept outside the widget so it survives page switches
MODE_WIDGET = "mode_choice"  # the sidebar radio that sets MODE
RUN_ID = "run_id"  # the run this tab started (a run another tab started is watched, never taken as ours)
LEGS = "legs"  # the frame the legs editor starts from (a DataFrame)
LEGS_EDITED = "legs_edited"  # the legs as the trader last left them: the editor starts from these when redrawn
LEGS_VERSION = "legs_version"  # part of the editor's key: a new base frame gets a fresh editor
LEGS_EDITOR = "legs-"  # the legs editor's key, before its version
LEGS_SOURCE = "legs_source"  # the (preset, underlying, atm) the legs table was built from
START_ERROR = "start_error"  # why the last Execute was refused, shown once
RESULTS_RUN = "results_run"  # the run the Results page opens: the last one viewed, or the one just finished
RESULTS_PICK = "results_pick"  # the Results page's run picker
RESULTS_SEEN = "results_seen"  # (run id, when) of the newest run the Results page showed: a newer one opens first
SUBMISSION = "submission"  # the id the next Execute click carries: one click, one run
PLACE_AGAIN = "repeat_of"  # the earlier run of this plan, when Execute was refused as a repeat
LIVE_UNLOCKED = "live_unlocked"  # this tab gave the server's live-mode token; the token itself is never kept
TOKEN_WIDGET = "live_token"  # the password box for the token, emptied as soon as it is read
TOKEN_REFUSED = "live_token_refused"  # why the last token given was refused, shown once

FUNDS = "funds"  # (plan fingerprint, the margin check's text) of the last check, shown in the plan
CHAIN_ERROR = "chain_error"  # why "Use live ATM" could not read the chain, shown once
POSITIONS_EDITOR = "positions_editor"  # the positions table: which rows to exit, and how many lots
FORM = "form"  # the Execute form's values, kept outside any widget key
FORM_AWAY = "form_away"  # a pass drew something else in the form's place (the live lock): the browser forgot its values
BROWSER = "browser_session"  # this browser session's id (the URL's ?s=), under which a reload finds its setup

# Execute-page inputs and their defaults. Streamlit deletes a widget's key when its page is left, so the values
# are also kept under FORM and given back to the widgets when the trader returns.
FORM_DEFAULTS = {
    "preset": "Short strangle",
    "underlying": "NIFTY",
    "atm": 26000,  # NIFTY's reference level; the underlying's own when it changes
    "total_lots": 167,
    "lots_per_batch": 20,
    "hedge_wait_s": 10.0,
    "delay_s": 2.0,
    "run_mode": "parallel",
    "pacing": "gap",
    "delay_max_s": 10.0,
    "hedge_first": False,
    "on_leg_failure": ON_LEG_FAILURE.value,
    # The pricing defaults are the model's own, written once there.
    "price_mode": PRICING.mode.value,
    "price_from": PRICING.source.value,
    "buffer_pct": PRICING.buffer_pct,
    "chase_s": PRICING.chase_s,
    "chase_steps": PRICING.chase_steps,
    "chase_step_pct": PRICING.chase_step_pct,
    "chase_max_pct": PRICING.chase_max_pct,
    "on_unfilled": PRICING.on_unfilled.value,
    "ignore_funds": False,
    "show_chain": False,
}


def keep_form(session_state) -> None:
    """At the top of the Execute page: note each widget's value, or restore one its page switch deleted."""
    saved = session_state.setdefault(FORM, dict(FORM_DEFAULTS))
    # After a pass that stopped before the form (the live lock), Streamlit still holds the widgets' values but the
    # browser drew the widgets afresh, at their defaults (0), and would send those back: the values are given again.
    away = session_state.pop(FORM_AWAY, False)
    for key in FORM_DEFAULTS:
        if key in session_state and not away:
            saved[key] = session_state[key]
        else:
            session_state[key] = saved[key]


# What a reload gives back (dashboard.registry.browser_session): the form, its legs, the account choice and the run
# this browser session started. Never the live unlock (given back apart, to the same browser only) nor a LIVE
# confirmation: a reload asks for that again.
KEPT_KEYS = (MODE, RUN_ID, LEGS_SOURCE)


def snapshot(session_state) -> dict[str, Any]:
    """This browser session's setup as plain values."""
    values = {k: session_state[k] for k in KEPT_KEYS if k in session_state}
    # The widgets' own values first: at the start of a pass they are newer than FORM, which keep_form updates later.
    values[FORM] = {
        **(session_state.get(FORM) or {}),
        **{k: session_state[k] for k in FORM_DEFAULTS if k in session_state},
    }
    legs = session_state.get(LEGS_EDITED)
    legs = session_state.get(LEGS) if legs is None else legs
    if isinstance(legs, pd.DataFrame):
        values[LEGS] = legs.to_dict("records")
    return values


def restore(session_state, values: Mapping[str, Any]) -> None:
    """A new Streamlit session (a reload) takes back the setup `snapshot` noted; the widgets follow (keep_form)."""
    for k in KEPT_KEYS:
        if k in values:
            session_state[k] = values[k]
    if values.get(FORM):
        session_state[FORM] = {**FORM_DEFAULTS, **values[FORM]}
    if values.get(LEGS) is not None:
        session_state[LEGS] = pd.DataFrame(values[LEGS], columns=LEG_COLUMNS)
        session_state[LEGS_EDITED] = session_state[LEGS]
