"""What the browser tests share: the dashboard's server on a free port, Debian's Chromium, and a trader's clicks."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

from execution.journal import Journal
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


def execute(page, data):
    """Click Execute and wait for that run to finish: the banner of an earlier run is not this one's."""
    journal = Journal(data / "journal.sqlite")
    before = {r.run_id for r in journal.runs()}
    execute = page.get_by_role("button", name="Execute")
    try:
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
