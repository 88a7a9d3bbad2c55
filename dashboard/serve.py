"""Start the dashboard: `python -m dashboard.serve [--port N]`, Streamlit's own server with a host check in front.

The server binds to 127.0.0.1, but a page on another site can still reach it by DNS rebinding: its name resolves to
127.0.0.1 and the browser sends that name as Host, and as the Origin of the websocket, which Streamlit's same-origin
check then accepts. So any request, HTTP or websocket, whose Host is not 127.0.0.1 or localhost on the port the
server listens on is refused with 403 before Streamlit sees it. st.App is Streamlit's supported way to add
middleware; its server, config and flags are those of `streamlit run app.py`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse

APP = Path(__file__).resolve().parent.parent / "app.py"
LOCAL_NAMES = ("127.0.0.1", "localhost")

log = logging.getLogger(__name__)

Scope = dict[str, Any]


def host_allowed(scope: Scope) -> bool:
    """Host names this machine's loopback address on the port the connection came in on, and nothing else."""
    server = scope.get("server")
    if not server or server[1] is None:
        return False
    hosts = [v for k, v in scope.get("headers", ()) if k == b"host"]
    wanted = {f"{name}:{server[1]}".encode() for name in LOCAL_NAMES}
    return len(hosts) == 1 and hosts[0].lower() in wanted


class HostCheck:
    """ASGI middleware: 403 for a request whose Host is not this server's own address."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or host_allowed(scope):
            await self.app(scope, receive, send)
            return
        log.warning("Refused a %s request for another host name (DNS rebinding?).", scope["type"])
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # closed before accepting: the server answers 403
        else:
            await PlainTextResponse("Forbidden: unknown host", status_code=403)(scope, receive, send)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="Port on 127.0.0.1 (default: .streamlit/config.toml's, else 8501).")
    args = parser.parse_args(argv)
    # Streamlit serves the script named by argv[0] and reads the .streamlit/ beside it: app.py's, as `streamlit run`.
    sys.argv = [str(APP)]
    app = st.App(APP, middleware=[Middleware(HostCheck)])
    app.run(config={"server.port": args.port} if args.port else None)


if __name__ == "__main__":
    main()
