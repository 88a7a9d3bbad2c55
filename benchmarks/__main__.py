"""`python -m benchmarks` (or `make bench`): the seed table, scaling, overhead, memory and ETA, with verdicts.

Writes benchmarks/results/results.md, results.html and, when kaleido can render offline, results.png; slippage.md;
network.md (idle batches over HTTPS, and confirming fills by the order feed against polling).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

from execution.clock import trading_day

from .confirm import feed_against_polling
from .confirm import markdown as confirm_markdown
from .confirm import verdicts as confirm_verdicts
from .first_send import first_send
from .harness import Scale, tempdir, warm_up
from .network import RTTS_MS, idle_batches
from .network import markdown as network_markdown
from .network import verdicts as network_verdicts
from .report import Results, goals, seed_markdown, write
from .scaling import batches_sweep, footprints, legs_speedup, overhead
from .seed import governed_eta, seed_table
from .slippage import SIZES, measure, rises
from .slippage import markdown as slippage_markdown


def step(name: str) -> None:
    print(f"… {name}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--factor", type=float, default=100.0, help="divide the seed's times by this (default 100)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each seed case; the median is reported")
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--quick", action="store_true", help="small sizes, for checking the benchmark code itself")
    args = ap.parse_args(argv)
    scale, folder = Scale(args.factor, args.jitter_ms), tempdir()

    warm_up(scale, folder)
    step("seed table")
    seed, calibration = seed_table(scale, folder, args.repeats)
    step("legs per batch")
    legs = legs_speedup(scale, folder, batches=4 if args.quick else 10)
    step("batches")
    batches = batches_sweep(scale, folder, (1, 2, 5) if args.quick else (1, 2, 5, 10, 20, 50, 100, 200))
    step("overhead per order")
    cost = overhead(folder, 50 if args.quick else 500)
    step("growth with orders")
    sizes = (25, 50, 100) if args.quick else (1_000, 2_500, 5_000, 10_000)
    grown = footprints(sizes)
    step("ETA at the account's order limit")
    governed = governed_eta(scale, folder, calibration)
    step("the first batch against a 300 ms quote read")
    first = first_send(folder, runs=2 if args.quick else 5)
    step("a batch after an idle delay, over HTTPS, cold and warm")
    idle = idle_batches(folder, (20.0,) if args.quick else RTTS_MS, batches=2 if args.quick else 6)
    step("confirming fills: the order feed against polling the book")
    confirmed = feed_against_polling(folder, batches=4 if args.quick else 10)
    step("slippage against batch size")
    slipped = measure(folder, (5, 10) if args.quick else SIZES, lots=10 if args.quick else 167)

    command = "python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    res = Results(
        command,
        trading_day().isoformat(),
        machine,
        args.factor,
        seed,
        calibration,
        legs,
        batches,
        cost,
        grown,
        governed,
        first,
    )
    # Rendering the PNG starts a browser: seconds that a quick run, which checks the benchmark's own code, spares.
    written, why_no_png = write(res, args.out, png=not args.quick)
    slippage_md = args.out / "slippage.md"
    slippage_md.write_text(slippage_markdown(slipped))
    network_md = args.out / "network.md"
    network_md.write_text(network_markdown(idle) + "\n" + confirm_markdown(confirmed))
    written += [slippage_md, network_md]
    print(seed_markdown(res), end="\n\n")
    print(slippage_markdown(slipped))
    print(network_markdown(idle))
    print(confirm_markdown(confirmed))
    slipping = ", ".join(f"{r.lots_per_batch} lots {r.slippage_pct:.3f} %" for r in slipped)
    verdicts = [
        *goals(res),
        ("larger batches slip more in the same seeded market", slipping, rises(slipped)),
        *network_verdicts(idle),
        *confirm_verdicts(confirmed),
    ]
    for goal, measured, met in verdicts:
        print(f"{'met   ' if met else 'MISSED'}  {goal}: {measured}")
    print("\nwrote " + ", ".join(str(p) for p in written) + (f"; {why_no_png}" if why_no_png else ""))
    return 0 if all(met for _, _, met in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
