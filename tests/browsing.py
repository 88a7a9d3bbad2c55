"""What the browser tests share: the dashboard's server on a free port, Debian's Chromium, and a trader's clicks."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from execution.journal import Journal
from execution.wording import plural
from tests.helpers import TODAY, wait_for

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path, module: str = "dashboard.serve") -> tuple[subprocess.Popen, str]:
    """The dashboard on a free port, in paper mode on the instant exchange, once it answers its health check; started
    as `make run` starts it (headless, no file watcher, no usage stats: .streamlit/config.toml), or by `module`."""
    port = free_port()
    with open(data / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "NEO_BATCH_DATA": str(data), "NEO_PAPER_PROFILE": "fast", "NEO_PAPER_DAY": str(TODAY)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (data / "streamlit.log").read_text()
        time.sleep(0.3)


def fill(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")


def go(page, title):
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=30000)


def execute(page, data, lots):
    """Click Execute once the plan shows `lots` per leg, and wait for that run to finish: the banner of an earlier
    run is not this one's. On a busy machine a click right after typing can reach the server before the typed value
    (the page then asks "Place again?" of the earlier run's plan), so the test waits as a trader reads the plan."""
    journal = Journal(data / "journal.sqlite")
    before = {r.run_id for r in journal.runs()}
    execute = page.get_by_role("button", name="Execute")
    try:
        expect(page.get_by_text(f"{plural(lots, 'lot')} per leg", exact=True)).to_be_visible(timeout=30000)
        expect(execute).to_be_enabled(timeout=30000)
        execute.click()
        wait_for(
            lambda: any(r.run_id not in before and not r.state.active for r in journal.runs()), 60, "the run to finish"
        )
        expect(page.get_by_text("Open results", exact=True).first).to_be_visible(timeout=30000)
    except AssertionError:
        shot(page, "execute-failed")  # what the page said instead
        raise


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def newest_run(data):
    return Journal(data / "journal.sqlite").runs()[0]


def grid_rows(grid):
    rows = grid.locator("[role=row]")
    return [[c.inner_text() for c in rows.nth(i).locator("[role=gridcell]").all()] for i in range(1, rows.count())]


def legs_grid(page):
    return page.get_by_test_id("stDataFrame").first


def edit_cell(page, row, column, text, shown=None):
    """Type into the legs table as a trader does, and wait until the table shows it (as `shown`, if it differs).

    The grid draws on a canvas, so the first data cell is clicked by position and the rest reached by arrow keys.
    A text or number cell opens its editor on the first key; a choice cell opens a list on Enter. On a loaded
    machine the editor can open after the keys were typed, so an edit the table does not show is typed again,
    as a trader would.
    """
    cell = legs_grid(page).locator("[role=row]").nth(row).locator("[role=gridcell]").nth(column - 1)
    for attempt in range(3):
        try:
            _type_into(page, row, column, text)
            expect(cell).to_have_text(shown or text, timeout=10000)
            return
        except (AssertionError, PlaywrightTimeout):
            if attempt == 2:
                raise
            page.keyboard.press("Escape")  # close an editor or list left open


def _type_into(page, row, column, text):
    box = legs_grid(page).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)  # row 1, first column
    page.wait_for_timeout(500)  # the grid takes the focus
    for key, times in (("ArrowDown", row - 1), ("ArrowRight", column - 1)):
        for _ in range(times):
            page.keyboard.press(key)
    if column in CHOICE_COLUMNS:
        page.keyboard.press("Enter")
        page.get_by_role("option", name=text, exact=True).click(timeout=5000)
    else:
        page.keyboard.type(text[0])
        page.wait_for_timeout(300)  # the editor opens on the first key
        page.keyboard.type(text[1:])
        page.wait_for_timeout(300)  # Enter at once can close the editor before it has taken the keys
        page.keyboard.press("Enter")


CHOICE_COLUMNS = (2, 3, 4)  # side, product, order type


def add_leg_row(page, legs):
    """Add a row below `legs` rows of legs."""
    grid = legs_grid(page)
    rows = grid.locator("[role=row]")
    expect(rows).to_have_count(1 + legs, timeout=30000)  # the header and the legs
    # The grid's toolbar shows while the pointer is over the grid, fading in; on a busy machine a click can land
    # while it is still moving, so hover and click again, as a trader would.
    for attempt in range(3):
        grid.hover()
        try:
            grid.get_by_role("button", name="Add row").click(timeout=8000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    expect(rows).to_have_count(2 + legs, timeout=30000)
    # The app has taken the new row once it refuses it as empty; an edit before that would be drawn over.
    expect(page.get_by_text(f"Row {legs + 1} of the legs table has no trading symbol")).to_be_visible(timeout=30000)
