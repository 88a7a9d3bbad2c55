"""Every st.session_state key the dashboard uses, declared in one place."""

from execution.model import PRICING

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
SUBMISSION = "submission"  # the id the next Execute click carries: one click, one run
PLACE_AGAIN = "repeat_of"  # the earlier run of this plan, when Execute was refused as a repeat
LIVE_UNLOCKED = "live_unlocked"  # this tab gave the server's live-mode token; the token itself is never kept
TOKEN_WIDGET = "live_token"  # the password box for the token, emptied as soon as it is read
TOKEN_REFUSED = "live_token_refused"  # why the last token given was refused, shown once

FUNDS = "funds"  # (plan fingerprint, the margin check's text) of the last check, shown in the plan
CHAIN_ERROR = "chain_error"  # why "Use live ATM" could not read the chain, shown once
POSITIONS_EDITOR = "positions_editor"  # the positions table: which rows to exit, and how many lots
FORM = "form"  # the Execute form's values, kept outside any widget key

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
    "on_leg_failure": "continue",
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
    for key in FORM_DEFAULTS:
        if key in session_state:
            saved[key] = session_state[key]
        else:
            session_state[key] = saved[key]
