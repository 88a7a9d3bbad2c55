"""The legs table as a trader edits it in real headless Chromium: a row refused by its number, edits that survive
another page and a run, a resting leg that is not green, two exchanges' legs, the ATM field, a rejected run."""

import csv
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from execution.clock import IST
from execution.instruments import monthly_symbol
from tests.browsing import CHROMIUM, add_leg_row, edit_cell, execute, fill, go, grid_rows, legs_grid, newest_run, shot
from tests.helpers import TODAY

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by `make test`"),
]


def test_b1_an_incomplete_leg_row_is_refused_by_its_number_not_dropped(page):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    add_leg_row(page, 2)
    edit_cell(page, 3, 1, monthly_symbol("NIFTY", 26000, "CE", TODAY))  # a symbol, and no side yet
    expect(page.get_by_text("Row 3 of the legs table has no side")).to_be_visible(timeout=30000)
    expect(page.get_by_role("button", name="Execute")).to_be_disabled()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)  # no plan of the two other legs
    edit_cell(page, 3, 2, "S")
    expect(page.get_by_test_id("stMetric").filter(has_text="Orders")).to_contain_text("27", timeout=30000)
    expect(page.get_by_role("button", name="Execute")).to_be_enabled()


def test_b2_leg_edits_survive_another_page_and_a_run(page, data):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    fill(page, "Total lots", 8)
    fill(page, "Lots per batch", 8)
    fill(page, "Delay between batches (s)", 0)
    strike = monthly_symbol("NIFTY", 28000, "CE", TODAY)  # far out of the money: ₹1.5 is inside its price band
    edit_cell(page, 1, 1, strike)
    edit_cell(page, 1, 4, "L")
    edit_cell(page, 1, 5, "1.5")
    assert grid_rows(legs_grid(page))[0] == [strike, "S", "NRML", "L", "1.5"]
    expect(page.get_by_role("combobox", name="Strategy")).to_have_value("Custom")  # an edited preset is Custom
    go(page, "Results")
    go(page, "Execute")
    expect(legs_grid(page).locator("[role=row]").nth(1)).to_contain_text(strike, timeout=30000)
    execute(page, data, 8)
    expect(legs_grid(page).locator("[role=row]").nth(1)).to_contain_text("1.5", timeout=30000)
    assert grid_rows(legs_grid(page))[0][:4] == [strike, "S", "NRML", "L"]
    run = newest_run(data)
    assert run.config.legs[0].symbol == strike and run.config.legs[0].price == 1.5


def test_b3_a_run_with_open_orders_is_not_green(page, data):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    fill(page, "Total lots", 2)
    fill(page, "Lots per batch", 1)
    fill(page, "Delay between batches (s)", 0)
    # A SELL far above the market rests open; inside the band (at least ₹20 above a cheap premium: ₹0.60 on the
    # tests' day), or it would be refused.
    edit_cell(page, 1, 1, monthly_symbol("NIFTY", 28000, "CE", TODAY))
    edit_cell(page, 1, 4, "L")
    edit_cell(page, 1, 5, "15")
    execute(page, data, 2)
    alert = page.get_by_test_id("stAlert").first
    expect(alert).to_contain_text("Unbalanced:")
    text = alert.inner_text()
    assert "0/2 lots filled, 2 open" in text and "2/2 lots filled" in text and "2 of 4 orders filled" in text
    # Named per index, expiry and right, as the broken-hedge banner names it: the PE leg filled, the CE did not.
    expect(page.get_by_text(re.compile(r"NIFTY \d\d \w{3} PE: 2 lots naked short"))).to_be_visible()
    shot(page, "b3-open-orders")
    assert newest_run(data).config.legs[0].price == 15


def test_b6_a_nifty_and_a_sensex_leg_both_filled_are_balanced(page, data):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    fill(page, "Total lots", 6)
    fill(page, "Lots per batch", 6)
    fill(page, "Delay between batches (s)", 0)
    edit_cell(page, 2, 1, monthly_symbol("SENSEX", 85000, "CE", TODAY))
    execute(page, data, 6)
    expect(page.get_by_test_id("stAlert").first).to_contain_text("Clean:")
    page.get_by_text("Open results", exact=True).first.click()
    expect(page.get_by_text("Batches: parallel against one by one")).to_be_visible(timeout=30000)
    expect(page.get_by_test_id("stAlert").first).to_contain_text("Clean:")
    assert "unbalanced" not in page.get_by_role("tabpanel").first.inner_text().lower()


def test_b11_the_atm_field_refuses_what_it_cannot_use(page):
    expect(page.get_by_role("button", name="Execute")).to_be_enabled(timeout=30000)
    first = legs_grid(page).locator("[role=row]").nth(1)
    expect(first).to_contain_text("26500CE")
    fill(page, "ATM strike", 0)
    expect(page.get_by_text("ATM strike must be a positive NIFTY strike")).to_be_visible(timeout=30000)
    expect(page.get_by_role("button", name="Execute")).to_be_disabled()
    fill(page, "ATM strike", 26137)
    expect(page.get_by_text("ATM strike 26137 is not on NIFTY's 50-point grid: use 26100 or 26150.")).to_be_visible(
        timeout=30000
    )
    expect(page.get_by_role("button", name="Execute")).to_be_disabled()
    expect(first).to_contain_text("26500CE")  # nothing was built around a strike the trader did not type
    fill(page, "ATM strike", 26100)
    expect(first).to_contain_text("26600CE", timeout=30000)
    expect(page.get_by_role("button", name="Execute")).to_be_enabled()


def set_reject_rate(page, key):
    go(page, "Session")
    page.get_by_role("slider").first.press(key)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Applied.")).to_be_visible(timeout=30000)
    go(page, "Execute")


@pytest.mark.timeout(150)
def test_b13_a_run_whose_legs_were_rejected_is_not_labelled_like_a_clean_one(page, data):
    set_reject_rate(page, "End")  # RMS rejects every order
    try:
        fill(page, "Total lots", 7)
        fill(page, "Lots per batch", 7)
        fill(page, "Delay between batches (s)", 0)
        execute(page, data, 7)
    finally:
        set_reject_rate(page, "Home")
    record = newest_run(data)
    run_id, day = record.run_id, datetime.fromtimestamp(record.created_wall, IST).date()  # the run's own day
    go(page, "Results")
    picker = page.get_by_role("combobox", name="Run")
    expect(picker).to_have_value(re.compile(re.escape(run_id)), timeout=30000)
    expect(picker).to_have_value(re.compile("completed with failures"))
    expect(page.get_by_test_id("stAlert").first).to_contain_text("7 rejected")
    page.get_by_role("tab", name="History").click()
    history = page.get_by_test_id("stDataFrame").filter(has_text="Outcome")
    expect(history).to_be_visible(timeout=30000)
    header = [c.inner_text() for c in history.locator("[role=row]").first.locator("[role=columnheader]").all()]
    shown = next(dict(zip(header, r, strict=True)) for r in grid_rows(history) if run_id in r)
    assert shown["Outcome"] == "completed with failures" and shown["When (IST)"].startswith(f"{day:%d %b %Y}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download history CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    mine = next(r for r in rows if r["run"] == run_id)
    assert mine["outcome"] == "completed with failures" and mine["underlying"] == "NIFTY"
    assert "7 rejected" in mine["failures"] and mine["when"].endswith("+05:30")
