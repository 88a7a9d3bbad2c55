"""Nothing in the repository expires: no tracked file holds an option symbol that expires within 60 days.

Tests, benchmarks and docs build their symbols from today's date. A literal symbol is allowed only where it is
long expired (a parser test of an old contract) or far from expiry; one that comes within 60 days of expiring
fails here, months before it would break `make test` on a clean checkout.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from execution.errors import SymbolError
from execution.instruments import BUNDLED, monthly_symbol, parse_symbol, weekly_symbol

ROOT = Path(__file__).resolve().parent.parent
HORIZON = timedelta(days=60)
_NAMES = "|".join(sorted(BUNDLED, key=len, reverse=True))
SYMBOL = re.compile(
    rf"(?<![A-Z0-9])(?:{_NAMES})\d{{2}}(?:[A-Z]{{3}}|[1-9OND]\d{{2}})\d+(?:\.\d+)?(?:CE|PE)(?![A-Z0-9])"
)


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30).stdout
        return [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file but the tooling's own
        skip = {".git", ".venv", "data", "logs", "__pycache__"}
        return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def expiring(text: str, today: date) -> list[tuple[int, str, date]]:
    """(line, symbol, expiry) of each symbol in `text` that expires from today up to 60 days on."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in SYMBOL.finditer(line):
            try:
                expiry = parse_symbol(match.group()).expiry
            except SymbolError:
                continue  # not a contract at all, e.g. a malformed example in a bad-input test
            if today <= expiry <= today + HORIZON:
                found.append((number, match.group(), expiry))
    return found


def test_the_scan_finds_a_symbol_near_expiry_and_passes_old_and_far_ones():
    today = date.today()
    near = monthly_symbol("NIFTY", 26000, "CE", today)
    weekly = weekly_symbol("BANKNIFTY", today + timedelta(days=3), 59000, "PE")
    far = monthly_symbol("NIFTY", 26000, "CE", today + timedelta(days=400))
    old = monthly_symbol("NIFTY", 26000, "CE", today - timedelta(days=400))
    text = f"a = '{near}'\nb = ({weekly!r}, {far!r}, {old!r})\nc = 'NIFTY26XYZ27050CE'\n"
    assert [(n, s) for n, s, _ in expiring(text, today)] == [(1, near), (2, weekly)]


@pytest.mark.timeout(60)
def test_no_tracked_file_holds_a_symbol_that_expires_within_60_days():
    today = date.today()
    offenders = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary files (the fixture journal, images) hold data, not examples to copy
        offenders += [f"{path.relative_to(ROOT)}:{n}: {s} expires {e:%d %b %Y}" for n, s, e in expiring(text, today)]
    assert not offenders, "Build these from today's date instead:\n" + "\n".join(offenders)
