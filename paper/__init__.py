"""The paper exchange: a venue of its own that speaks Neo's wire format behind the SDK's transport hook.

The engine (execution/) never imports this package; the command line and the dashboard wire it in.
"""

from .exchange import FAULT_KINDS, ExchangeConfig, PaperCredentials, PaperExchange, fast

__all__ = ["FAULT_KINDS", "ExchangeConfig", "PaperCredentials", "PaperExchange", "fast"]
