"""Every st.session_state key the dashboard uses, declared in one place."""

MODE = "mode"  # "Paper" or "Live", kept outside the widget so it survives page switches
MODE_WIDGET = "mode_choice"  # the sidebar radio that sets MODE
RUN_ID = "run_id"  # the run this tab started or is watching
LEGS = "legs"  # the legs table (a DataFrame), kept across page switches
LEGS_SOURCE = "legs_source"  # the (preset, underlying, atm) the legs table was built from
START_ERROR = "start_error"  # why the last Execute was refused, shown once
RESULTS_RUN = "results_run"  # the run open on the Results page
SUBMISSION = "submission"  # the id the next Execute click carries: one click, one run
PLACE_AGAIN = "repeat_of"  # the earlier run of this plan, when Execute was refused as a repeat
LIVE_UNLOCKED = "live_unlocked"  # this tab gave the server's live-mode token; the token itself is never kept
TOKEN_WIDGET = "live_token"  # the password box for the token, emptied as soon as it is read
TOKEN_REFUSED = "live_token_refused"  # the last token given was wrong, shown once

# Execute-page inputs and their defaults. Streamlit deletes a widget's key when its page is left; re-assigning
# them at the top of the page keeps the trader's form across page switches.
FORM_DEFAULTS = {
    "preset": "Short strangle",
    "underlying": "NIFTY",
    "atm": 26000,
    "total_lots": 167,
    "lots_per_batch": 20,
    "hedge_wait_s": 10.0,
    "delay_s": 2.0,
    "run_mode": "parallel",
    "pacing": "gap",
    "hedge_first": False,
    "on_leg_failure": "continue",
}


def keep_form(session_state) -> None:
    for key, default in FORM_DEFAULTS.items():
        session_state[key] = session_state.get(key, default)
