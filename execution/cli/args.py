"""The command line's arguments: the parser, its checks (each a one-line refusal naming its flag, exit 2), and the
rules that keep paper-only knobs away from a live account."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn, TypeVar

from ..engine import PaperWiring
from ..errors import PlanError, TraderError
from ..governor import ORDERS_PER_S
from ..instruments import BUNDLED
from ..journal import DEFAULT_PATH, data_dir
from ..model import (
    EXIT_PRICING,
    ON_LEG_FAILURE,
    PRICING,
    Mode,
    OnLegFailure,
    OnUnfilled,
    Pacing,
    PriceFrom,
    PriceMode,
    Pricing,
    Purpose,
    decimal,
    digits,
    whole_number,
)
from ..planner import seconds
from ..presets import Preset

T = TypeVar("T")


N = TypeVar("N", int, float)


class Refused(TraderError):
    """Bad command-line input."""


def _fault_parser(kinds: tuple[str, ...]) -> Callable[[str], tuple[str, float]]:
    rate = number(0.0, 1.0)

    def parse(text: str) -> tuple[str, float]:
        kind, sep, value = text.partition("=")
        if not sep or kind not in kinds:
            raise argparse.ArgumentTypeError(f"--fault is KIND=RATE with KIND one of {', '.join(kinds)}; got '{text}'")
        return kind, rate(value)

    return parse


def _ranged(read: Callable[[str, str], N], low: N, high: N, expected: str, why: str = "") -> Callable[[str], N]:
    """A flag's value read strictly by `read` (the planner's own reader) and held from `low` to `high`."""

    def parse(text: str) -> N:
        try:
            value = read(text, "")
        except PlanError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}{why}, got {value:g}")
        return value

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """A finite number written plainly (no NaN, infinity, exponent or underscore) from `low` to `high`."""
    return _ranged(decimal, low, high, "a plain number such as 2.5")


def count(low: int, high: int, why: str = "") -> Callable[[str], int]:
    """A whole number in plain ASCII digits from `low` to `high`."""
    return _ranged(digits, low, high, "a whole number in plain digits 0-9", why)


def _planned(check: Callable[[str, str], T], label: str) -> Callable[[str], T]:
    """The planner's own check of a value, its message named by the flag."""

    def parse(text: str) -> T:
        try:
            return check(text, label)
        except PlanError as exc:
            raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None

    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line and exit code 2, as for any other bad input
        raise Refused(message)


STRUCTURES = {"strangle": Preset.STRANGLE, "straddle": Preset.STRADDLE, "iron-condor": Preset.IRON_CONDOR}


_MS = number(0.0, 60_000.0)


# The paper exchange's knobs and what each is when not given. Live mode refuses every one of them, so none can
# reach a real account: they are left unset by the parser to tell given from defaulted.
PAPER_ONLY: dict[str, Any] = {
    "exchange_state": None,
    "login_ms": 800.0,
    "latency_ms": 150.0,
    "query_ms": None,
    "jitter_ms": 0.0,
    "seed": 0,
    "fault": [],
    "reject_rate": 0.0,
    "funds": None,
    "orders_per_s": ORDERS_PER_S,
    "time_scale": 1.0,
    "profile": "realistic",
    "paper_today": None,
    "ignore_funds": False,
}


LIVE_TIMEOUT_S = (1.0, 60.0)  # a reply slower than a minute is a dead connection; under a second, a false alarm


def parser(paper: PaperWiring) -> argparse.ArgumentParser:
    p = _Parser(prog="python -m execution", description="Batched multi-leg option orders on Kotak Neo.")
    sub = p.add_subparsers(dest="command", required=True)
    symbols = sub.add_parser("symbols", help="print live example contracts, built from today's date")
    symbols.add_argument("underlying", choices=sorted(BUNDLED))
    symbols.add_argument(
        "--legs", choices=sorted(STRUCTURES), help="print a structure's legs as --leg arguments for `run`"
    )
    run = sub.add_parser("run", help="place a batched run (paper mode unless --live)")
    resume = sub.add_parser("resume", help="place only the missing orders of an interrupted run")
    resume.add_argument("run_id")
    resume.add_argument(
        "--new-day", action="store_true", help="confirm resuming a run placed on an earlier trading day"
    )
    quote = sub.add_parser("quote", help="quotes for trading symbols: LTP, bid, ask, band, open interest")
    quote.add_argument("symbols", nargs="+", metavar="SYMBOL")
    chain = sub.add_parser("chain", help="an option chain around the money, from the scrip master and quotes")
    chain.add_argument("underlying", choices=sorted(BUNDLED))
    chain.add_argument("--expiry", type=date.fromisoformat, help="YYYY-MM-DD (default: the nearest)")
    chain.add_argument("--strikes", type=count(1, 50), default=10, help="strikes either side of the money")
    positions = sub.add_parser("positions", help="net lots, average, LTP and P&L per contract, and which run opened it")
    close = _exit_parser(sub)
    repair = sub.add_parser("repair", help="bring an unbalanced run to balance: complete its legs or flatten them")
    repair.add_argument("run_id")
    repair.add_argument("--how", choices=[Purpose.COMPLETE.value, Purpose.FLATTEN.value], required=True)
    cancel = sub.add_parser("cancel-open", help="cancel a run's orders still resting on the exchange")
    cancel.add_argument("--run", required=True, metavar="RUN_ID")
    for q in (run, resume, quote, chain, positions, close, repair, cancel):
        _common_options(q)
        _paper_options(q, _fault_parser(paper.fault_kinds))
    _run_options(run)
    return p


