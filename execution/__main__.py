"""`python -m execution`: the command line. This entry point is where the paper exchange is wired in; no engine
module imports it."""

import sys

from paper.wiring import COMMAND_LINE

from .cli import main

sys.exit(main(paper=COMMAND_LINE))
