"""Headless entry point: `python -m execution run ...` places a batched run and prints what happened.

`args` parses and checks the command line, `commands` wires an engine and runs each command, `render` prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from ..clock import trading_day
from ..engine import PaperWiring
from ..errors import NothingToDo, TraderError
from .args import parser, settle_mode
from .commands import account, execute, market_data
from .render import symbols_text

__all__ = ["PaperWiring", "main"]


def main(argv: Sequence[str] | None = None, *, paper: PaperWiring) -> int:
    """Exit 0 when every order filled, 1 when any did not, 2 for bad input (then nothing is sent)."""
    try:
        args = parser(paper).parse_args(argv)
        if args.command != "symbols":
            settle_mode(args)
        if args.command == "symbols":
            print(symbols_text(args.underlying, args.legs, trading_day()))
            return 0
        if args.command in ("quote", "chain"):
            return market_data(args, paper)
        if args.command in ("positions", "cancel-open"):
            return account(args, paper)
        return execute(args, paper)
    except NothingToDo as exc:  # an exit or repair already done: nothing is sent, and that is not an error
        print(json.dumps({"nothing_to_do": str(exc)}) if getattr(args, "json", False) else str(exc))
        return 0
    except TraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
