"""Headless entry point: `python -m execution run ...` places a batched run and prints what happened."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx

from .clock import trading_day
from .closing import positions_report
from .engine import Engine
from .errors import NothingToDo, PlanError, TraderError
from .fills import fills, order_slippage
from .governor import ORDERS_PER_S
from .instruments import BUNDLED, next_weekday, parse_symbol, weekly_symbol
from .journal import DEFAULT_PATH, PAPER_BOOK, data_dir
from .model import (
    Mode,
    OnLegFailure,
    OnUnfilled,
    OrderEvent,
    OrderResult,
    Pacing,
    Plan,
    PriceFrom,
    PriceMode,
    Pricing,
    Purpose,
    RunConfig,
    RunResult,
    decimal,
    digits,
    whole_number,
)
from .outcome import Outcome, summarize
from .planner import parse_leg, seconds
from .planner import plan as make_plan
from .presets import REFERENCE_LEVEL, Preset, preset_legs
from .quotes import Quote
from .session import live_env

T = TypeVar("T")
N = TypeVar("N", int, float)


class _Refused(TraderError):
    """Bad command-line input."""


@dataclass(frozen=True)
class PaperWiring:
    """What the command line needs of the paper exchange. `python -m execution` hands it in, so no engine module
    imports the paper exchange."""

    fault_kinds: tuple[str, ...]
    # (exchange options, journal path, timeout) -> an engine on a fresh paper exchange; the command line then
    # gives it the account's shared rate windows
    engine: Callable[[dict[str, Any], str, float], Engine]


def _fault_parser(kinds: tuple[str, ...]) -> Callable[[str], tuple[str, float]]:
    rate = _number(0.0, 1.0)

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


def _number(low: float, high: float) -> Callable[[str], float]:
    """A finite number written plainly (no NaN, infinity, exponent or underscore) from `low` to `high`."""
    return _ranged(decimal, low, high, "a plain number such as 2.5")


def _count(low: int, high: int, why: str = "") -> Callable[[str], int]:
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
        raise _Refused(message)


_STRUCTURES = {"strangle": Preset.STRANGLE, "straddle": Preset.STRADDLE, "iron-condor": Preset.IRON_CONDOR}
_MS = _number(0.0, 60_000.0)
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
    "crash_after": None,
    "crash_order": 1,
    "paper_today": None,
    "ignore_funds": False,
}
LIVE_TIMEOUT_S = (1.0, 60.0)  # a reply slower than a minute is a dead connection; under a second, a false alarm


def _parser(paper: PaperWiring) -> argparse.ArgumentParser:
    p = _Parser(prog="python -m execution", description="Batched multi-leg option orders on Kotak Neo.")
    sub = p.add_subparsers(dest="command", required=True)
    symbols = sub.add_parser("symbols", help="print live example contracts, built from today's date")
    symbols.add_argument("underlying", choices=sorted(BUNDLED))
    symbols.add_argument(
        "--legs", choices=sorted(_STRUCTURES), help="print a structure's legs as --leg arguments for `run`"
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
    chain.add_argument("--strikes", type=_count(1, 50), default=10, help="strikes either side of the money")
    positions = sub.add_parser("positions", help="net lots, average, LTP and P&L per contract, and which run opened it")
    close = sub.add_parser("exit", help="close positions in batches: shorts are bought back before hedges are sold")
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
    run.add_argument("--on-leg-failure", choices=[m.value for m in OnLegFailure], default="continue")
    run.add_argument("--hedge-first", action="store_true")
    run.add_argument(
        "--hedge-wait",
        type=_planned(seconds, "Hedge fill wait"),
        default=10.0,
        help="hedge-first: seconds the BUY legs may take to fill",
    )
    run.add_argument("--login-per-order", action="store_true", help="the seed's baseline: log in for every order")
    run.add_argument("--price", choices=[m.value for m in PriceMode], default="market")
    run.add_argument("--price-from", choices=[m.value for m in PriceFrom], default="mid")
    buffer = run.add_mutually_exclusive_group()
    buffer.add_argument("--buffer-pct", type=_number(0, 100), default=1.0, help="limit: %% beyond the quote's price")
    buffer.add_argument("--buffer-ticks", type=_count(0, 100), default=0, help="limit: ticks beyond the quote's price")
    run.add_argument("--chase-s", type=_number(0, 3600), default=2.0, help="limit: seconds before a step")
    run.add_argument("--chase-steps", type=_count(0, 100), default=3, help="limit: steps at most (0: not chased)")
    run.add_argument("--chase-step-pct", type=_number(0, 100), default=1.0)
    run.add_argument("--chase-max-pct", type=_number(0, 100), default=5.0, help="limit: furthest from the first price")
    run.add_argument("--on-unfilled", choices=[m.value for m in OnUnfilled], default="cancel")
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
        type=_number(0.1, LIVE_TIMEOUT_S[1]),
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
    q.add_argument("--seed", type=_count(0, 2**31 - 1), default=unset, help="paper: the same seed, the same market")
    q.add_argument("--fault", type=fault, action="append", default=unset, metavar="KIND=RATE")
    q.add_argument("--reject-rate", type=_number(0, 1), default=unset, help="paper: share of orders RMS rejects")
    q.add_argument("--funds", type=_number(0, 1e12), default=unset, help="paper account's funds in rupees")
    q.add_argument(
        "--orders-per-s",
        type=_count(1, ORDERS_PER_S, " (Kotak's limit per account)"),
        default=unset,
        help=f"paper: orders per rolling second, at most {ORDERS_PER_S}",
    )
    q.add_argument(
        "--time-scale",
        type=_number(0.01, 1000),
        default=unset,
        help="paper exchange: its own order limit is multiplied by this; the account's governor keeps its limit",
    )
    q.add_argument(
        "--profile",
        choices=("realistic", "fast"),
        default=unset,
        help="paper exchange: a book that lags and MKT orders that may rest (realistic), or an instant one",
    )
    q.add_argument("--crash-after", choices=("intent", "send", "disk-full"), default=unset, help=argparse.SUPPRESS)
    q.add_argument("--crash-order", type=_count(1, 10**6), default=unset, help=argparse.SUPPRESS)
    q.add_argument(
        "--paper-today", type=date.fromisoformat, default=unset, help="paper: rehearse this trading day (YYYY-MM-DD)"
    )


def _settle_mode(args: argparse.Namespace) -> None:
    """Live mode takes no paper knob and only a timeout it can live with; paper mode gets each knob's default."""
    given = vars(args)
    if args.live:
        knobs = [f"--{name.replace('_', '-')}" for name in PAPER_ONLY if name in given]
        if knobs:
            raise _Refused(f"{', '.join(knobs)}: paper exchange settings, refused with --live")
        if not args.yes_send_live_orders:
            raise _Refused("live mode sends real orders: add --yes-send-live-orders to confirm")
        low, high = LIVE_TIMEOUT_S
        if not low <= args.timeout <= high:
            raise _Refused(
                f"argument --timeout: live mode waits {low:g} to {high:g} s for a reply, got {args.timeout:g}"
            )
    for name, default in PAPER_ONLY.items():
        given.setdefault(name, list(default) if isinstance(default, list) else default)


