"""A trader's afternoon in real headless Chromium at 1366x768: a condor whose call hedge is rejected, the red banner
on every page, Complete from Results (its preview, then its confirmation), then Exit all from Positions in batches
(its preview, then its confirmation). Its own server, so no other browser test's positions are in its account."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from execution.journal import Journal
from execution.model import Purpose, Side
from execution.presets import Preset, preset_legs
from tests.browsing import CHROMIUM, execute, fill, go, shot
from tests.helpers import TODAY

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by `make test`"),
]
CONDOR = preset_legs(Preset.IRON_CONDOR, "NIFTY", TODAY)
CE_HEDGE = next(g for g in CONDOR if g.side is Side.BUY and g.symbol.endswith("CE"))


def rehearse_rejects(page, symbols: str) -> None:
    go(page, "Session")
    box = page.get_by_label("RMS rejects every order in (symbols, comma-separated)", exact=True)
    box.fill(symbols)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Applied.")).to_be_visible(timeout=30000)


@pytest.mark.timeout(180)
def test_a_broken_hedge_is_red_everywhere_until_complete_and_exit_all_closes_in_batches(page, data):
    rehearse_rejects(page, CE_HEDGE.symbol)
    go(page, "Execute")
    page.get_by_role("combobox", name="Strategy").click()
    page.get_by_role("option", name="Iron condor").click()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(CE_HEDGE.symbol, timeout=30000)
    page.get_by_role("combobox", name="On leg failure").click()  # carry on past the rejection: 4 lots naked
    page.get_by_role("option", name="continue", exact=True).click()
    fill(page, "Total lots", 4)
    fill(page, "Lots per batch", 2)
    fill(page, "Delay between batches (s)", 0)
    execute(page, data, 4)
    entry = Journal(data / "journal.sqlite").runs()[0]
    broken = page.get_by_text(re.compile(r"Broken hedge: NIFTY .* CE: 260 units \(4 lots\) short without a hedge"))
    for title in ("Results", "Positions", "Session", "Execute"):
        go(page, title)
        expect(broken).to_be_visible(timeout=30000)
    shot(page, "broken-hedge")

    rehearse_rejects(page, "")
    go(page, "Results")
    expect(page.get_by_role("combobox", name="Run")).to_have_value(re.compile(entry.run_id), timeout=30000)
    expect(page.get_by_role("heading", name="Repair")).to_be_visible()
    page.get_by_role("button", name="Complete").click()
    # The preview: the missing hedge in 2 batches of 2 lots, at the run's pricing; nothing sent yet.
    place = page.get_by_role("button", name="Place 2 orders")
    expect(place).to_be_visible(timeout=30000)
    expect(page.get_by_text(re.compile(f"Complete {entry.run_id}: 2 orders in 2 batches"))).to_be_visible()
    assert [r.config.purpose for r in Journal(data / "journal.sqlite").runs()] == [Purpose.ENTRY]
    shot(page, "repair-preview")
    place.click()
    expect(page.get_by_text("Open results", exact=True).first).to_be_visible(timeout=60000)
    expect(broken).to_have_count(0, timeout=30000)
    go(page, "Results")
    page.get_by_role("combobox", name="Run").click()
    page.get_by_role("option", name=re.compile(f"NIFTY · 4 legs .* {entry.run_id}")).click()
    story = (
        r"Repaired\. The run's own orders filled .* 4 lots more than BUY \S+CE\. Complete \S+: BUY \S+CE 4 of 4 lots"
    )
    expect(page.get_by_text(re.compile(story + r" filled\. Balanced now"))).to_be_visible(timeout=30000)

    go(page, "Positions")
    expect(page.get_by_text("Account MTM")).to_be_visible(timeout=30000)
    shot(page, "positions")
    fill(page, "Lots per batch (0: the freeze limit, or the run's own)", 3)
    page.get_by_role("button", name="Exit all").click()
    # The preview: every leg's lots in 2 batches, a chased limit by default; one more click sends it.
    place = page.get_by_role("button", name="Place 8 orders")
    expect(place).to_be_visible(timeout=30000)
    expect(page.get_by_text("limit at the mid", exact=False).first).to_be_visible()
    shot(page, "exit-preview")
    place.click()
    expect(page.get_by_text("Open results", exact=True).first).to_be_visible(timeout=60000)
    journal = Journal(data / "journal.sqlite")
    [exit_] = [r for r in journal.runs() if r.config.purpose is Purpose.EXIT]
    assert sorted(o.lots for o in journal.orders(exit_.run_id)) == [1] * 4 + [3] * 4  # 4 lots in batches of 3
    go(page, "Positions")
    closed = page.get_by_text(re.compile("Closed today: 4 contracts"))
    expect(closed).to_be_visible(timeout=30000)
    expect(page.get_by_role("button", name="Exit all")).to_have_count(0)  # nothing open, nothing to exit
    closed.click()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(CE_HEDGE.symbol, timeout=30000)
    shot(page, "positions-flat")
    assert all(o.status.ok for o in journal.orders(exit_.run_id))
