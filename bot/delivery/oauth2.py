"""Access tokens for the support mailbox (XOAUTH2 over IMAP and SMTP), from a refresh token at
the provider's token endpoint (Microsoft Entra, Google).

One token is shared by the reader and the sender and refreshed before it expires (a minute, or
a tenth of its life, ahead). A refresh is one shared task: callers that arrive meanwhile wait
for it, and a caller's cancellation does not abort it. A failed refresh is remembered for a few
seconds, so a queue of emails cannot hammer the endpoint. A server that refuses a token makes
the next `get` refresh it, once per token. A refresh token the endpoint rotates
(Entra does, on every use) is kept in the data folder, so a restart 90 days after the consent
does not fail. A refresh the endpoint refuses is `TokenRefused` (revoked or expired consent: a
person must act); a failure to reach it is `TokenUnavailable` (try later). No secret is ever
in an exception's text or a log line."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from bot.config_values import OAuth2

log = logging.getLogger("hib2b.oauth2")
REFRESH_AHEAD_S = 60.0
DEFAULT_LIFETIME_S = 3600.0
MAX_LIFETIME_S = 24 * 3600.0
FAILURE_MEMORY_S = 15.0  # a failed refresh is answered from memory this long
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class TokenRefused(Exception):
    """The token endpoint refused to refresh: the consent or the refresh token is gone."""


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or answered nonsense: try again later."""


class AccessTokens:
    def __init__(
        self,
        config: OAuth2,
        kept_in: Path | None = None,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._kept_in = kept_in  # where a rotated refresh token survives a restart
        self._timeout_s = timeout_s
        self._clock = clock
        self._refresh_token = self._kept() or config.refresh_token
        self._token = ""
        self._issued_at = 0.0
        self._renew_at = 0.0
        self._refreshing: asyncio.Task[None] | None = None
        self._failure: tuple[float, Exception] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.refreshes = 0

    async def get(self) -> str:
        """A token good for at least the next minute."""
        while not self._token or self._clock() >= self._renew_at:
            if self._failure is not None and self._clock() < self._failure[0]:
                raise self._failure[1]
            if self._refreshing is None:
                self._refreshing = asyncio.create_task(self._refresh())
                self._refreshing.add_done_callback(self._refreshed)
            await asyncio.shield(self._refreshing)
        return self._token

    def _refreshed(self, task: asyncio.Task[None]) -> None:
        self._refreshing = None
        error = None if task.cancelled() else task.exception()
        if isinstance(error, TokenRefused | TokenUnavailable):
            self._failure = (self._clock() + FAILURE_MEMORY_S, error)
        elif error is None and not task.cancelled():
            self._failure = None

    def refused(self, token: str) -> None:
        """A server said no to `token`: the next `get` asks for a new one, unless another
        caller already did (so each token causes one refresh at most; the callers' own
        pauses — the email lane's, the reader's backoff — space the attempts)."""
        if token == self._token:
            self._renew_at = 0.0

    async def _refresh(self) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._config.client_id,
        }
        if self._config.client_secret:
            form["client_secret"] = self._config.client_secret
        if self._config.scope:
            form["scope"] = self._config.scope
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._session.post(
                    self._config.token_url, data=form, allow_redirects=False
                ) as response:
                    status = response.status
                    body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TokenUnavailable(f"token endpoint unreachable: {type(error).__name__}") from None
        if not isinstance(body, dict):
            raise TokenUnavailable(f"token endpoint answered {status} without a JSON object")
        if status >= 500 or status in (408, 429):
            raise TokenUnavailable(f"token endpoint answered {status}")
        token = body.get("access_token")
        if status != 200 or not isinstance(token, str) or not token:
            # RFC 6749 §5.2: `error` is a short code such as invalid_grant; never the rest.
            code = str(body.get("error", ""))
            code = code if _ERROR_CODE.fullmatch(code) else "no access_token"
            raise TokenRefused(f"token endpoint refused the refresh token ({status} {code})")
        lifetime = _seconds(body.get("expires_in"))
        self._token, self._issued_at = token, self._clock()
        self._renew_at = self._issued_at + max(
            lifetime - max(REFRESH_AHEAD_S, lifetime / 10), lifetime / 2
        )
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != self._refresh_token:
            self._refresh_token = rotated
            await asyncio.to_thread(self._keep, rotated)
        self.refreshes += 1
        log.info("mailbox access token refreshed; valid for %.0f s", lifetime)

    def _configured(self) -> str:
        return hashlib.sha256(self._config.refresh_token.encode()).hexdigest()

    def _kept(self) -> str:
        """The rotated refresh token kept for the configured one (a new consent in `.env`
        wins over what was kept for the old one)."""
        if self._kept_in is None or not self._kept_in.exists():
            return ""
        try:
            kept = json.loads(self._kept_in.read_text())
        except (OSError, ValueError):
            return ""
        if not isinstance(kept, dict) or kept.get("configured") != self._configured():
            return ""
        return str(kept.get("refresh_token", ""))

    def _keep(self, token: str) -> None:
        if self._kept_in is None:
            return
        self._kept_in.parent.mkdir(parents=True, exist_ok=True)
        partial = self._kept_in.with_suffix(".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"configured": self._configured(), "refresh_token": token}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self._kept_in)

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None


def _seconds(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S
    if not math.isfinite(seconds) or seconds <= 0:
        return DEFAULT_LIFETIME_S
    return min(seconds, MAX_LIFETIME_S)
