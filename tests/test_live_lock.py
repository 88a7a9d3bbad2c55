"""Live mode's lock (issue 24, part 1): the host check in front of the server, the token's rate limit, and a paper tab
that can neither see nor act on a live run."""

import asyncio
import logging

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.forms import legs_frame
from dashboard.gate import TokenGate, TooManyGuesses
from dashboard.registry import registry
from dashboard.serve import HostCheck
from execution.model import RunState
from tests.helpers import APP, STRANGLE, config, plan, wait_for
from tests.live_standin import live_standin, standin_calls

pytestmark = pytest.mark.timeout(60)


def through_host_check(kind: str, hosts: list[bytes], port: int = 8501) -> tuple[bool, list[dict]]:
    """Whether the request reached the app behind the check, and what the check sent back itself."""
    reached, sent = [], []

    async def app(scope, receive, send):
        reached.append(scope)

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": kind, "server": ("127.0.0.1", port), "headers": [(b"host", h) for h in hosts]}
    asyncio.run(HostCheck(app)(scope, receive, send))
    return bool(reached), sent


@pytest.mark.parametrize("host", [b"127.0.0.1:8501", b"localhost:8501", b"LocalHost:8501"])
@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_the_servers_own_address_passes_the_host_check(kind, host):
    assert through_host_check(kind, [host]) == (True, [])


@pytest.mark.parametrize(
    "hosts",
    [
        [b"evil.example:8501"],  # DNS rebinding: another name for 127.0.0.1
        [b"127.0.0.1:9999"],  # another port
        [b"127.0.0.1"],
        [b"127.0.0.1:8501.evil.example"],
        [b"127.0.0.1:8501", b"evil.example:8501"],
        [],
    ],
)
def test_any_other_host_is_refused_with_403(hosts):
    reached, sent = through_host_check("http", hosts)
    assert not reached and sent[0]["status"] == 403
    reached, sent = through_host_check("websocket", hosts)
    assert not reached and sent == [{"type": "websocket.close", "code": 1008}]  # refused before the handshake: 403


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_wrong_tokens_a_minute_then_a_pause_that_doubles(caplog):
    clock = Clock()
    gate = TokenGate("the-token", clock)
    caplog.set_level(logging.WARNING, logger="dashboard.gate")
    for i in range(5):
        assert not gate.unlocks(f"guess-{i}")
        clock.now += 1
    with pytest.raises(TooManyGuesses) as paused:
        gate.unlocks("the-token")  # not even the right token is looked at during the pause
    assert 55 < paused.value.wait_s <= 60
    clock.now += 60
    for i in range(5):
        assert not gate.unlocks(f"again-{i}")
    clock.now += 100
    with pytest.raises(TooManyGuesses):  # the second pause is two minutes
        gate.unlocks("the-token")
    clock.now += 21
    assert gate.unlocks(" the-token ")
    assert len([r for r in caplog.records if "wrong live-mode token" in r.message]) == 10
    for i in range(5):  # an hour of quiet later, a trader's typos meet the first pause again, not a doubled one
        clock.now += 3600 if i == 0 else 1
        assert not gate.unlocks(f"typo-{i}")
    with pytest.raises(TooManyGuesses) as paused:
        gate.unlocks("the-token")
    assert 55 < paused.value.wait_s <= 60
    assert not any(w in r.getMessage() for r in caplog.records for w in ("guess", "again-", "typo-"))


