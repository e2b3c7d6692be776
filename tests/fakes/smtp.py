"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


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


class _EphemeralController(Controller):
    # Controller(port=0) fails its own start-up self-connect; learn the real port first.
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class FakeSmtp:
    def __init__(self, port: int = 0) -> None:
        self.inbox = _Inbox()
        self._port = port
        self.controller: _EphemeralController | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def start(self) -> FakeSmtp:
        self.controller = _EphemeralController(self.inbox, hostname="127.0.0.1", port=self._port)
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
