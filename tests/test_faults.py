"""Each fault over many seeded runs: every planned order is on the book at most once and in the journal exactly
once, with the same status in both."""

import pytest

from benchmarks.faults import IN_PROCESS, KILLS, run_scenario

pytestmark = pytest.mark.slow  # starts processes or runs many seeded runs


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", IN_PROCESS)
def test_faults_never_duplicate_lose_or_misrecord(kind, seed, tmp_path):
    c = run_scenario(kind, seed, tmp_path)
    assert (c.duplicates, c.lost, c.mismatches) == (0, 0, 0)


@pytest.mark.parametrize("kind", IN_PROCESS)
def test_each_scenario_really_injects_its_fault_and_a_seed_reproduces_it(kind, tmp_path):
    first = [run_scenario(kind, seed, tmp_path / "a") for seed in range(4)]
    again = [run_scenario(kind, seed, tmp_path / "b") for seed in range(4)]
    assert sum(c.faults for c in first) > 0
    if kind not in ("session-expiry", "rate-limit"):
        # An expired session also fails whichever other leg is in flight, and the exchange's 429s follow the
        # clock: their retries, and so their later draws, depend on timing. The other faults are per order.
        assert [c.faults for c in first] == [c.faults for c in again]


@pytest.mark.parametrize("kind", ("error-5xx", "drop", "rate-limit"))
def test_an_order_proved_absent_is_resent_once(kind, tmp_path):
    # These faults strike before the exchange books the order about half the time: the book proves it absent.
    assert sum(run_scenario(kind, seed, tmp_path).resent for seed in range(8)) > 0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", KILLS)
def test_a_killed_run_resumes_without_duplicates_or_losses(kind, seed, tmp_path):
    c = run_scenario(kind, seed, tmp_path)
    assert (c.orders, c.duplicates, c.lost, c.mismatches) == (16, 0, 0, 0)