def test_wrong_tokens_spread_over_minutes_are_never_paused():
    clock = Clock()
    gate = TokenGate("the-token", clock)
    for i in range(20):
        assert not gate.unlocks(f"guess-{i}")
        clock.now += 15  # four a minute
    assert gate.unlocks("the-token")


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The dashboard with a live stand-in logged in, and a live run stopped after its first batch."""
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path))
    monkeypatch.setenv("NEO_PAPER_PROFILE", "fast")
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    reg = registry()
    reg.live = live_standin(tmp_path, reg.journal)
    run = reg.live.start(plan(config(lots=4, per=1, delay=2.0)))
    wait_for(lambda: run.progress().batches_done >= 1, 20, "the first batch")
    run.stop()
    assert run.wait(10).state is RunState.STOPPED
    at = AppTest.from_file(APP, default_timeout=30).run()
    yield at, run.run_id, tmp_path
    st.cache_resource.clear()


LIVE_ACTIONS = ("resume", "complete", "flatten", "cancel_open", "reconcile", "execute", "place_again")


def test_a_paper_tab_lists_no_live_run_and_none_of_its_buttons_reach_the_live_engine(app):
    at, run_id, folder = app
    calls = standin_calls(folder)
    at.query_params["run"] = run_id  # the page a rebinding attacker opens: /results?run=<the live run>
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert any(f"Run {run_id} is a live run" in i.value for i in at.info)
    assert not [b for b in at.button if b.key in LIVE_ACTIONS]
    for button in at.button:  # whatever the paper tab can press
        button.click().run()
    assert standin_calls(folder) == calls
    assert len(registry().journal.runs()) == 1


def test_a_live_click_is_checked_when_it_lands_not_when_it_was_drawn(app):
    """A tab that unlocked, confirmed and drew Execute for live, then lost its unlock before the click landed: the
    click's callback runs before any page code, and it sends nothing."""
    at, run_id, folder = app
    record = registry().journal.run(run_id)
    assert record is not None
    at.session_state["mode"] = "Live"
    at.session_state["live_unlocked"] = True
    at.session_state["total_lots"] = 1
    at.session_state["preset"] = "Custom"
    at.session_state["legs"] = legs_frame(STRANGLE)  # contracts of the stand-in's day, whatever today is
    at.run()
    at.checkbox(key="live_ok").check().run()
    assert not at.button(key="execute").disabled, [e.value for e in at.error]
    calls = standin_calls(folder)
    at.session_state["live_unlocked"] = False
    at.button(key="execute").click().run()
    assert standin_calls(folder) == calls and len(registry().journal.runs()) == 1


def lock_outcome(subject: str, mode: str, unlocked: bool, confirmed: bool) -> str:
    script = f"""
import streamlit as st
from dashboard.lock import LiveLocked, require_live_unlocked
from dashboard.registry import registry
st.session_state.update(mode={mode!r}, live_unlocked={unlocked}, ok={confirmed})
record = registry().journal.runs()[0]
try:
    eng = require_live_unlocked({subject}, "ok")
    st.write("live" if eng is registry().live else "paper")
except LiveLocked as exc:
    st.write(f"refused: {{exc}}")
"""
    at = AppTest.from_string(script, default_timeout=30).run()
    assert not at.exception, at.exception
    return at.markdown[0].value


def test_require_live_unlocked_gives_the_live_engine_only_to_an_unlocked_confirmed_live_tab(app):
    assert lock_outcome("record", "Live", True, True) == "live"
    assert lock_outcome("True", "Live", True, True) == "live"
    assert lock_outcome("record", "Paper", True, True).startswith("refused: Live orders go only")
    assert lock_outcome("record", "Live", False, True).startswith("refused: Live orders go only")
    assert lock_outcome("record", "Live", True, False).startswith("refused: Nothing was sent: tick the LIVE")
    assert lock_outcome("False", "Live", True, True) == "paper"


def test_token_guesses_from_the_page_are_paused_after_five(app):
    at, _, _ = app
    at.sidebar.radio(key="mode_choice").set_value("Live").run()
    for i in range(5):
        at.text_input(key="live_token").input(f"guess-{i}").run()
        assert any("not this server's access token" in e.value for e in at.error)
    at.text_input(key="live_token").input("x" * 32).run()
    assert any(e.value.startswith("Too many wrong tokens: try again in") for e in at.error)
    assert [t.value for t in at.title] == ["Live mode is locked"]
