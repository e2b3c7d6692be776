"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.peers: list[object] = []  # the client's (host, port) of each message
        self.refuse: int | None = None  # answer DATA with this code
        self.stall_s = 0.0  # keep the message, then wait this long before answering

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse is not None:
            return f"{self.refuse} refused by the test"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.peers.append(session.peer)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        return "250 OK"


class _OAuthInbox(_Inbox):
    """The same inbox, signing clients in with XOAUTH2 against a token checker."""

    def __init__(self, active: Callable[[str], bool], user: str) -> None:
        super().__init__()
        self._active, self._user = active, user
        self.sign_ins: list[bool] = []

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        # RFC-less but documented by Google and Microsoft: user=…^Aauth=Bearer …^A^A, base64.
        try:
            said = base64.b64decode(args[1]).decode()
        except (IndexError, ValueError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Bad XOAUTH2")
        fields = dict(part.split("=", 1) for part in said.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        good = fields.get("user") == self._user and self._active(token)
        self.sign_ins.append(good)
        if good:
            return AuthResult(success=True, auth_data=self._user)
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Authentication credentials invalid"
        )


class _EphemeralController(Controller):
    # Controller(port=0) fails its own start-up self-connect; learn the real port first.
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class FakeSmtp:
    """`active`: sign clients in with XOAUTH2 as `user`, asking `active(token)`; without it,
    no AUTH is offered."""

    def __init__(
        self, port: int = 0, active: Callable[[str], bool] | None = None, user: str = ""
    ) -> None:
        self.inbox = _Inbox() if active is None else _OAuthInbox(active, user)
        self._port = port
        self.controller: _EphemeralController | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def start(self) -> FakeSmtp:
        self.controller = _EphemeralController(
            self.inbox, hostname="127.0.0.1", port=self._port, auth_require_tls=False
        )
        self.controller.start()
        self._port = self.controller.port
        return self

    @property
    def port(self) -> int:
        return self._port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{len(self.messages)} of {count} emails arrived")
            await asyncio.sleep(0.02)
        return self.messages
