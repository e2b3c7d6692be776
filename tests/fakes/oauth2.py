"""A local OAuth2 provider for the tests: a token endpoint (refresh-token grant) and an RFC 7662
introspection endpoint, on loopback, in the test's own event loop. Dovecot's `oauth2` passdb
and the fake SMTP server ask it whether an access token is good; the test can expire every
token early or revoke the consent."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

CLIENT_ID = "hib2b-pruebas"
CLIENT_SECRET = "secreto-del-cliente-de-pruebas"
REFRESH_TOKEN = "rt-" + "r" * 40


@dataclass
class TokenServer:
    user: str  # whose mailbox the tokens open
    lifetime_s: int = 3600
    issued: dict[str, float] = field(default_factory=dict)  # access token -> expires (monotonic)
    rotated: list[str] = field(default_factory=list)  # refresh tokens it handed out
    refresh_requests: int = 0
    revoked: bool = False
    rotate: bool = False  # Entra's way: each refresh returns a new refresh token, the old dies
    delay_s: float = 0.0  # the endpoint answers this late
    refresh_token: str = REFRESH_TOKEN
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> TokenServer:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_post("/introspect", self._introspect)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def env(self) -> dict[str, str]:
        return {
            "OAUTH2_TOKEN_URL": self.url + "/token",
            "OAUTH2_CLIENT_ID": CLIENT_ID,
            "OAUTH2_CLIENT_SECRET": CLIENT_SECRET,
            "OAUTH2_REFRESH_TOKEN": REFRESH_TOKEN,
        }

    def active(self, token: str) -> bool:
        expires = self.issued.get(token)
        return not self.revoked and expires is not None and time.monotonic() < expires

    def expire_all(self) -> None:
        """Every access token issued so far stops working (as if its hour had passed)."""
        self.issued = dict.fromkeys(self.issued, 0.0)

    def revoke(self) -> None:
        """The consent is withdrawn: no token works, the refresh token is refused."""
        self.revoked = True

    def secrets(self) -> list[str]:
        return [CLIENT_SECRET, REFRESH_TOKEN, *self.rotated, *self.issued]

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.refresh_requests += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        good = (
            form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") == self.refresh_token
            and form.get("client_id") == CLIENT_ID
            and form.get("client_secret") == CLIENT_SECRET
        )
        if self.revoked or not good:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "AADSTS70000: revoked"},
                status=400,
            )
        token = "at-" + secrets.token_urlsafe(24)
        self.issued[token] = time.monotonic() + self.lifetime_s
        answer: dict[str, object] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.lifetime_s,
        }
        if self.rotate:
            self.refresh_token = answer["refresh_token"] = "rt-" + secrets.token_urlsafe(24)
            self.rotated.append(self.refresh_token)
        return web.json_response(answer)

    async def _introspect(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = str(form.get("token", ""))
        if not self.active(token):
            return web.json_response({"active": False})
        return web.json_response({"active": True, "username": self.user})
