"""Sending the supplier's emails: by SMTP, or as `.eml` files in local mode. Failures are
classified for the delivery queue: a 4xx or a dropped connection is tried again later, a 5xx is
not."""

from __future__ import annotations

import asyncio
import os
import ssl
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from bot.delivery.failures import PermanentFailure, TemporaryFailure
from bot.render.email import OutgoingMail


class MailSender(Protocol):
    async def send(self, mail: OutgoingMail, name: str) -> str:
        """Deliver `mail`; `name` is stable for the delivery. Returns where it went."""
        ...


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
    ) -> None:
        self._host, self._port, self._tls = host, port, tls
        self._username, self._password = username, password
        self._sender = parseaddr(sender)[1]
        self._timeout = timeout

    async def send(self, mail: OutgoingMail, name: str) -> str:
        try:
            # The whole conversation is bounded, not only each step: a server that trickles
            # bytes must not hold the lane (asyncio.timeout: wait_for can lose a cancellation).
            async with asyncio.timeout(self._timeout * 2):
                await aiosmtplib.send(
                    mail.data.encode("utf-8"),
                    sender=self._sender,
                    recipients=[mail.recipient],
                    hostname=self._host,
                    port=self._port,
                    username=self._username,
                    password=self._password,
                    use_tls=self._tls == "ssl",
                    # `starttls` must fail closed: never fall back to plain text.
                    start_tls=self._tls == "starttls",
                    timeout=self._timeout,
                )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise _classified(error.recipients[0].code, str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            raise _classified(error.code, f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ssl.SSLError) as error:
            raise TemporaryFailure(f"smtp: {type(error).__name__}: {error}") from error
        return f"smtp:{self._host}:{self._port}"


def _classified(code: int, reason: str) -> Exception:
    # 4xx: the server asks to try later; 5xx: it refused (bad address, policy, auth).
    if 400 <= code < 500:
        return TemporaryFailure(f"smtp {reason}")
    return PermanentFailure(f"smtp {reason}")


class FileSender:
    """Local mode: each email becomes an `.eml` file named by its delivery; a resend overwrites."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, mail: OutgoingMail, name: str) -> str:
        await asyncio.to_thread(self._write, mail, name)
        return str(self._folder / f"{name}.eml")

    def _write(self, mail: OutgoingMail, name: str) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        target = self._folder / f"{name}.eml"
        temporary = target.with_suffix(".part")
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(mail.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
