"""Each fault over many seeded runs: every planned order is on the book at most once and in the journal, with the
same status in both; an order left unsettled is allowed only in a run that says so."""

from pathlib import Path

import pytest

from benchmarks.faults import ACROSS, INSTANT, KILLS, LAGGING, Check, run_scenario
from tests.helpers import TODAY

pytestmark = pytest.mark.slow  # starts processes or runs many seeded runs

# Scenarios whose fault draws depend on timing, not only on the seed: an expired session also fails whichever
# leg is in flight, 429s follow the clock, book reads are as many as the lag makes them, and the feed pushes each
# state its pump sees (two quick steps between two looks are one push).
TIMED = ("session-expiry", "rate-limit", "book-failure", "feed-gap", "combined")
CONDITIONS = ("lag", "partial-fills")  # not faults: the book's own behaviour


# Each kind's seeded runs are checked for what must never happen, and together must show the fault really fired;
# seed 0 run again shows a seed reproduces it (where the draws do not follow the clock).
@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", INSTANT)
def test_faults_never_duplicate_lose_or_misrecord(kind, tmp_path):
    checks = [run_scenario(kind, seed, tmp_path, TODAY) for seed in range(4)]
    for c in checks:
        assert (c.duplicates, c.lost, c.mismatches, c.unsettled) == (0, 0, 0, 0)
    assert_injected_and_reproduced(kind, checks, tmp_path)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", LAGGING)
def test_on_a_lagging_book_nothing_is_duplicated_lost_or_misrecorded(kind, tmp_path):
    checks = [run_scenario(kind, seed, tmp_path, TODAY) for seed in range(3)]
    for c in checks:
        assert (c.duplicates, c.lost, c.mismatches, c.naked) == (0, 0, 0, 0)
        if kind != "partial-fills":
            assert c.unsettled == 0
    if kind == "partial-fills":  # a thin book leaves orders resting, and the run says so
        assert sum(c.unsettled for c in checks) > 0
    if kind not in CONDITIONS:
        assert_injected_and_reproduced(kind, checks, tmp_path)


def assert_injected_and_reproduced(kind: str, checks: list[Check], tmp_path: Path) -> None:
    assert sum(c.faults for c in checks) > 0
    if kind not in TIMED:
        assert run_scenario(kind, 0, tmp_path / "again", TODAY).faults == checks[0].faults


@pytest.mark.parametrize("kind", ("error-5xx", "drop", "rate-limit"))
def test_an_order_proved_absent_is_resent_once(kind, tmp_path):
    # These faults strike before the exchange books the order about half the time: the book proves it absent.
    assert sum(run_scenario(kind, seed, tmp_path, TODAY).resent for seed in range(6)) > 0


# One seed each here, for the suite's time; `make faults` runs every kill and crossing over twenty.
@pytest.mark.parametrize("seed", range(1))
@pytest.mark.parametrize("kind", KILLS)
def test_a_killed_run_resumes_without_duplicates_or_losses(kind, seed, tmp_path):
    c = run_scenario(kind, seed, tmp_path, TODAY)
    assert (c.orders, c.duplicates, c.lost, c.mismatches) == (16, 0, 0, 0)


# two-resumes runs once in tests/test_resume_race.py, beside the same race in one process twenty times.
@pytest.mark.parametrize("kind, seed", [(kind, 0) for kind in ACROSS if kind != "two-resumes"])
def test_across_processes_and_days_nothing_is_duplicated_or_lost(kind, seed, tmp_path):
    c = run_scenario(kind, seed, tmp_path, TODAY)
    # The kill, the second process, the next day, the full disk or the failed login really happened; on
    # kill-during-resume (seed 0) the Resume was killed too.
    assert c.faults == (2 if kind == "kill-during-resume" else 1)
    assert (c.duplicates, c.lost, c.mismatches) == (0, 0, 0)
    # Next day: the orders the killed process sent without a reply (at most one batch's two legs) stay unknown,
    # for the trader to decide; they are never sent again.
    assert 0 < c.unsettled <= 2 if kind == "next-day" else c.unsettled == 0
