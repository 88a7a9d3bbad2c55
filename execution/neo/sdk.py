"""The one place the SDK is imported, with its logging switched off completely.

execution/__init__ turns off the SDK's file and console handlers before this import. The SDK also runs its
structlog processors (censoring, formatting) on every call even when no handler would write the result; a
filtering logger drops each call at once, so no SDK log record is ever built, and none can carry a token.
"""

import logging

import structlog
from neo_api_client import NeoAPI
from neo_api_client.exceptions import ApiValueError

__all__ = ["ApiValueError", "NeoAPI"]

# CRITICAL is the highest level structlog filters at; the SDK logs nothing that high, and its handlers are off.
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
