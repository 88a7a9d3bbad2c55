"""The seed's 167-lot plan five ways, against the physical limit, and the ETA's error on each."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp

from execution.clock import sleep_until
from execution.governor import Governor
from execution.model import Mode, Pacing, RunConfig, RunResult
from execution.neo.sdk import NeoAPI
from execution.planner import Latency, estimate_seconds, plan
from paper.exchange import PaperExchange
from paper.wiring import paper_engine

from .harness import (
    SEED_DELAY_S,
    SEED_LOGIN_S,
    SEED_LOTS,
    SEED_ORDER_S,
    SEED_PER_BATCH,
    Scale,
    engine,
    exchange_config,
    ideal_s,
    run,
    strikes,
)


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    mode: Mode
    pacing: Pacing = Pacing.GAP
    login_per_order: bool = False
    logged_in: bool = False  # the session was opened before the run (earlier in the day)

    def config(self, scale: Scale) -> RunConfig:
        return RunConfig(
            legs=strikes(2),
            total_lots=SEED_LOTS,
            lots_per_batch=SEED_PER_BATCH,
            delay_s=scale.s(SEED_DELAY_S),
            mode=self.mode,
            pacing=self.pacing,
            login_per_order=self.login_per_order,
        )


CASES = (
    Case("a", "sequential, a fresh login per order (the seed's before)", Mode.SEQUENTIAL, login_per_order=True),
    Case("b", "sequential, one session", Mode.SEQUENTIAL),
    Case("c", "parallel legs, gap pacing (the seed's after)", Mode.PARALLEL),
    Case("d", "parallel legs, cadence pacing", Mode.PARALLEL, Pacing.CADENCE),
    Case("e", "parallel legs, cadence pacing, session already open", Mode.PARALLEL, Pacing.CADENCE, logged_in=True),
)


@dataclass(frozen=True)
class SeedRow:
    case: Case
    measured_s: float  # median over the repeats
    ideal_s: float
    logins: int
    eta_s: float  # the engine's estimate from the calibrated latencies
    in_sends_s: float  # of measured - ideal, the part inside the sends (median over the repeats)
    sdk_alone_s: float | None  # the same calls made by a bare loop with no engine (sequential cases only)

    @property
    def vs_ideal(self) -> float:
        return self.measured_s / self.ideal_s

    @property
    def sdk_alone_vs_ideal(self) -> float | None:
        return None if self.sdk_alone_s is None else self.sdk_alone_s / self.ideal_s

    @property
    def eta_error(self) -> float:
        return abs(self.eta_s - self.measured_s) / self.measured_s


def in_sends(result: RunResult, login_s: float, order_s: float) -> float:
    """The time spent inside the sends beyond the exchange's latency: the SDK's own work, the wake-up after each
    reply and, for parallel legs, their wait for the interpreter lock. Cadence hides all but the last batch."""
    c = result.config
    per_order = order_s + (login_s if c.login_per_order else 0.0)
    batches = result.batches[-1:] if c.pacing is Pacing.CADENCE else result.batches
    total = 0.0
    for b in batches:
        legs = [o for o in result.orders if o.batch == b.number]
        if c.mode is Mode.SEQUENTIAL:
            total += sum((o.latency_ms or 0.0) / 1000 - per_order for o in legs)
        else:
            total += max(o.ack_mono or 0.0 for o in legs) - min(o.submit_mono or 0.0 for o in legs) - per_order
    return total


def sdk_alone(exchange: PaperExchange, config: RunConfig) -> float:
    """The floor under a sequential run: its SDK calls in a bare loop, with no journal, executor, session or
    governor, and the TOTP worked out beforehand. Seconds from the first login to the last acknowledgement, as a
    run's wall time is."""
    creds, p = exchange.credentials, plan(config)
    code = pyotp.TOTP(creds.totp_secret).now()

    def login() -> NeoAPI:
        client = NeoAPI(consumer_key=creds.consumer_key, environment="prod", transport=exchange, timeout=30)
        client.totp_login(mobile_number=creds.mobile_number, ucc=creds.ucc, totp=code)
        client.totp_validate(mpin=creds.mpin)
        return client

    start = end = time.monotonic()
    client: NeoAPI | None = None if config.login_per_order else login()
    for batch in p.batches:
        if batch.number > 1:
            sleep_until(end + config.delay_s)
        for order in batch.orders:
            leg = order.leg_spec
            if client is None or config.login_per_order:
                client = login()
            reply = client.place_order(
                exchange_segment=leg.segment.value,
                product=leg.product.value,
                price="0",
                order_type=leg.order_type.value,
                quantity=str(order.quantity),
                validity="DAY",
                trading_symbol=leg.symbol,
                transaction_type=leg.side.value,
                tag=f"alone-{batch.number}-{order.leg}",
            )
            if reply.get("stat") != "Ok":
                raise RuntimeError(f"the bare loop's order was refused: {reply}")
        end = time.monotonic()
    return end - start


