"""Shared fixtures. Importing execution first silences the SDK's file and console logging, which must happen before
the first `import neo_api_client`; execution.neo.sdk turns its structlog calls into no-ops."""

import pytest
from playwright.sync_api import sync_playwright

import execution.neo.sdk  # noqa: F401
from tests.browsing import ARGS, CHROMIUM, start_server
from tests.helpers import TODAY


@pytest.fixture(autouse=True)
def paper_day(monkeypatch):
    """A dashboard built in this process (AppTest) rehearses the tests' day, never the wall clock's."""
    monkeypatch.setenv("NEO_PAPER_DAY", TODAY.isoformat())


def pytest_collection_modifyitems(items):
    """Tests marked slow go first, so that the workers share them out and the suite does not end waiting on one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# The browser tests' fixtures: module-scoped, so each browser test module has a server, a data folder and an
# account of its own.


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The server's data folder: its journal, and the log of its terminal."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def server(data):
    proc, url = start_server(data)
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
    """A new window on the dashboard: a session of its own, nothing shared with the test before."""
    pg = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    pg.goto(server)
    pg.wait_for_selector("[data-testid='stApp']")
    yield pg
    pg.close()
