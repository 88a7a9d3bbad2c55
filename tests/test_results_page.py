"""The Results page through AppTest: a stopped and resumed run timed over its whole span, Compare that says when two
runs are not like for like, a sequential run with no parallel saving, tables with Indian grouping and no "None",
order history to the millisecond, and Results opening the newest run."""

import re

from dashboard import state as S
from dashboard.registry import registry
from execution.model import Mode, OrderStatus, RunState
from execution.reports import NONE, run_span
from execution.wording import indian
from tests.helpers import config, frame, plan, wait_for


def stopped_and_resumed() -> str:
    """A sequential run stopped after its first batch, then resumed: the run id."""
    eng = registry().paper
    run = eng.start(plan(config(lots=3, per=1, delay=0.3, mode=Mode.SEQUENTIAL)))
    journal = eng.journal
    wait_for(lambda: any(o.status is OrderStatus.COMPLETE for o in journal.orders(run.run_id)), what="batch 1")
    run.stop()
    assert run.wait(30).state is RunState.STOPPED
    assert eng.resume(run.run_id).wait(30).state is RunState.COMPLETED
    return run.run_id


def test_a_resumed_run_is_timed_over_its_whole_span_and_compare_says_runs_are_unlike(at):
    registry().paper.start(plan(config(lots=2, per=1))).wait(30)  # parallel, 2 lots
    run_id = stopped_and_resumed()
    journal = registry().journal
    span, record = run_span(journal.orders(run_id), journal.events(run_id)), journal.run(run_id)
    assert span is not None and record is not None and record.wall_s is not None
    assert span.seconds > record.wall_s  # the resume's own part is not the run's time
    at.switch_page("pages/results.py").run()
    assert not at.exception
    assert at.selectbox(key=S.RESULTS_PICK).value == run_id  # the newest: the resume ended last
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total time"] == f"{indian(span.seconds, 2)} s"
    history = frame(at, "Whole span (s)")
    assert history.set_index("Run").loc[run_id, "Whole span (s)"] == indian(round(span.seconds, 3), 2)
    # Compare: the newest parallel run (2 lots) against this sequential one (3 lots).
    warning = next(w.value for w in at.warning if w.value.startswith("Not like for like"))
    assert "lots per leg: 2 against 3" in warning and "batches: 2 against 3" in warning
    assert not any("whole span was" in m.value for m in at.markdown)  # no faster-by on unlike totals
    assert any(m.value.startswith("**Run ") and "median batch" in m.value for m in at.markdown)  # batch for batch
    table = frame(at, "Measure").set_index("Measure")
    assert table.loc["Whole span (s)", "Run B (sequential)"] == indian(span.seconds, 2)
    assert table.loc["Batches sent (planned)"].tolist() == ["2 (2)", "3 (3)"]


def test_a_sequential_run_reads_plainly(at):
    """No parallel saving for legs sent one by one; Indian grouping; no None; history to the millisecond with the
    send apart from the intent."""
    registry().paper.start(plan(config(lots=167, per=20, mode=Mode.SEQUENTIAL))).wait(30)
    at.switch_page("pages/results.py").run()
    assert not at.exception
    batches = frame(at, "Batch took (ms)")
    assert not [c for c in batches.columns if "saved" in c.lower() or "one by one" in c.lower()]
    assert not any("Parallel" in s.value for s in at.subheader)
    orders = frame(at, "Units")
    assert set(orders["Units"]) == {"1,300", "455"} and set(orders["Limit (₹)"]) == {"market"}
    for table in at.dataframe:
        cells = table.value.astype(str).to_numpy().ravel().tolist()
        assert "None" not in cells and "nan" not in cells and "NaT" not in cells
    legs = frame(at, "Planned lots")
    assert set(legs["Planned lots"]) == {"167"}
    history = frame(at, "Said by")
    assert history["Status"].tolist()[:3] == ["pending", "sent", "placed"]
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", t) for t in history["Time (IST)"])
    assert history["Order no."].iloc[0] in ("", NONE)


def test_results_opens_the_newest_run_not_the_one_viewed_before(at):
    eng = registry().paper
    first = eng.start(plan(config(lots=1, per=1))).wait(30)
    at.switch_page("pages/results.py").run()
    assert at.selectbox(key=S.RESULTS_PICK).value == first.run_id
    at.switch_page("pages/execute.py").run()
    second = eng.start(plan(config(lots=2, per=1))).wait(30)
    at.switch_page("pages/results.py").run()
    assert at.selectbox(key=S.RESULTS_PICK).value == second.run_id
    # With nothing newer, the run picked last is the one the page comes back to.
    at.selectbox(key=S.RESULTS_PICK).set_value(first.run_id).run()
    at.switch_page("pages/execute.py").run()
    at.switch_page("pages/results.py").run()
    assert at.selectbox(key=S.RESULTS_PICK).value == first.run_id
