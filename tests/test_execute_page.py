"""Issue 27, items 5 and 8 on the Execute page: a reload keeps the trader's setup and run (never unlocking live by
itself), the sidebar and the plan agree on the session, the legs table says limit pricing wins, a stopped run is
offered Resume (with what it places and how prices moved) rather than placing again, one failure is said once."""

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry as dashboard_registry
from dashboard import state as S
from dashboard.forms import grouped_warnings
from dashboard.registry import KEPT_S, UNLOCK_IDLE_S, BrowserSessions, browser_digest, registry
from execution.model import RunState
from tests.helpers import APP, config, fast, frame, plan, wait_for
from tests.live_standin import live_standin, standin_calls

pytestmark = pytest.mark.timeout(60)


def reload(at: AppTest) -> AppTest:
    """The same URL in a new Streamlit session, as the browser's reload gives it: session_state starts empty."""
    again = AppTest.from_file(APP, default_timeout=30)
    again.query_params["s"] = at.query_params["s"]
    return again.run()


def in_browser(monkeypatch, digest: str | None) -> None:
    """The browser the next page load comes from, as its Streamlit cookie names it."""
    monkeypatch.setattr(dashboard_registry, "this_browser", lambda: digest)


def test_a_reload_keeps_the_form_pricing_and_legs(at):
    sid = at.query_params["s"]
    assert len(sid) >= 24  # secrets.token_urlsafe: not guessable
    at.number_input(key="total_lots").set_value(40).run()
    at.number_input(key="lots_per_batch").set_value(8).run()
    at.number_input(key="delay_s").set_value(1.5).run()
    at.radio(key="pacing").set_value("cadence").run()
    at.radio(key="price_mode").set_value("limit").run()
    at.number_input(key="chase_steps").set_value(3).run()
    at.selectbox(key="preset").set_value("Short straddle").run()
    at.number_input(key="atm").set_value(26200).run()
    legs_before = frame(at, "Lot size")
    back = reload(at)
    assert not back.exception and back.query_params["s"] == sid
    assert back.number_input(key="total_lots").value == 40 and back.number_input(key="lots_per_batch").value == 8
    assert back.number_input(key="delay_s").value == 1.5 and back.radio(key="pacing").value == "cadence"
    assert back.radio(key="price_mode").value == "limit" and back.number_input(key="chase_steps").value == 3
    assert back.selectbox(key="preset").value == "Short straddle" and back.number_input(key="atm").value == 26200
    assert list(frame(back, "Lot size")["Symbol"]) == list(legs_before["Symbol"])


def test_an_unknown_session_id_is_never_adopted(at):
    at.number_input(key="total_lots").set_value(40).run()
    other = AppTest.from_file(APP, default_timeout=30)
    other.query_params["s"] = "made-up"
    other.run()
    assert other.query_params["s"] not in ("made-up", at.query_params["s"])
    assert other.number_input(key="total_lots").value == S.FORM_DEFAULTS["total_lots"]


def test_a_run_started_before_a_reload_is_this_sessions_own_and_gets_its_banner(at):
    at.number_input(key="total_lots").set_value(4).run()
    at.number_input(key="lots_per_batch").set_value(1).run()
    at.number_input(key="delay_s").set_value(0.5).run()
    at.button(key="execute").click().run()
    run = registry().active()[0]
    back = reload(at)
    heading = next(h.value for h in back.subheader if h.value.startswith("Run "))
    assert heading == f"Run {run.run_id}"  # not "(started in another tab or window)"
    stranger = AppTest.from_file(APP, default_timeout=30).run()  # no session id: another window
    assert any("started in another tab" in h.value for h in stranger.subheader)
    assert run.wait(20).state is RunState.COMPLETED
    back.run()
    assert any(f"Run {run.run_id}: Clean" in s.value for s in back.success), [s.value for s in back.success]
    assert not stranger.run().success  # the other window's run is not this one's to report


