"""The commands behind `python -m execution`: wiring an engine (live, or the paper venue handed in), then run,
resume, exit, repair, reconcile, quotes, the chain, positions and cancel-open."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from ..clock import trading_day
from ..closing import positions_report
from ..engine import Engine, PaperWiring
from ..model import (
    Pacing,
    Plan,
    Pricing,
    Purpose,
    RunConfig,
)
from ..neo.live import live_engine
from ..neo.session import live_env
from ..outcome import Outcome
from ..planner import parse_leg
from ..planner import plan as make_plan
from .args import Refused
from .render import print_text, quote_json, report


def _engine(args: argparse.Namespace, paper: PaperWiring) -> Engine:
    """The live engine or a paper one, sharing the account's rate windows in the data folder; a folder, book or
    journal that cannot be used is one line."""
    folder = Path(args.journal).parent
    try:
        if args.live:
            engine = live_engine(_live_env(), args.journal, args.timeout)
            engine.share_rate_limits(folder)
            return engine
        engine = paper.engine(_exchange_options(args, folder), args.journal, args.timeout)
        engine.share_rate_limits(folder, orders_per_s=args.orders_per_s)
    except (OSError, sqlite3.Error) as exc:
        raise Refused(f"The data folder {folder} cannot be used: {getattr(exc, 'strerror', None) or exc}.") from None
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
        "state_path": args.exchange_state,
        "profile": args.profile,
        "today": args.paper_today,
    }
    if args.funds is not None:
        options["funds"] = args.funds
    return options


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
        pricing=_pricing(args),
    )


def _pricing(args: argparse.Namespace) -> Pricing:
    """The pricing flags, which `run` and `exit` share (each with its own defaults)."""
    return Pricing(
        mode=args.price,
        source=args.price_from,
        buffer_pct=args.buffer_pct,
        buffer_ticks=args.buffer_ticks,
        chase_s=args.chase_s,
        chase_steps=args.chase_steps,
        chase_step_pct=args.chase_step_pct,
        chase_max_pct=args.chase_max_pct,
        on_unfilled=args.on_unfilled,
    )


def execute(args: argparse.Namespace, paper: PaperWiring) -> int:
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
        run = engine.start(plan, again_of=args.again)
    elif args.command == "exit":
        engine = _engine(args, paper)
        plan = engine.exits.exit_plan(
            run_id=args.run,
            lots_per_batch=args.batch_lots,
            delay_s=args.delay,
            pacing=Pacing(args.pacing) if args.pacing else None,
            pricing=_pricing(args),
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
        print_text(out)
    return 0 if out["outcome"] == Outcome.CLEAN.value else 1


def _check_before_sending(engine: Engine, plan: Plan, *, ignore_funds: bool) -> None:
    """Prices inside the band and enough funds for the margin, or nothing is sent."""
    funds = engine.check_before_sending(plan, ignore_funds=ignore_funds)
    if funds is None:
        print("warning: no scrip master: margin and funds are not checked", file=sys.stderr)
    elif not funds.enough:
        print(f"warning: {funds.text} Sent anyway (--ignore-funds, paper).", file=sys.stderr)


def market_data(args: argparse.Namespace, paper: PaperWiring) -> int:
    """`quote` and `chain`: read-only, on the paper exchange unless --live."""
    engine = _engine(args, paper)
    if args.command == "quote":
        quotes = engine.quotes(args.symbols)
        rows = [{"symbol": symbol, **quote_json(q)} for symbol, q in quotes.items()]
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


def account(args: argparse.Namespace, paper: PaperWiring) -> int:
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
