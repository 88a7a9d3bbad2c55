# Imported before any test module: execution/__init__ silences the SDK's file and console logging, which must
# happen before the first `import neo_api_client`, and execution.sdk turns its structlog calls into no-ops.
import execution.sdk  # noqa: F401