def _exit_parser(sub: Any) -> argparse.ArgumentParser:
    """`exit`: what to close, its batches, and its pricing with the exit's own defaults (`EXIT_PRICING`)."""
    close: argparse.ArgumentParser = sub.add_parser(
        "exit",
        help="close positions in batches: shorts are bought back before hedges are sold",
        description="Close positions in batches. Each leg is priced as --price says: by default a limit from the "
        "quote, chased towards a fill, never the entry's pricing.",
    )
    which = close.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="RUN_ID", help="what this run still holds")
    which.add_argument("--all", action="store_true", help="every open position")
    close.add_argument(
        "--batch-lots",
        type=_planned(whole_number, "Lots per batch"),
        help="lots per batch (default: the run's, else the freeze limit)",
    )
    close.add_argument(
        "--delay",
        type=_planned(seconds, "Delay between batches"),
        help="seconds between batches (default: the run's, else 2)",
    )
    close.add_argument("--pacing", choices=[m.value for m in Pacing], help="default: the run's, else gap")
    _price_options(close, EXIT_PRICING)
    return close


def _run_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--leg", action="append", default=[], metavar="SYMBOL:SIDE", help="repeat for each leg")
    run.add_argument("--lots", required=True, type=_planned(whole_number, "Total lots"))
    run.add_argument("--batch-lots", required=True, type=_planned(whole_number, "Lots per batch"))
    run.add_argument("--delay", required=True, type=_planned(seconds, "Delay between batches"))
    run.add_argument("--mode", choices=[m.value for m in Mode], default="parallel")
    run.add_argument("--pacing", choices=[m.value for m in Pacing], default="gap")
    run.add_argument(
        "--delay-max",
        type=_planned(seconds, "Most delay"),
        default=0.0,
        help="adaptive pacing: the longest the delay may grow to",
    )
    run.add_argument(
        "--on-leg-failure",
        choices=[m.value for m in OnLegFailure],
        default=ON_LEG_FAILURE.value,
        help="; ".join(f"{m.value}: {m.help}" for m in OnLegFailure).replace("%", "%%") + " (default: %(default)s)",
    )
    run.add_argument("--hedge-first", action="store_true")
    run.add_argument(
        "--hedge-wait",
        type=_planned(seconds, "Hedge fill wait"),
        default=10.0,
        help="hedge-first: seconds the BUY legs may take to fill",
    )
    run.add_argument("--login-per-order", action="store_true", help="the seed's baseline: log in for every order")
    _price_options(run, PRICING)
    run.add_argument(
        "--ignore-funds",
        action="store_true",
        default=argparse.SUPPRESS,
        help="paper only: send even when the margin exceeds the funds",
    )
    run.add_argument(
        "--again",
        metavar="RUN_ID",
        help="place a plan again that was placed within the last 5 minutes as RUN_ID (otherwise refused)",
    )