def symbols_text(underlying: str, legs: str | None, today: date) -> str:
    """Live contracts from today's date: a structure's legs as `run` arguments, or a few examples to copy."""
    if legs:
        return " ".join(f"--leg {leg.symbol}:{leg.side}" for leg in preset_legs(_STRUCTURES[legs], underlying, today))
    u = BUNDLED[underlying]
    level = REFERENCE_LEVEL[underlying]
    examples = [leg.symbol for leg in preset_legs(Preset.STRADDLE, underlying, today)]
    examples += [
        weekly_symbol(underlying, next_weekday(today, u.expiry_weekday), level, right) for right in ("CE", "PE")
    ]
    lines = []
    for symbol in examples:
        parsed = parse_symbol(symbol)
        kind = "weekly" if parsed.weekly else "monthly"
        lines.append(
            f"{symbol:<24} {kind:<8} expires {parsed.expiry:%a %d %b %Y}, lot {u.lot_size}, freeze {u.freeze_qty} units"
        )
    return "\n".join(lines)


class _CrashAfterSend(httpx.BaseTransport):
    """Test hook: the exchange books the Nth order, then this process dies before reading the reply."""

    def __init__(self, inner: httpx.BaseTransport, nth: int) -> None:
        self.inner, self.nth, self.seen = inner, nth, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/place"):
            self.seen += 1
            if self.seen == self.nth:
                os._exit(137)
        return response


