"""A run of a plan: its lifecycle (`Run`) and the parts it works through: the batch loop and its legs, confirmation
from the order feed and the book, the chase, and Resume's rules."""

from .confirm import CHECKING_BOOK
from .days import earlier_day, never_left, on_day
from .lifecycle import Progress, Run
from .shared import Event
from .tags import new_run_id, tag_for

__all__ = ["CHECKING_BOOK", "Event", "Progress", "Run", "earlier_day", "never_left", "new_run_id", "on_day", "tag_for"]
