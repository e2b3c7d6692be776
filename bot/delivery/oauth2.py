"""Access tokens for the support mailbox (XOAUTH2 over IMAP and SMTP), from a refresh token at
the provider's token endpoint (Microsoft Entra, Google).

One token is shared by the reader and the sender and refreshed before it expires (a minute, or
a tenth of its life, ahead), by one request however many callers ask at once. A server that
refuses a token makes the next `get` refresh it, once; a refresh the endpoint refuses is
`TokenRefused` (revoked or expired consent: a person must act), a failure to reach it is
`TokenUnavailable` (try later). No secret is ever in an exception's text or a log line."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import aiohttp

from bot.config_values import OAuth2

log = logging.getLogger("hib2b.oauth2")
REFRESH_AHEAD_S = 60.0
DEFAULT_LIFETIME_S = 3600.0


class TokenRefused(Exception):
    """The token endpoint refused to refresh: the consent or the refresh token is gone."""


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or answered nonsense: try again later."""


class AccessTokens:
    def __init__(
        self,
        config: OAuth2,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._refresh_token = config.refresh_token
        self._timeout_s = timeout_s
        self._clock = clock
        self._token = ""
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self.refreshes = 0

    async def get(self) -> str:
        """A token good for at least the next minute."""
        async with self._lock:
            if not self._token or self._clock() >= self._renew_at:
                await self._refresh()
            return self._token

    def refused(self, token: str) -> None:
        """A server said no to `token`: the next `get` asks for a new one (unless another
        caller already did)."""
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
                async with self._session.post(self._config.token_url, data=form) as response:
                    status = response.status
                    body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TokenUnavailable(f"token endpoint unreachable: {type(error).__name__}") from None
        if not isinstance(body, dict):
            raise TokenUnavailable(f"token endpoint answered {status} without a JSON object")
        if status >= 500:
            raise TokenUnavailable(f"token endpoint answered {status}")
        token = body.get("access_token")
        if status != 200 or not isinstance(token, str) or not token:
            # RFC 6749 §5.2: `error` is a code such as invalid_grant; never echo the rest.
            code = str(body.get("error", "")) or "no access_token"
            raise TokenRefused(f"token endpoint refused the refresh token ({status} {code[:40]})")
        lifetime = _seconds(body.get("expires_in"))
        self._token = token
        self._renew_at = self._clock() + max(
            lifetime - max(REFRESH_AHEAD_S, lifetime / 10), lifetime / 2
        )
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated  # Microsoft may rotate it; kept for this process
        self.refreshes += 1
        log.info("mailbox access token refreshed; valid for %.0f s", lifetime)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _seconds(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S
    return seconds if seconds > 0 else DEFAULT_LIFETIME_S
