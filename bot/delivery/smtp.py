"""Sending the supplier's emails: by SMTP, or as `.eml` files in local mode. Failures are
classified for the delivery queue: a 4xx or a dropped connection is tried again later, a 5xx is
not.

One SMTP connection is kept from one email to the next (a burst of forms is a burst of emails,
and a connection each was a TCP and TLS handshake, EHLO and login each), closed after IDLE_S
without use, after any failure and when the service stops. A kept connection the server has
closed meanwhile fails at the first command, before anything of the email was accepted: it is
replaced and the email sent on the new one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import time
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from bot.delivery.failures import PermanentFailure, TemporaryFailure
from bot.delivery.oauth2 import AccessTokens, TokenRefused, TokenUnavailable
from bot.render.email import OutgoingMail

SIGN_IN_PAUSE_S = 60.0  # the email lane's pause after a refused sign-in
IDLE_S = 30.0  # servers drop idle clients after a minute or more (RFC 5321 suggests five)


class MailSender(Protocol):
    sign_in_error: str  # the server's last refusal of our sign-in; "" once one succeeds

    async def send(self, mail: OutgoingMail, name: str) -> str:
        """Deliver `mail`; `name` is stable for the delivery. Returns where it went."""
        ...

    async def close(self) -> None: ...


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        tls: str,
        username: str | None,
        password: str | None,
        sender: str,
        timeout: float,
        tokens: AccessTokens | None = None,
    ) -> None:
        self._host, self._port, self._tls = host, port, tls
        self._tokens = tokens  # XOAUTH2 as `username` with these tokens, instead of a password
        self.sign_in_error = ""  # the last refused sign-in, until one succeeds
        self._username, self._password = username, password
        self._sender = parseaddr(sender)[1]
        self._timeout = timeout
        self._client: aiosmtplib.SMTP | None = None
        self._idle_until = 0.0

    async def send(self, mail: OutgoingMail, name: str) -> str:
        try:
            # The whole conversation is bounded, not only each step: a server that trickles
            # bytes must not hold the lane (asyncio.timeout: wait_for can lose a cancellation).
            async with asyncio.timeout(self._timeout * 2):
                await self._deliver(mail)
        except BaseException as error:
            # Whatever went wrong (a cancellation too), the connection's state is unknown:
            # dropped at once, and the next email starts on a new one.
            self._drop()
            if isinstance(error, aiosmtplib.SMTPAuthenticationError | TokenRefused):
                # Our sign-in, not this email: it waits (the lane paused, not every queued
                # email trying in turn) for the credentials to be fixed, and /healthz says so.
                self.sign_in_error = f"smtp sign-in refused: {_said(error)}"
                raise TemporaryFailure(self.sign_in_error, SIGN_IN_PAUSE_S) from error
            if isinstance(error, TokenUnavailable):
                raise TemporaryFailure(f"smtp: {error}", SIGN_IN_PAUSE_S) from error
            if isinstance(error, aiosmtplib.SMTPResponseException):
                raise _classified(error.code, f"{error.code} {error.message}") from error
            if isinstance(error, aiosmtplib.SMTPException | OSError | TimeoutError | ssl.SSLError):
                raise TemporaryFailure(f"smtp: {type(error).__name__}: {error}") from error
            raise
        return f"smtp:{self._host}:{self._port}"

    async def _deliver(self, mail: OutgoingMail) -> None:
        client = self._client
        kept = client is not None and client.is_connected and time.monotonic() < self._idle_until
        if not kept:
            self._drop()
            client = await self._connect()
        assert client is not None
        try:
            await client.mail(self._sender)
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
            if not kept:
                raise
            self._drop()  # closed by the server while kept: nothing of this email was sent
            client = await self._connect()
            await client.mail(self._sender)
        await client.rcpt(mail.recipient)
        await client.data(mail.data.encode("utf-8"))
        self._idle_until = time.monotonic() + IDLE_S

    async def _connect(self) -> aiosmtplib.SMTP:
        oauth = self._tokens is not None
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=None if oauth else self._username,
            password=None if oauth else self._password,
            use_tls=self._tls == "ssl",
            # `starttls` must fail closed: never fall back to plain text.
            start_tls=self._tls == "starttls",
            timeout=self._timeout,
        )
        try:
            await client.connect()  # with STARTTLS and login when configured
            if self._tokens is not None:
                await self._sign_in(client, self._tokens)
            self.sign_in_error = ""
        except BaseException:
            client.close()  # connected, then refused (TLS, login): not kept half open
            raise
        self._client = client
        return client

    async def probe(self) -> None:
        """Connect and sign in as for an email, then leave (`hib2b oauth2 probar`)."""
        async with asyncio.timeout(self._timeout * 2):
            client = await self._connect()
            try:
                await client.quit()
            finally:
                self._drop()

    async def _sign_in(self, client: aiosmtplib.SMTP, tokens: AccessTokens) -> None:
        """XOAUTH2; a token the server refuses is refreshed once and tried again."""
        token = await tokens.get()
        try:
            await client.auth_xoauth2(self._username or "", token)
        except aiosmtplib.SMTPAuthenticationError:
            tokens.refused(token)
            await client.auth_xoauth2(self._username or "", await tokens.get())

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        """At the service's stop: QUIT if it answers within a second, then close."""
        client = self._client
        if client is not None and client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await client.quit()
        self._drop()


def _said(error: BaseException) -> str:
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message[:120]}"
    return str(error)


def _classified(code: int, reason: str) -> Exception:
    # 4xx: the server asks to try later; 5xx: it refused (bad address, policy, auth).
    if 400 <= code < 500:
        return TemporaryFailure(f"smtp {reason}")
    return PermanentFailure(f"smtp {reason}")


class FileSender:
    """Local mode: each email becomes an `.eml` file named by its delivery; a resend overwrites."""

    sign_in_error = ""  # no server, no sign-in

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, mail: OutgoingMail, name: str) -> str:
        await asyncio.to_thread(self._write, mail, name)
        return str(self._folder / f"{name}.eml")

    async def close(self) -> None:
        return None  # nothing kept open

    def _write(self, mail: OutgoingMail, name: str) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        target = self._folder / f"{name}.eml"
        temporary = target.with_suffix(".part")
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(mail.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
