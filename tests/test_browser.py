"""A trader's session in real headless Chromium: fill the form, execute in paper mode, review, download CSV."""

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from execution.journal import Journal

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by `make test`"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STREAMLIT_FLAGS = (
    "--server.headless",
    "true",
    "--browser.gatherUsageStats",
    "false",
    "--server.fileWatcherType",
    "none",
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The server's data folder: its journal, and the log of its terminal."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def server(data):
    port = free_port()
    with open(data / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), *STREAMLIT_FLAGS],
            cwd=ROOT,
            env={**os.environ, "NEO_BATCH_DATA": str(data), "NEO_PAPER_PROFILE": "fast"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (data / "streamlit.log").read_text()
            time.sleep(0.3)
        yield url
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(server, browser):
    """A new tab on the dashboard."""
    pg = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    pg.goto(server)
    pg.wait_for_selector("[data-testid='stApp']")
    yield pg
    pg.close()


def fill(page, label, value):
    box = page.get_by_label(label)
    box.fill(str(value))
    box.press("Enter")


def grid_rows(grid):
    rows = grid.locator("[role=row]")
    return [[c.inner_text() for c in rows.nth(i).locator("[role=gridcell]").all()] for i in range(1, rows.count())]


def test_a_trader_executes_a_strangle_reviews_it_and_exports_csv(page):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    fill(page, "Total lots", 167)
    fill(page, "Lots per batch", 20)
    fill(page, "Delay between batches (s)", 0.2)
    expect(page.get_by_test_id("stMetric").filter(has_text="Batches")).to_contain_text("9")

    fill(page, "Lots per batch", 28)  # above NIFTY's freeze limit: refused, Execute disabled
    expect(page.get_by_text("Use at most 27 lots per batch")).to_be_visible()
    expect(page.get_by_role("button", name="Execute")).to_be_disabled()
    fill(page, "Lots per batch", 20)

    page.get_by_role("button", name="Execute").click()
    expect(page.get_by_text("18/18 orders ok")).to_be_visible(timeout=60000)
    page.get_by_text("Open results").click()
    expect(page.get_by_text("Batches: parallel against sequential")).to_be_visible(timeout=30000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Orders ok")).to_contain_text("18")

    run_tab = page.get_by_role("tabpanel").first
    chart = run_tab.locator(".js-plotly-plot").first
    expect(chart.locator(".barlayer .point")).to_have_count(18, timeout=30000)
    expect(chart).to_contain_text("Leg 1 · SELL")
    expect(chart).to_contain_text("B9")

    table = run_tab.get_by_test_id("stDataFrame").first
    expect(table.locator("[role=row]")).to_have_count(10, timeout=30000)  # header and nine batches
    header = [c.inner_text() for c in table.locator("[role=row]").first.locator("[role=columnheader]").all()]
    batches = [dict(zip(header, row, strict=True)) for row in grid_rows(table)]
    assert [int(b["batch"]) for b in batches] == list(range(1, 10))
    assert [int(b["lots"]) for b in batches] == [20] * 8 + [7]

    with page.expect_download() as download:
        page.get_by_role("button", name="Download orders CSV").click()
    orders = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(orders) == 18 and {o["status"] for o in orders} == {"complete"}
    assert len({o["tag"] for o in orders}) == 18 and len({o["order_no"] for o in orders}) == 18
    assert [int(o["quantity"]) for o in orders if o["batch"] == "9"] == [455, 455]
    for b in batches:  # the CSV's rows add up to what the table shows, batch by batch
        legs = [o for o in orders if o["batch"] == b["batch"]]
        assert len(legs) == int(b["legs"]) == 2
        assert sum(float(o["latency_ms"]) for o in legs) == pytest.approx(float(b["sum_leg_ms"]), abs=0.01)
        assert float(b["wall_ms"]) < float(b["sum_leg_ms"])

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)
    assert (ARTIFACTS / "results.png").stat().st_size > 10_000


def test_two_clicks_300_ms_apart_place_one_run_and_ask_place_again(page, data):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    fill(page, "Total lots", 3)
    fill(page, "Lots per batch", 3)  # one batch: the run is over before the second click lands
    fill(page, "Delay between batches (s)", 0)
    expect(page.get_by_test_id("stMetric").filter(has_text="Batches")).to_contain_text("1")
    execute = page.get_by_role("button", name="Execute")
    execute.click()
    page.wait_for_timeout(300)
    execute.click()  # wherever the button is by now: the page moved to show the first run's result
    expect(page.get_by_text("Place again?")).to_be_visible(timeout=30000)
    runs = [r for r in Journal(data / "journal.sqlite").runs() if r.config.total_lots == 3]
    assert len(runs) == 1 and runs[0].run_id in page.get_by_text("Place again?").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "place-again.png"), full_page=True)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    assert len([r for r in Journal(data / "journal.sqlite").runs() if r.config.total_lots == 3]) == 1


def test_live_mode_is_locked_until_the_terminal_token_is_pasted(page, data):
    expect(page.get_by_role("heading", name="Execute")).to_be_visible(timeout=30000)  # the app has started
    token = re.findall(r"paste this token: (\S+)", (data / "streamlit.log").read_text())[-1]
    page.get_by_text("Live", exact=True).click()
    expect(page.get_by_role("heading", name="Live mode is locked")).to_be_visible(timeout=30000)
    expect(page.get_by_role("button", name="Execute")).to_have_count(0)
    box = page.get_by_label("Access token")
    box.fill("a-guess")
    box.press("Enter")
    expect(page.get_by_text("not this server's access token")).to_be_visible(timeout=30000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live-locked.png"))
    box.fill(token)
    box.press("Enter")
    expect(page.get_by_text("log in on the Session page first")).to_be_visible(timeout=30000)
    assert token not in page.content()
