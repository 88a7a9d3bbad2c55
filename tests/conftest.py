"""Shared fixtures. Importing execution first silences the SDK's file and console logging, which must happen before
the first `import neo_api_client`; execution.neo.sdk turns its structlog calls into no-ops."""

import pytest
import streamlit as st
from playwright.sync_api import sync_playwright
from streamlit.testing.v1 import AppTest

import execution.neo.sdk  # noqa: F401
from dashboard.registry import registry
from tests.browsing import ARGS, CHROMIUM, start_server
from tests.helpers import APP, TODAY, fast


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


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The dashboard's registry on a fresh data folder with no .env (live mode has no credentials); any run still
    working is stopped after the test."""
    monkeypatch.setenv("NEO_BATCH_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    yield registry
    for run in registry().active():
        run.stop()
        run.wait(10)
    st.cache_resource.clear()


@pytest.fixture
def at(app, monkeypatch):
    """The dashboard through AppTest on a quick paper exchange: final at once, with no order feed (states from the
    book)."""
    monkeypatch.setenv("NEO_PAPER_PROFILE", "fast")
    app().paper.exchange.reconfigure(fast(order_ms=10, login_ms=10))
    page = AppTest.from_file(APP, default_timeout=30).run()
    assert not page.exception
    return page
