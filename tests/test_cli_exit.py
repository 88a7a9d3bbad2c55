"""`python -m execution exit` prices as `run` can, with the exit's own defaults (a chased limit) in its --help."""

import json
import re

import pytest

from execution.cli import main
from execution.journal import Journal
from execution.model import EXIT_PRICING, PRICING, PriceMode, Purpose
from paper.wiring import COMMAND_LINE
from tests.helpers import TODAY, sym

CE, PE = sym("NIFTY", 27050, "CE"), sym("NIFTY", 25450, "PE")


def help_text(command: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"], paper=COMMAND_LINE)
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines where it likes


@pytest.mark.timeout(20)
def test_exit_help_shows_the_same_pricing_flags_as_run_with_the_exits_defaults(capsys):
    run, exit_ = help_text("run", capsys), help_text("exit", capsys)
    flags = set(re.findall(r"--(?:price|buffer|chase|on-unfilled)[\w-]*", run))
    assert flags and flags == set(re.findall(r"--(?:price|buffer|chase|on-unfilled)[\w-]*", exit_))
    assert f"--price {{market,limit}} (default: {EXIT_PRICING.mode.value})" in exit_
    assert f"--price {{market,limit}} (default: {PRICING.mode.value})" in run
    assert EXIT_PRICING.mode is PriceMode.LIMIT and f"(default: {EXIT_PRICING.chase_steps})" in exit_


@pytest.mark.timeout(120)
def test_an_exit_sends_with_the_pricing_its_flags_give_and_a_chased_limit_by_default(tmp_path, capsys):
    journal = str(tmp_path / "j.sqlite")
    common = ["--profile", "fast", "--journal", journal, "--paper-today", TODAY.isoformat(), "--json"]
    legs = [f"--leg={CE}:S", f"--leg={PE}:S"]
    assert main(["run", *legs, "--lots", "4", "--batch-lots", "2", "--delay", "0", *common], paper=COMMAND_LINE) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    # The entry went at market; its exit does not take that over.
    assert main(["exit", "--run", run_id, "--batch-lots", "2", "--delay", "0", *common], paper=COMMAND_LINE) == 0
    capsys.readouterr()
    assert main(["run", *legs, "--lots", "2", "--batch-lots", "2", "--delay", "0", *common], paper=COMMAND_LINE) == 0
    capsys.readouterr()
    flags = ["--price", "market", "--chase-steps", "0"]
    assert main(["exit", "--all", "--delay", "0", *flags, *common], paper=COMMAND_LINE) == 0
    first, second = sorted(
        (r for r in Journal(journal).runs() if r.config.purpose is Purpose.EXIT), key=lambda r: r.created_wall
    )
    assert first.config.pricing == EXIT_PRICING
    assert (second.config.pricing.mode, second.config.pricing.chase_steps) == (PriceMode.MARKET, 0)
