"""Batch execution engine for Kotak Neo: plain Python, no UI code."""

import os

# The SDK writes ./logs/ on import and logs session tokens in full at INFO; silence it before
# anything imports neo_api_client. Assigned, not defaulted, so a stray env var cannot re-enable it.
os.environ["NEO_LOG_FILE_ENABLED"] = "false"
os.environ["NEO_LOG_LEVEL"] = "NOLOG"