def _engine(args: argparse.Namespace, paper: PaperWiring) -> Engine:
    """The live engine or a paper one, sharing the account's rate windows in the data folder; a folder, book or
    journal that cannot be used is one line."""
    folder = Path(args.journal).parent
    try:
        if args.live:
            engine = Engine.live_mode(_live_env(), args.journal, args.timeout)
            engine.share_rate_limits(folder)
            return engine
        engine = paper.engine(_exchange_options(args, folder), args.journal, args.timeout)
        engine.share_rate_limits(folder, orders_per_s=args.orders_per_s)
    except (OSError, sqlite3.Error) as exc:
        raise _Refused(f"The data folder {folder} cannot be used: {getattr(exc, 'strerror', None) or exc}.") from None
    if args.crash_after == "send":
        engine.session.transport = _CrashAfterSend(engine.session.transport, args.crash_order)
    return engine


def _live_env() -> dict[str, str | None]:
    env, warning = live_env()
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return env


def _exchange_options(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    options = {
        "login_ms": args.login_ms,
        "order_ms": args.latency_ms,
        "query_ms": args.latency_ms / 2 if args.query_ms is None else args.query_ms,
        "jitter_ms": args.jitter_ms,
        "seed": args.seed,
        "reject_rate": args.reject_rate,
        "orders_per_s": args.orders_per_s * args.time_scale,
        "faults": dict(args.fault),
        "state_path": args.exchange_state or str(folder / PAPER_BOOK),
        "profile": args.profile,
        "today": args.paper_today,
    }
    if args.funds is not None:
        options["funds"] = args.funds
    return options


def _event_json(e: OrderEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "wall": round(e.wall, 6),
        "status": e.status.value,
        "source": e.source.value,
        "filled_qty": e.filled_qty,
        "order_id": e.order_no,
        "price": e.price,
        "note": e.note,
    }


def _order_json(o: OrderResult, events: tuple[OrderEvent, ...]) -> dict[str, Any]:
    return {
        "batch": o.batch,
        "leg": o.leg,
        "symbol": o.symbol,
        "side": o.side.value,
        "lots": o.lots,
        "quantity": o.quantity,
        "tag": o.tag,
        "order_id": o.order_no,
        "status": o.status.value,
        "filled_qty": o.filled_qty,
        "avg_price": o.avg_price,
        "price": o.price,
        "arrival_mid": o.arrival_mid,
        "slippage": order_slippage(o),
        "modifies": o.modifies,
        "attempts": o.attempts,
        "latency_ms": None if o.latency_ms is None else round(o.latency_ms, 3),
        "error": o.error,
        "events": [_event_json(e) for e in events],
    }


def report(result: RunResult, engine: Engine) -> dict[str, Any]:
    """What `run --json` prints: the run, each order with its history, and (paper) the exchange's own book."""
    tags = {o.tag for o in result.orders}
    events = engine.journal.events(result.run_id)
    journalled = engine.journal.orders(result.run_id) or list(result.orders)
    summary = summarize(result.config, result.state, journalled)
    filled = fills(journalled)
    book = (
        None
        if engine.exchange is None
        else [
            {
                "tag": r["GuiOrdId"],
                "symbol": r["trdSym"],
                "quantity": r["qty"],
                "order_id": r["nOrdNo"],
                "status": r["ordSt"],
            }
            for r in engine.exchange.book()
            if r["GuiOrdId"] in tags
        ]
    )
    return {
        "run_id": result.run_id,
        "outcome": summary.outcome.value,
        "headline": summary.headline,
        "exposure": [
            {"underlying": e.underlying, "naked_short_lots": e.naked_short, "extra_long_lots": e.extra_long}
            for e in summary.exposure
        ],
        "legs": [
            {
                "leg": g.leg,
                "symbol": g.symbol,
                "side": g.side.value,
                "lot_size": g.lot_size,
                "lots": {
                    "planned": g.planned,
                    "placed": g.placed,
                    "filled": g.filled,
                    "open": g.open,
                    "rejected": g.rejected,
                    "not_sent": g.not_sent,
                },
            }
            for g in summary.legs
        ],
        "net_premium": filled.net_premium,
        "slippage_total": filled.slippage_total,
        "fills": [
            {
                "leg": g.leg,
                "symbol": g.symbol,
                "side": g.side.value,
                "filled_qty": g.filled_units,
                "avg_price": g.avg_price,
                "premium": g.premium,
                "slippage": g.slippage,
            }
            for g in filled.legs
        ],
        "pricing": result.config.pricing.text,
        "state": result.state.value,
        "mode": result.config.mode.value,
        "pacing": result.config.pacing.value,
        "delays": [round(d, 6) for d in result.delays],
        "batches": len({o.batch for o in result.orders}),
        "logins": result.logins,
        "wall_s": round(result.wall_s, 6),
        "warnings": list(result.warnings),
        "orders": [_order_json(o, events.get(o.tag, ())) for o in result.orders],
        "exchange_book": book,
    }


def _print_text(out: dict[str, Any]) -> None:
    """The orders, then the outcome in lots per leg; warnings on standard error."""
    for o in out["orders"]:
        print(
            f"batch {o['batch']:>3} leg {o['leg']} {o['side']} {o['symbol']:<22} {o['quantity']:>6} "
            f"{o['status']:<9} {o['order_id'] or '-':<16} {o['latency_ms'] or 0:8.1f} ms {o['error'] or ''}"
        )
    print(out["headline"])
    slip = "not measured" if out["slippage_total"] is None else f"₹{out['slippage_total']:,.2f}"
    kind = "credit" if out["net_premium"] >= 0 else "debit"
    print(f"net {kind} ₹{abs(out['net_premium']):,.2f}, slippage {slip} against the mid at each batch's send")
    print(f"{out['batches']} batches, {out['logins']} login(s), {out['wall_s']:.3f} s")
    for w in out["warnings"]:
        print(f"warning: {w}", file=sys.stderr)


def _crash_hook(args: argparse.Namespace, engine: Engine) -> Callable[[str], None] | None:
    """Test hooks: after the Nth intent is journalled, before that order is sent, this process dies, or its
    disk fills up."""
    if args.crash_after not in ("intent", "disk-full"):
        return None
    count = iter(range(1, 10**9))

    def hook(tag: str) -> None:
        if next(count) != args.crash_order:
            return
        if args.crash_after == "intent":
            os._exit(137)
        engine.journal.fill_disk()

    return hook


def _run_config(args: argparse.Namespace) -> RunConfig:
    """What `run` was asked for, as the planner takes it."""
    return RunConfig(
        legs=tuple(parse_leg(text) for text in args.leg),
        total_lots=args.lots,
        lots_per_batch=args.batch_lots,
        delay_s=args.delay,
        mode=args.mode,
        pacing=args.pacing,
        delay_max_s=args.delay_max,
        hedge_first=args.hedge_first,
        on_leg_failure=args.on_leg_failure,
        login_per_order=args.login_per_order,
        hedge_wait_s=args.hedge_wait,
        pricing=Pricing(
            mode=args.price,
            source=args.price_from,
            buffer_pct=args.buffer_pct,
            buffer_ticks=args.buffer_ticks,
            chase_s=args.chase_s,
            chase_steps=args.chase_steps,
            chase_step_pct=args.chase_step_pct,
            chase_max_pct=args.chase_max_pct,
            on_unfilled=args.on_unfilled,
        ),
    )


def _execute(args: argparse.Namespace, paper: PaperWiring) -> int:
    if args.command == "run":
        config = _run_config(args)
        # malformed input is refused before anything is opened
        make_plan(config, today=args.paper_today or trading_day())
        engine = _engine(args, paper)
        master = engine.scrip_master()
        if master.warning:
            print(f"warning: {master.warning}", file=sys.stderr)
        plan = engine.plan(config)
        _check_before_sending(engine, plan, ignore_funds=args.ignore_funds)
        run = engine.start(plan, after_intent=_crash_hook(args, engine), again_of=args.again)
    elif args.command == "exit":
        engine = _engine(args, paper)
        plan = engine.exit_plan(
            run_id=args.run,
            lots_per_batch=args.batch_lots,
            delay_s=args.delay,
            pacing=Pacing(args.pacing) if args.pacing else None,
        )
        run = engine.start(plan)
    elif args.command == "repair":
        engine = _engine(args, paper)
        run = engine.start(engine.repair_plan(args.run_id, Purpose(args.how)))
    else:
        engine = _engine(args, paper)
        run = engine.resume(args.run_id, new_day=args.new_day)
    result = run.wait()
    out = report(result, engine)
    if args.json:
        print(json.dumps(out))
    else:
        _print_text(out)
    return 0 if out["outcome"] == Outcome.CLEAN.value else 1


def _check_before_sending(engine: Engine, plan: Plan, *, ignore_funds: bool) -> None:
    """Prices inside the band and enough funds for the margin, or nothing is sent."""
    funds = engine.check_before_sending(plan, ignore_funds=ignore_funds)
    if funds is None:
        print("warning: no scrip master: margin and funds are not checked", file=sys.stderr)
    elif not funds.enough:
        print(f"warning: {funds.text} Sent anyway (--ignore-funds, paper).", file=sys.stderr)


def _market_data(args: argparse.Namespace, paper: PaperWiring) -> int:
    """`quote` and `chain`: read-only, on the paper exchange unless --live."""
    engine = _engine(args, paper)
    if args.command == "quote":
        quotes = engine.quotes(args.symbols)
        rows = [{"symbol": symbol, **_quote_json(q)} for symbol, q in quotes.items()]
        out: dict[str, Any] = {"quotes": rows}
        lines = [
            f"{r['symbol']:<24} ltp {r['ltp']:>10.2f}  bid {r['bid'] or 0:>10.2f}  ask {r['ask'] or 0:>10.2f}  "
            f"band {r['low'] or 0:.2f}-{r['high'] or 0:.2f}  oi {r['oi']}"
            for r in rows
        ]
    else:
        expiry, spot, chain = engine.chain(args.underlying, args.expiry, args.strikes)
        out = {"underlying": args.underlying, "expiry": expiry.isoformat(), "spot": spot, "rows": []}
        for c in chain:
            out["rows"].append(
                {
                    "symbol": c.symbol,
                    "strike": c.strike,
                    "right": c.right,
                    "ltp": c.ltp,
                    "bid": c.bid,
                    "ask": c.ask,
                    "oi": c.oi,
                    "low": c.low,
                    "high": c.high,
                }
            )
        lines = [f"{args.underlying} {expiry:%d %b %Y}, spot {spot:.2f}"] + [
            f"{r['strike']:>9.0f} {r['right']}  {r['symbol']:<24} ltp {r['ltp']:>9.2f}  bid {r['bid'] or 0:>9.2f}  "
            f"ask {r['ask'] or 0:>9.2f}  oi {r['oi']}"
            for r in out["rows"]
        ]
    print(json.dumps(out) if args.json else "\n".join(lines))
    return 0


def _account(args: argparse.Namespace, paper: PaperWiring) -> int:
    """`positions` and `cancel-open`: exit 1 when a hedge is broken or an order is still working after the cancel."""
    engine = _engine(args, paper)
    if args.command == "positions":
        out, lines = positions_report(engine)
        bad = bool(out["hedge_breaks"])
    else:
        sent = engine.cancel_open(args.run)
        left = [o for o in engine.journal.orders(args.run) if o.status.active]
        out = {"run_id": args.run, "cancels_sent": sent, "still_open": [o.tag for o in left]}
        lines = [f"{sent} cancels sent; {len(left)} orders of {args.run} still open or unknown"]
        bad = bool(left)
    print(json.dumps(out) if args.json else "\n".join(lines))
    return 1 if bad else 0


def _quote_json(q: Quote) -> dict[str, Any]:
    return {
        "ltp": q.ltp,
        "bid": q.bid,
        "ask": q.ask,
        "mid": q.mid,
        "low": q.low,
        "high": q.high,
        "oi": q.oi,
        "depth": {"buy": [list(level) for level in q.bids], "sell": [list(level) for level in q.asks]},
    }


def main(argv: Sequence[str] | None = None, *, paper: PaperWiring) -> int:
    """Exit 0 when every order filled, 1 when any did not, 2 for bad input (then nothing is sent)."""
    try:
        args = _parser(paper).parse_args(argv)
        if args.command != "symbols":
            _settle_mode(args)
        if args.command == "symbols":
            print(symbols_text(args.underlying, args.legs, trading_day()))
            return 0
        if args.command in ("quote", "chain"):
            return _market_data(args, paper)
        if args.command in ("positions", "cancel-open"):
            return _account(args, paper)
        return _execute(args, paper)
    except NothingToDo as exc:  # an exit or repair already done: nothing is sent, and that is not an error
        print(json.dumps({"nothing_to_do": str(exc)}) if getattr(args, "json", False) else str(exc))
        return 0
    except TraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
