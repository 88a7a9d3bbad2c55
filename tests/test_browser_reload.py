"""Issue 27, item 5, in real Chromium: a reload keeps the trader's setup and the running run as this browser
session's own, with its banner at the end; after a reload a live run is stopped without the token again, while the
same URL in another browser gets no live unlock."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from execution.journal import Journal
from execution.model import RunState
from tests.browsing import ARTIFACTS, CHROMIUM, fill, start_server
from tests.helpers import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by `make test`"),
]


@pytest.fixture(scope="module")
def server(data):
    """The dashboard with a live stand-in for live mode (tests/live_standin.py): nothing leaves the machine."""
    proc, url = start_server(data, "tests.live_standin")
    yield url
    proc.terminate()
    proc.wait(10)


def running_run(data: Path) -> str:
    journal = Journal(data / "journal.sqlite")
    wait_for(lambda: any(r.state.active for r in journal.runs()), 30, "the run to start")
    return next(r.run_id for r in journal.runs() if r.state.active)


def small_slow_run(page) -> None:
    """Four batches of one lot, 2 s apart, limit priced with a chase: a run still going when the page reloads."""
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    fill(page, "Total lots", 4)
    fill(page, "Lots per batch", 1)
    fill(page, "Delay between batches (s)", 2)
    page.get_by_text("Pricing and the option chain").click()
    page.get_by_test_id("stRadio").filter(has_text="Price").get_by_text("limit", exact=True).click()
    fill(page, "Chase steps", 2)
    expect(page.get_by_text("4 lots per leg", exact=True)).to_be_visible(timeout=30000)
    expect(page.get_by_text("Limit pricing is on")).to_be_visible(timeout=30000)


@pytest.mark.timeout(120)
def test_a_reload_keeps_the_form_and_the_running_run_as_its_own_with_its_banner(page, data):
    small_slow_run(page)
    page.get_by_role("button", name="Execute").click()
    run_id = running_run(data)
    expect(page).to_have_url(re.compile(r"[?&]s=[\w-]{24}"), timeout=30000)
    page.reload()
    expect(page.get_by_role("heading", name=f"Run {run_id}", exact=True)).to_be_visible(timeout=30000)
    expect(page.get_by_text("started in another tab")).to_have_count(0)
    expect(page.get_by_label("Total lots", exact=True)).to_have_value("4")
    expect(page.get_by_label("Lots per batch", exact=True)).to_have_value("1")
    expect(page.get_by_label("Chase steps", exact=True)).to_have_value("2")
    expect(page.get_by_text("Limit pricing is on")).to_be_visible()
    expect(page.get_by_text(f"Run {run_id}: Clean")).to_be_visible(timeout=60000)  # its banner, once it ends
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reload-own-run.png"))


@pytest.mark.timeout(120)
def test_after_a_reload_a_live_run_stops_without_the_token_and_a_copied_url_gets_no_unlock(page, browser, data):
    page.get_by_text("Live", exact=True).click()
    token = re.findall(r"paste this token: (\S+)", (data / "streamlit.log").read_text())[-1]
    box = page.get_by_label("Access token", exact=True)
    box.fill(token)
    box.press("Enter")
    fill(page, "Total lots", 4)
    fill(page, "Lots per batch", 1)
    fill(page, "Delay between batches (s)", 5)
    expect(page.get_by_text("4 lots per leg", exact=True)).to_be_visible(timeout=30000)
    page.get_by_text("I confirm sending LIVE orders").click()
    page.get_by_role("button", name="Execute").click()
    run_id = running_run(data)
    page.reload()
    expect(page.get_by_role("heading", name=f"Run {run_id}", exact=True)).to_be_visible(timeout=30000)
    expect(page.get_by_role("heading", name="Live mode is locked")).to_have_count(0)

    copied = browser.new_page(viewport={"width": 1366, "height": 768})  # a browser of its own: its own cookies
    copied.goto(page.url)
    expect(copied.get_by_role("heading", name="Execute")).to_be_visible(timeout=30000)
    expect(copied.get_by_text("LIVE ACCOUNT")).to_have_count(0)  # paper, fresh: nothing of the trader's session
    copied.get_by_text("Live", exact=True).click()
    expect(copied.get_by_role("heading", name="Live mode is locked")).to_be_visible(timeout=30000)
    copied.close()

    page.get_by_role("button", name="Stop").click()
    journal = Journal(data / "journal.sqlite")

    def stopped() -> bool:
        record = journal.run(run_id)
        return record is not None and record.state is RunState.STOPPED

    wait_for(stopped, 30, "the live run to stop")  # four batches 5 s apart: only a Stop ends it this soon