def calibrate(scale: Scale, folder: Path, samples: int = 5) -> Latency:
    """Measure what the ETA needs on the exchange as the client sees it: a login and one order's round trip."""
    logins, orders = [], []
    for _ in range(samples):
        eng = engine(scale, folder, SEED_LOGIN_S, SEED_ORDER_S)
        start = time.monotonic()
        eng.session.client()
        logins.append(time.monotonic() - start)
        result = run(eng, RunConfig(legs=strikes(2), total_lots=2, lots_per_batch=1, delay_s=0.0, mode=Mode.SEQUENTIAL))
        orders += [(o.latency_ms or 0.0) / 1000.0 for o in result.orders]
    return Latency(statistics.median(logins), statistics.median(orders))


def seed_table(scale: Scale, folder: Path, repeats: int) -> tuple[list[SeedRow], Latency]:
    """Each case `repeats` times, interleaved so that drift in the machine spreads over all of them."""
    walls: dict[str, list[float]] = {c.key: [] for c in CASES}
    sends: dict[str, list[float]] = {c.key: [] for c in CASES}
    alone: dict[str, list[float]] = {c.key: [] for c in CASES if c.mode is Mode.SEQUENTIAL}
    logins: dict[str, int] = {}
    for _ in range(repeats):
        for case in CASES:
            result = run(engine(scale, folder, SEED_LOGIN_S, SEED_ORDER_S), case.config(scale), case.logged_in)
            walls[case.key].append(result.wall_s)
            sends[case.key].append(in_sends(result, scale.s(SEED_LOGIN_S), scale.s(SEED_ORDER_S)))
            logins[case.key] = result.logins
            if case.key in alone:
                exchange = PaperExchange(exchange_config(scale, SEED_LOGIN_S, SEED_ORDER_S))
                alone[case.key].append(sdk_alone(exchange, case.config(scale)))
    measured = calibrate(scale, folder)
    rows = []
    for case in CASES:
        p = plan(case.config(scale))
        login_s = 0.0 if case.logged_in else scale.s(SEED_LOGIN_S)
        eta = estimate_seconds(
            p,
            Latency(0.0 if case.logged_in else measured.login_s, measured.order_s),
            orders_per_s=scale.governor().orders_per_s,
        )
        rows.append(
            SeedRow(
                case,
                statistics.median(walls[case.key]),
                ideal_s(p, login_s, scale.s(SEED_ORDER_S)),
                logins[case.key],
                eta,
                statistics.median(sends[case.key]),
                statistics.median(alone[case.key]) if case.key in alone else None,
            )
        )
    return rows, measured


@dataclass(frozen=True)
class GovernedEta:
    """Four legs with no delay, held to the account's real 10 orders a second: the ETA against the run."""

    measured_s: float
    eta_s: float

    @property
    def error(self) -> float:
        return abs(self.eta_s - self.measured_s) / self.measured_s


def governed_eta(scale: Scale, folder: Path, calibration: Latency) -> GovernedEta:
    """The seed's 167 lots in batches of 20, as a four-leg condor-like plan with delay 0: 36 orders that the
    governor, not the exchange, paces (the order window here is the account's own second, not a scaled one)."""
    config = RunConfig(legs=strikes(4), total_lots=SEED_LOTS, lots_per_batch=SEED_PER_BATCH, delay_s=0.0)
    eng = paper_engine(
        exchange_config(scale, SEED_LOGIN_S, SEED_ORDER_S),
        folder / f"governed-{time.monotonic_ns()}.sqlite",
        governor=Governor(limit=10, window_s=1.0),
        reads=scale.reads(),
        timeout_s=30,
    )
    result = run(eng, config)
    return GovernedEta(result.wall_s, estimate_seconds(plan(config), calibration, orders_per_s=10.0))
