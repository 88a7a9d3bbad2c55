"""Issue 24's attack in real Chromium, against a server whose live mode is a stand-in exchange: a page reached by
another host name is refused, and a paper tab opened on a stopped live run's Results can press whatever it has
without one request reaching the live exchange. The trader's own tab, unlocked and confirmed, does reach it."""

import re
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin, Subprotocol

from execution.journal import Journal
from execution.model import RunState
from tests.browsing import ARGS, ARTIFACTS, CHROMIUM, go, start_server
from tests.helpers import config, plan, wait_for
from tests.live_standin import STANDIN_BOOK, STANDIN_CALLS, live_standin, standin_calls

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by `make test`"),
]
EVIL = "evil.example"


@pytest.fixture(scope="module")
def live_run(data) -> str:
    """A live run on the stand-in, stopped after its first of four batches, before the dashboard starts."""
    run = live_standin(data, Journal(data / "journal.sqlite")).start(plan(config(lots=4, per=1, delay=2.0)))
    wait_for(lambda: run.progress().batches_done >= 1, 20, "the first batch")
    run.stop()
    assert run.wait(10).state is RunState.STOPPED
    (data / STANDIN_CALLS).unlink()  # from here on, every request the live exchange gets is the dashboard's
    return run.run_id


@pytest.fixture(scope="module")
def server(data, live_run):
    proc, url = start_server(data, "tests.live_standin")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    """Chromium that resolves evil.example to this machine, as a DNS-rebinding page gets it to."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=[*ARGS, f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"]
        )
        yield chromium
        chromium.close()


def ws_status(port: int, host: str) -> int:
    """The status the websocket handshake gets, with Host and Origin naming `host` (101: accepted)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    uri = f"ws://{host}:{port}/_stcore/stream"
    try:
        with connect(
            uri,
            sock=sock,
            origin=Origin(f"http://{host}:{port}"),
            subprotocols=[Subprotocol("streamlit")],
            open_timeout=5,
        ):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def http_status(port: int, host: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_stcore/health", headers={"Host": f"{host}:{port}"})
    try:
        return urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.timeout(60)
def test_only_the_servers_own_address_is_served(server, browser):
    port = int(server.rsplit(":", 1)[1])
    for host in ("127.0.0.1", "localhost"):
        assert (http_status(port, host), ws_status(port, host)) == (200, 101)
    assert (http_status(port, EVIL), ws_status(port, EVIL)) == (403, 403)
    page = browser.new_page()
    response = page.goto(f"http://{EVIL}:{port}/results")
    assert response is not None and response.status == 403
    page.close()


def standin_orders(data: Path) -> int:
    with sqlite3.connect(data / STANDIN_BOOK) as db:
        return db.execute("SELECT count(*) FROM book").fetchone()[0]


@pytest.mark.timeout(90)
def test_a_paper_tab_on_a_live_runs_results_sends_nothing_the_unlocked_trader_can(server, browser, data, live_run):
    placed = standin_orders(data)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/results?run={live_run}")
    expect(page.get_by_text(f"Run {live_run} is a live run")).to_be_visible(timeout=30000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "paper-tab-on-a-live-run.png"))
    for name in ("Resume", "Complete", "Flatten", "Cancel open", "Reconcile now"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    main = page.get_by_test_id("stMain")
    for button in main.get_by_role("button").all():  # whatever the paper tab can press
        if button.is_visible() and button.is_enabled():
            button.click()
    time.sleep(1.0)  # a run started by a click would have sent its first batch by now
    assert standin_calls(data) == [] and standin_orders(data) == placed
    page.close()

    trader = browser.new_page(viewport={"width": 1366, "height": 768})
    trader.goto(server)
    trader.get_by_text("Live", exact=True).click()
    token = re.findall(r"paste this token: (\S+)", (data / "streamlit.log").read_text())[-1]
    box = trader.get_by_label("Access token", exact=True)
    box.fill(token)
    box.press("Enter")
    go(trader, "Results")
    trader.get_by_text("I confirm sending LIVE orders to resume this run").click()
    trader.get_by_role("button", name="Resume").click()
    wait_for(lambda: standin_orders(data) > placed, 30, "the resumed run's orders on the live exchange")
    assert any("order" in call.lower() for call in standin_calls(data))
    trader.close()
