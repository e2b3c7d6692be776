"""Signed, expiring tokens: the form's id (CSRF and double-submit) and the thank-you link.

A token is `payload.issued.signature` with an HMAC-SHA256 over purpose, payload and time, so a
form token cannot be used as a thank-you token and a ticket number in a link cannot be guessed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from bot.domain.text import is_number


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, payload: str, issued: str) -> str:
        digest = hmac.new(
            self._key, f"{purpose}\x00{payload}\x00{issued}".encode(), hashlib.sha256
        ).digest()
        return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")

    def fingerprint(self, purpose: str, payload: str) -> str:
        """Names `payload` without keeping it: the same for the same text, unreadable without
        the desk's key (a person's address in the privacy log)."""
        return self._mac(purpose, payload, "")

    def sign(self, purpose: str, payload: str, now: datetime) -> str:
        issued = str(int(now.timestamp()))
        return f"{payload}.{issued}.{self._mac(purpose, payload, issued)}"

    def verify(self, purpose: str, token: str, now: datetime, max_age: timedelta) -> str | None:
        """The payload of a genuine, unexpired token; None otherwise."""
        parts = token.split(".")
        if len(parts) != 3 or not is_number(parts[1]):
            return None
        payload, issued, mac = parts
        if not mac.isascii() or not hmac.compare_digest(mac, self._mac(purpose, payload, issued)):
            return None
        age = now.timestamp() - int(issued)
        if age < -60 or age > max_age.total_seconds():
            return None
        return payload


def new_form_id() -> str:
    return secrets.token_urlsafe(18)
