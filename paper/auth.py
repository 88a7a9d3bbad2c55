"""The paper account's login and session, as Neo's TOTP login has them: a view token from tradeApiLogin, a trade
token from tradeApiValidate, and that session's Sid and Auth on every trading call."""

from __future__ import annotations

import json
import re
import secrets

import httpx
import pyotp

from .config import PaperCredentials
from .floor import Floor
from .rows import PROFILE
from .wire import PAPER_BASE_URL, json_reply


def consumer_key_refused() -> httpx.Response:
    return json_reply(401, {"error": [{"code": "10001", "message": "Invalid consumer key"}]})


def feed_hello(hello: str) -> tuple[str | None, str | None]:
    """The (Sid, Authorization) a feed client's first frame names: the SDK's raw connection string
    (`{Authorization:...,Sid:...,type:cn}`, neo_api_client/websocket/orderfeed/client.py), or the JSON frame
    Kotak's older HSI client and OpenAlgo send first (`{"type": "cn", "Authorization": ..., "Sid": ...}`)."""
    try:
        frame = json.loads(hello)
    except ValueError:
        frame = None
    if isinstance(frame, dict):
        fields = {k: str(v) for k, v in frame.items()}
    else:
        fields = dict(re.findall(r"(\w+):([^,{}]*)", hello))
    return fields.get("Sid") or fields.get("sid"), fields.get("Authorization")


class Sessions:
    """The tokens the exchange issued and the one live session. Called under the exchange's lock, but for
    `refuse_login`, which reads only the credentials."""

    def __init__(self, floor: Floor, credentials: PaperCredentials) -> None:
        self._floor = floor
        self.credentials = credentials
        self.issued_tokens: list[str] = []
        self._pending_views: dict[str, str] = {}  # sid -> view token, between login and validate
        self._live: tuple[str, str] | None = None  # (sid, trade token) of the live session
        self._trading_calls = 0

    def refuse_login(self, request: httpx.Request) -> httpx.Response | None:
        """tradeApiLogin's refusal of a wrong consumer key, account or TOTP; None lets it in."""
        creds = self.credentials
        body = json.loads(request.content or b"{}")
        if request.headers.get("Authorization") != creds.consumer_key:
            return consumer_key_refused()
        if body.get("mobileNumber") != creds.mobile_number or body.get("ucc") != creds.ucc:
            # A refused login is HTTP 200 without data (SDK services/totp.py and tests/unit/test_totp.py).
            return json_reply(200, {"stCode": 10004, "errMsg": "Invalid UCC", "status": "failure"})
        if not pyotp.TOTP(creds.totp_secret).verify(str(body.get("totp", "")), valid_window=1):
            return json_reply(200, {"stCode": 10522, "errMsg": "Invalid TOTP", "status": "failure"})
        return None

    def login(self) -> httpx.Response:
        """tradeApiLogin's view token, for tradeApiValidate to turn into a session."""
        sid, view, rid = secrets.token_hex(12), "view." + secrets.token_hex(16), secrets.token_hex(8)
        self._pending_views[sid] = view
        self.issued_tokens += [sid, view, rid]
        data = {
            **PROFILE,
            "token": view,
            "sid": sid,
            "rid": rid,
            "ucc": self.credentials.ucc,
            "kType": "View",
            "status": "success",
        }
        return json_reply(200, {"data": data})

    def validate(self, request: httpx.Request, feed_url: str | None) -> httpx.Response:
        """tradeApiValidate: the view token and MPIN make the live session, which names the order feed's URL."""
        body = json.loads(request.content or b"{}")
        sid = request.headers.get("sid", "")
        view = self._pending_views.get(sid)
        if view is None or request.headers.get("Auth") != view:
            return json_reply(200, {"stCode": 10020, "errMsg": "Invalid or expired view token", "status": "failure"})
        if body.get("mpin") != self.credentials.mpin:
            return json_reply(200, {"stCode": 10527, "errMsg": "Invalid MPIN", "status": "failure"})
        del self._pending_views[sid]
        trade, rid = "trade." + secrets.token_hex(16), secrets.token_hex(8)
        self._live = (sid, trade)
        self._trading_calls = 0
        self.issued_tokens += [trade, rid]
        data = {
            **PROFILE,
            "token": trade,
            "sid": sid,
            "rid": rid,
            "baseUrl": PAPER_BASE_URL,
            **({"rtUrl": feed_url} if feed_url is not None else {}),
            "ucc": self.credentials.ucc,
            "kType": "Trade",
            "status": "success",
        }
        return json_reply(200, {"data": data})

    def authorised(self, request: httpx.Request) -> bool:
        """Whether a trading call carries the live session. Counts trading calls so a session can be made to
        expire."""
        sid = request.headers.get("Sid") or request.headers.get("sid")
        if self._live is None or (sid, request.headers.get("Auth")) != self._live:
            return False
        self._trading_calls += 1
        limit = self._floor.config.session_expiry_after
        if limit is not None and self._trading_calls > limit:
            self._live = None
            return False
        return True

    def is_live(self, sid: str | None, auth: str | None) -> bool:
        return self._live is not None and (sid, auth) == self._live

    def expire(self) -> None:
        self._live = None