def _price_options(q: argparse.ArgumentParser, defaults: Pricing) -> None:
    """How each leg is priced; the defaults are the model's (`PRICING` for a run, `EXIT_PRICING` for an exit)."""
    shown = " (default: %(default)s)"
    q.add_argument("--price", choices=[m.value for m in PriceMode], default=defaults.mode.value, help=shown.strip())
    q.add_argument(
        "--price-from", choices=[m.value for m in PriceFrom], default=defaults.source.value, help=shown.strip()
    )
    buffer = q.add_mutually_exclusive_group()
    buffer.add_argument(
        "--buffer-pct",
        type=number(0, 100),
        default=defaults.buffer_pct,
        help="limit: %% beyond the quote's price" + shown,
    )
    buffer.add_argument(
        "--buffer-ticks",
        type=count(0, 100),
        default=defaults.buffer_ticks,
        help="limit: ticks beyond the quote's price, instead of a %%" + shown,
    )
    q.add_argument(
        "--chase-s", type=number(0, 3600), default=defaults.chase_s, help="limit: seconds before a step" + shown
    )
    q.add_argument(
        "--chase-steps",
        type=count(0, 100),
        default=defaults.chase_steps,
        help="limit: steps at most (0: not chased)" + shown,
    )
    q.add_argument(
        "--chase-step-pct", type=number(0, 100), default=defaults.chase_step_pct, help="limit: %% per step" + shown
    )
    q.add_argument(
        "--chase-max-pct",
        type=number(0, 100),
        default=defaults.chase_max_pct,
        help="limit: furthest from the first price, %%" + shown,
    )
    q.add_argument(
        "--on-unfilled",
        choices=[m.value for m in OnUnfilled],
        default=defaults.on_unfilled.value,
        help="limit: after the last step" + shown,
    )


def _common_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--live", action="store_true", help="send real orders through Kotak Neo")
    q.add_argument("--yes-send-live-orders", action="store_true", help="confirm live mode")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument(
        "--journal",
        default=str(data_dir() / DEFAULT_PATH.name),
        help="SQLite journal path (default: journal.sqlite in $NEO_BATCH_DATA, else data/); the rate windows and "
        "the paper book live beside it",
    )
    q.add_argument(
        "--timeout",
        type=number(0.1, LIVE_TIMEOUT_S[1]),
        default=5.0,
        help="per-request timeout, seconds (live: 1 to 60)",
    )


def _paper_options(q: argparse.ArgumentParser, fault: Callable[[str], tuple[str, float]]) -> None:
    """The paper exchange's knobs, each refused with --live (see PAPER_ONLY for their defaults)."""
    unset = argparse.SUPPRESS
    q.add_argument(
        "--exchange-state", default=unset, help="paper: the simulated book's file (default: beside the journal)"
    )
    q.add_argument("--login-ms", type=_MS, default=unset, help="paper login latency (default 800)")
    q.add_argument("--latency-ms", type=_MS, default=unset, help="paper order latency (default 150)")
    q.add_argument("--query-ms", type=_MS, default=unset, help="paper book/query latency (default: half the order's)")
    q.add_argument("--jitter-ms", type=_MS, default=unset, help="paper: each call adds up to this much at random")
    q.add_argument("--seed", type=count(0, 2**31 - 1), default=unset, help="paper: the same seed, the same market")
    q.add_argument("--fault", type=fault, action="append", default=unset, metavar="KIND=RATE")
    q.add_argument("--reject-rate", type=number(0, 1), default=unset, help="paper: share of orders RMS rejects")
    q.add_argument("--funds", type=number(0, 1e12), default=unset, help="paper account's funds in rupees")
    q.add_argument(
        "--orders-per-s",
        type=count(1, ORDERS_PER_S, " (Kotak's limit per account)"),
        default=unset,
        help=f"paper: orders per rolling second, at most {ORDERS_PER_S}",
    )
    q.add_argument(
        "--time-scale",
        type=number(0.01, 1000),
        default=unset,
        help="paper exchange: its own order limit is multiplied by this; the account's governor keeps its limit",
    )
    q.add_argument(
        "--profile",
        choices=("realistic", "fast"),
        default=unset,
        help="paper exchange: a book that lags and MKT orders that may rest (realistic), or an instant one",
    )
    q.add_argument(
        "--paper-today", type=date.fromisoformat, default=unset, help="paper: rehearse this trading day (YYYY-MM-DD)"
    )


def settle_mode(args: argparse.Namespace) -> None:
    """Live mode takes no paper knob and only a timeout it can live with; paper mode gets each knob's default."""
    given = vars(args)
    if args.live:
        knobs = [f"--{name.replace('_', '-')}" for name in PAPER_ONLY if name in given]
        if knobs:
            raise Refused(f"{', '.join(knobs)}: paper exchange settings, refused with --live")
        if not args.yes_send_live_orders:
            raise Refused("live mode sends real orders: add --yes-send-live-orders to confirm")
        low, high = LIVE_TIMEOUT_S
        if not low <= args.timeout <= high:
            raise Refused(
                f"argument --timeout: live mode waits {low:g} to {high:g} s for a reply, got {args.timeout:g}"
            )
    for name, default in PAPER_ONLY.items():
        given.setdefault(name, list(default) if isinstance(default, list) else default)
