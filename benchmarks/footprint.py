"""`python -m benchmarks.footprint N`: one N-order run in this fresh process; prints its time and peak RSS as JSON."""

from __future__ import annotations

import json
import resource
import sys
from dataclasses import asdict

import psutil

from execution.model import RunConfig

from .harness import Scale, engine, run, strikes, tempdir
from .scaling import Footprint


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main(orders: int) -> Footprint:
    eng = engine(Scale(factor=100_000.0), tempdir(), 0.0, 0.0)
    start = _rss_mb()
    result = run(eng, RunConfig(legs=strikes(2), total_lots=orders // 2, lots_per_batch=1, delay_s=0.0))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return Footprint(len(result.orders), result.wall_s, start, _rss_mb(), peak)


if __name__ == "__main__":
    print(json.dumps(asdict(main(int(sys.argv[1])))))