def test_a_reload_gives_the_live_unlock_back_only_to_the_same_browser_while_fresh(at, monkeypatch):
    clock = [1000.0]
    registry().browsers = BrowserSessions(clock=lambda: clock[0])
    in_browser(monkeypatch, "browser-a")
    first = AppTest.from_file(APP, default_timeout=30).run()
    first.session_state[S.MODE] = "Live"
    first.session_state[S.LIVE_UNLOCKED] = True
    first.run()
    assert [t.value for t in first.title] == ["Execute"]
    assert [t.value for t in reload(first).title] == ["Execute"]  # same browser, fresh: unlocked
    in_browser(monkeypatch, "browser-b")  # the URL copied into another browser
    copied = reload(first)
    assert [t.value for t in copied.title] == ["Execute"] and copied.query_params["s"] != first.query_params["s"]
    assert S.LIVE_UNLOCKED not in copied.session_state or not copied.session_state[S.LIVE_UNLOCKED]
    in_browser(monkeypatch, None)  # a browser that sends no cookie cannot be told from another
    blank = reload(first)
    assert [t.value for t in blank.title] == ["Execute"] and blank.query_params["s"] != first.query_params["s"]
    in_browser(monkeypatch, "browser-a")
    clock[0] += UNLOCK_IDLE_S + 1  # a quarter of an hour without a visit
    assert [t.value for t in reload(first).title] == ["Live mode is locked"]


def test_browser_sessions_forget_and_bound():
    clock = [0.0]
    kept = BrowserSessions(clock=lambda: clock[0])
    kept.keep("a", "browser", {"mode": "Paper"}, unlocked=True)
    entry = kept.get("a")
    assert entry is not None and kept.unlock_fresh(entry)
    clock[0] = UNLOCK_IDLE_S + 1
    entry = kept.get("a")
    assert entry is not None and not kept.unlock_fresh(entry) and entry.values == {"mode": "Paper"}
    clock[0] = KEPT_S + 1
    assert kept.get("a") is None
    for i in range(dashboard_registry.MOST_KEPT + 5):
        kept.keep(str(i), None, {}, unlocked=False)
    assert kept.get("0") is None and kept.get(str(dashboard_registry.MOST_KEPT + 4)) is not None


def test_the_browser_digest_is_the_cookies_token_whatever_its_mask():
    token = bytes(range(16))

    def cookie(mask: bytes) -> str:
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
        return f"2|{mask.hex()}|{masked.hex()}|1700000000"

    one, two = browser_digest(cookie(b"\x01\x02\x03\x04")), browser_digest(cookie(b"\xaa\xbb\xcc\xdd"))
    assert one is not None and one == two and token.hex() not in one
    assert browser_digest(None) is None and browser_digest("garbage") is None and browser_digest("2|zz|00|1") is None


def session_lines(app: AppTest) -> tuple[str, str]:
    """The sidebar's session line and the plan's, on a page's first pass (AppTest reruns only the page)."""
    sidebar = next(c.value for c in app.sidebar.caption if ":material/person:" in c.value)
    return sidebar, next(c.value for c in app.caption if "Freeze limit" in c.value)


def test_the_sidebar_and_the_plan_agree_on_the_session(at):
    """One source: the engine's session status, read once the page has run (the page can open the session)."""
    registry().paper.session.logout()
    sidebar, plan_line = session_lines(AppTest.from_file(APP, default_timeout=30).run())
    assert "not logged in yet" in sidebar and "since the session is not open yet" in plan_line, (sidebar, plan_line)
    registry().paper.session.client()
    sidebar, plan_line = session_lines(AppTest.from_file(APP, default_timeout=30).run())
    assert "session open" in sidebar and "the session is open, so no login is counted" in plan_line


def test_limit_pricing_says_it_wins_over_the_legs_table(at):
    assert frame(at, "Priced")["Priced"].tolist() == ["Market", "Market"]
    assert not any("Limit pricing is on" in c.value for c in at.caption)
    at.radio(key="price_mode").set_value("limit").run()
    assert any("the table's Order type and Limit price are not used" in c.value for c in at.caption)
    assert frame(at, "Priced")["Priced"].tolist() == ["Limit from quote", "Limit from quote"]


def test_a_stopped_run_offers_resume_with_what_it_places_instead_of_placing_again(at):
    for key, value in (("total_lots", 4), ("lots_per_batch", 1), ("delay_s", 5.0)):
        at.number_input(key=key).set_value(value).run()
    at.button(key="execute").click().run()
    run = registry().active()[0]
    wait_for(lambda: run.progress().batches_done >= 1, what="the first batch")
    at.button(key="stop").click().run()
    assert run.wait(10).state is RunState.STOPPED
    at.run()
    table = frame(at, "Lots to place")  # the run's own page: Resume, with what it would place
    assert table is not None and list(table["Lots to place"]) == ["3", "3"] and list(table["Batches"]) == ["3", "3"]
    assert all(v != "–" for v in table["At the run (₹)"]) and all(v != "–" for v in table["Now (₹)"])
    assert any(i.value.startswith("Resume places SELL 3 lots of") for i in at.info)
    at.button(key="execute").click().run()  # the same plan again, after the Stop
    assert not at.exception and len([b for b in at.button if b.key == "resume_run"]) == 1
    prompt = next(w.value for w in at.warning if w.value.startswith("Resume or place again?"))
    assert f"as run {run.run_id} (stopped" in prompt and "Resume it to place only what it has not" in prompt
    at.button(key="resume_run").click().run()
    assert at.session_state[S.RUN_ID] == run.run_id
    wait_for(lambda: not registry().active(), 30, "the resumed run")
    record = registry().journal.run(run.run_id)
    assert record is not None and record.state is RunState.COMPLETED
    assert len(registry().journal.runs()) == 1  # resumed, not placed again


def test_one_failure_repeated_batch_after_batch_is_said_once():
    said = grouped_warnings(
        [
            "Batch 1 is unbalanced: filled SELL X 2 lots; missing SELL Y 2 lots.",
            "Batch 2 is unbalanced: filled SELL X 2 lots; missing SELL Y 2 lots.",
            "Batch 3 is unbalanced: filled SELL X 1 lot; missing SELL Y 1 lot.",
            "Could not read the order book (timeout); will read it again.",
            "Could not read the order book (timeout); will read it again.",
            "Stopped: a leg failed and on-leg-failure is 'stop'. Nothing more is sent.",
        ]
    )
    assert said == [
        "Batches 1, 2, 3 are unbalanced: filled SELL X 2 lots; missing SELL Y 2 lots. (as batch 1; the others alike "
        "in kind)",
        "Could not read the order book (timeout); will read it again. (2 times)",
        "Stopped: a leg failed and on-leg-failure is 'stop'. Nothing more is sent.",
    ]


def test_a_finished_runs_repeated_warnings_show_once_on_the_page(at):
    put = frame(at, "Lot size")["Symbol"].iloc[1]  # the strangle's PE: the exchange's risk check rejects it
    registry().paper.exchange.reconfigure(fast(order_ms=10, login_ms=10, reject_symbols=(put,)))
    at.selectbox(key="on_leg_failure").set_value("continue").run()
    for key, value in (("total_lots", 3), ("lots_per_batch", 1), ("delay_s", 0.0)):
        at.number_input(key=key).set_value(value).run()
    at.button(key="execute").click().run()
    wait_for(lambda: not registry().active(), 30, "the run")
    at.run()
    run_warnings = registry().journal.runs()[0].warnings
    shown = [w.value for w in at.warning]
    assert len(run_warnings) >= 3 and len(shown) == len(set(shown)) == len(grouped_warnings(run_warnings)) < len(
        run_warnings
    ), (run_warnings, shown)


def test_a_live_stop_is_checked_at_the_click(at, tmp_path):
    reg = registry()
    reg.live = live_standin(tmp_path, reg.journal)
    run = reg.live.start(plan(config(lots=4, per=1, delay=3.0)))
    wait_for(lambda: run.progress().batches_done >= 1, 20, "the first batch")
    at.session_state[S.MODE] = "Live"
    at.session_state[S.LIVE_UNLOCKED] = True
    at.run()
    calls = standin_calls(tmp_path)
    at.session_state[S.LIVE_UNLOCKED] = False  # the unlock lapsed after Stop was drawn
    at.button(key="stop").click().run()
    assert run.progress().state is RunState.RUNNING and not run.done  # refused: nothing of the run changed
    assert [t.value for t in at.title] == ["Live mode is locked"]
    assert standin_calls(tmp_path)[: len(calls)] == calls
    run.stop()
    run.wait(10)
