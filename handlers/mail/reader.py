"""Reading the support mailbox over IMAP: IDLE where the server offers it, polling otherwise.

A message is flagged on the server (`$Hib2bDone`, and `\\Seen`) only after its processing is
committed; a crash in between means it is read again and recognised by its Message-ID, so
nothing is lost and nothing is applied twice. Connection problems reconnect with backoff."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aioimaplib
from aioimaplib.aioimaplib import Command

from bot.config import Settings
from bot.delivery.oauth2 import AccessTokens, TokenRefused, TokenUnavailable
from bot.delivery.supervisor import Worker
from bot.desk import StorageUnavailable

log = logging.getLogger("hib2b.imap")
DONE_FLAG = "$Hib2bDone"
FAILED_FLAG = "$Hib2bError"  # processing raised: left for a person, not retried in a loop
_SIZE = re.compile(r"RFC822\.SIZE (\d+)", re.IGNORECASE)
CONNECTION_ERRORS = (OSError, TimeoutError, aioimaplib.AioImapException, ssl.SSLError)
PROBE_S = 60.0  # `hib2b oauth2 probar`: the whole IMAP conversation
IDLE_ACK_S = 10.0  # IDLE is acknowledged at once by a server that is still there
# Sign-in problems: retried with the same backoff, shown in /healthz as the mailbox's error.
SIGN_IN_ERRORS = (TokenRefused, TokenUnavailable)

Handler = Callable[[bytes, str], Awaitable[str]]
FailureHandler = Callable[[bytes, str, Exception], Awaitable[None]]


class _NoSecrets(logging.Filter):
    """aioimaplib logs each command at DEBUG, AUTHENTICATE's XOAUTH2 string too (the access
    token, in base64) and LOGIN's password: the line is kept, the credential is not."""

    _CREDENTIAL = re.compile(r"(\b\w+ (?:AUTHENTICATE \S+|LOGIN \S+)) (?:(?!\\r\\n).)+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = self._CREDENTIAL.sub(r"\1 [oculto]", message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


logging.getLogger("aioimaplib.aioimaplib").addFilter(_NoSecrets())


class MailboxError(Exception):
    """The server refused a command (login, select): retried after a pause, and shown."""


@dataclass
class MailboxStatus:
    connected: bool = False
    last_error: str = ""
    processed: int = 0
    failed: int = 0
    failures: int = 0  # connection attempts in a row that did not get in


def _says_bye(pushed: object) -> bool:
    """Whether what the server pushed during IDLE (a line, or a list of them) is its BYE."""
    lines = pushed if isinstance(pushed, list) else [pushed]
    return any(isinstance(line, bytes) and line.upper().startswith(b"BYE") for line in lines)


class MailboxReader:
    def __init__(
        self,
        settings: Settings,
        handle: Handler,
        failed: FailureHandler,
        tokens: AccessTokens | None = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens  # IMAP_AUTH=oauth2: XOAUTH2 with these instead of the password
        self._handle = handle
        self._failed = failed
        # The biggest message worth reading: every attachment at its limit, base64-encoded.
        self._max_bytes = settings.max_total_bytes * 2 + 5 * 1024 * 1024
        self.status = MailboxStatus()

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self._settings.imap_ca_file)

    def _client(self) -> aioimaplib.IMAP4:
        s = self._settings
        if s.imap_tls == "ssl":
            return aioimaplib.IMAP4_SSL(
                s.imap_host or "", s.imap_port, ssl_context=self._tls(), timeout=30
            )
        return aioimaplib.IMAP4(s.imap_host or "", s.imap_port, timeout=30)

    async def _starttls(self, client: aioimaplib.IMAP4) -> None:
        """Upgrade the connection before logging in; fail closed when the server cannot."""
        protocol = client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise MailboxError("the server does not offer STARTTLS (IMAP_TLS=starttls)")
        command = Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        _ok(await protocol.execute(command), "starttls")
        protocol.transport = await asyncio.get_running_loop().start_tls(
            protocol.transport, protocol, self._tls(), server_hostname=self._settings.imap_host
        )
        await protocol.capability()  # what the server offers may change once encrypted

    async def run(self, worker: Worker) -> None:
        """The mailbox's worker: reads until the service stops, reconnecting with backoff."""
        delay = 1.0
        while True:
            try:
                await self._session(worker)
            except (*CONNECTION_ERRORS, *SIGN_IN_ERRORS, MailboxError) as error:
                if self.status.connected:
                    delay = 1.0  # the session was up: a hang-up, reconnect at once
                else:
                    self.status.failures += 1
                self.status.connected = False
                said = f"{type(error).__name__}: {error}"
                # A refused consent needs a person: said at ERROR once, then as warnings.
                new_refusal = isinstance(error, TokenRefused) and said != self.status.last_error
                self.status.last_error = said
                level = logging.ERROR if new_refusal else logging.WARNING
                log.log(level, "mailbox: %s; reconnecting in %.0fs", said, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _session(self, worker: Worker) -> None:
        client = self._client()
        try:
            await client.wait_hello_from_server()
            if self._settings.imap_tls == "starttls":
                await self._starttls(client)
            await self._sign_in(client)
            _ok(await client.select(self._settings.imap_folder), "select")
            self.status.connected, self.status.last_error = True, ""
            self.status.failures = 0
            idle = "IDLE" in client.protocol.capabilities
            while True:
                await self.process_unread(client)
                worker.ok()
                if idle:
                    await self._idle(client)
                else:
                    await asyncio.sleep(self._settings.imap_poll.total_seconds())
        finally:
            if client.protocol.transport is not None:
                client.protocol.transport.close()

    async def probe(self) -> None:
        """Connect, sign in and open the folder, then leave (`hib2b oauth2 probar`); raises
        what the reader would retry on."""
        client = self._client()
        try:
            async with asyncio.timeout(PROBE_S):
                await client.wait_hello_from_server()
                if self._settings.imap_tls == "starttls":
                    await self._starttls(client)
                await self._sign_in(client)
                _ok(await client.select(self._settings.imap_folder), "select")
            with contextlib.suppress(*CONNECTION_ERRORS):
                await client.logout()  # signed in and opened: a failed goodbye changes nothing
        finally:
            if client.protocol.transport is not None:
                client.protocol.transport.close()

    async def _sign_in(self, client: aioimaplib.IMAP4) -> None:
        user = self._settings.imap_username or ""
        if self._tokens is None:
            _ok(await client.login(user, self._settings.imap_password or ""), "login")
            return
        token = await self._tokens.get()
        answer = await _xoauth2(client, user, token)
        if answer.result != "OK":
            # Expired or revoked early: one new token, one more try.
            self._tokens.refused(token)
            answer = await _xoauth2(client, user, await self._tokens.get())
        if answer.result != "OK":
            raise MailboxError(
                "login: the server refused the OAuth2 token (XOAUTH2); check the app's "
                "consent and IMAP_USERNAME"
            )

    async def _idle(self, client: aioimaplib.IMAP4) -> None:
        # Woken by the server when mail arrives; also at least every poll interval.
        self._hung_up(client)
        try:
            # The server acknowledges IDLE at once. A connection lost just as IDLE was sent (a
            # BYE that came in during the search before it) is never answered, and aioimaplib
            # would wait for the IDLE's own timeout.
            async with asyncio.timeout(IDLE_ACK_S):
                waiting = await client.idle_start(timeout=self._settings.imap_poll.total_seconds())
        except TimeoutError:
            raise ConnectionError("the server did not acknowledge IDLE") from None
        pushed: object = None
        with contextlib.suppress(TimeoutError):
            pushed = await client.wait_server_push(timeout=self._settings.imap_poll.total_seconds())
        # The server hung up (a restart, an admin's kick, its idle limit), or says it will (its
        # BYE arrives before the connection ends): reconnect now, not after the IDLE's own
        # timeout (aioimaplib fails neither).
        if _says_bye(pushed):
            raise ConnectionError("the server said BYE")
        self._hung_up(client)
        client.idle_done()
        try:
            async with asyncio.timeout(IDLE_ACK_S):
                await waiting
        except TimeoutError:
            raise ConnectionError("the server did not end IDLE") from None

    @staticmethod
    def _hung_up(client: aioimaplib.IMAP4) -> None:
        transport = client.protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionError("the server closed the connection")

    async def process_unread(self, client: aioimaplib.IMAP4) -> int:
        """Process every message not yet flagged done; returns how many."""
        found = await client.uid_search("UNKEYWORD", DONE_FLAG, "UNKEYWORD", FAILED_FLAG)
        _ok(found, "search")
        uids = [uid for line in found.lines[:-1] for uid in line.decode().split() if uid.isdigit()]
        for uid in uids:
            size = await self._size(client, uid)
            if size > self._max_bytes:
                # Read whole, it would only be refused: left for a person, with the reason.
                error = ValueError(f"message of {size} bytes is over {self._max_bytes}")
                await self._failed(b"", uid, error)
                self.status.failed += 1
                _ok(await client.uid("store", uid, "+FLAGS", f"({FAILED_FLAG})"), "store")
                continue
            fetched = await client.uid("fetch", uid, "(BODY.PEEK[])")
            _ok(fetched, "fetch")
            raw = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), None)
            if raw is None:
                continue
            try:
                outcome = await self._handle(raw, uid)
            except (aioimaplib.AioImapException, OSError, StorageUnavailable):
                # The connection or the database, not the message: it stays unflagged and is
                # read again once the supervisor has restarted the reader.
                raise
            except Exception as error:
                # A message this code cannot process must not stop the mailbox: it is recorded
                # with its reason, flagged on the server (so it is not retried in a loop) and
                # counted in /healthz, then the next one is read.
                log.exception("mailbox message %s could not be processed", uid)
                await self._failed(raw, uid, error)
                self.status.failed += 1
                self.status.last_error = f"message {uid}: {type(error).__name__}: {error}"
                _ok(await client.uid("store", uid, "+FLAGS", f"({FAILED_FLAG})"), "store")
                continue
            # Only now, with the change committed, is the message marked on the server.
            _ok(await client.uid("store", uid, "+FLAGS", f"(\\Seen {DONE_FLAG})"), "store")
            self.status.processed += 1
            log.info("mailbox message %s: %s", uid, outcome)
        return len(uids)

    async def _size(self, client: aioimaplib.IMAP4, uid: str) -> int:
        fetched = await client.uid("fetch", uid, "(RFC822.SIZE)")
        _ok(fetched, "fetch")
        for line in fetched.lines:
            text = (
                bytes(line).decode(errors="replace") if isinstance(line, bytes | bytearray) else ""
            )
            found = _SIZE.search(text)
            if found:
                return int(found.group(1))
        return 0


class _Sasl(Command):
    """AUTHENTICATE whose failure is a challenge: the server sends its error as a `+` line and
    waits for an empty answer before it says NO (aioimaplib's own `xoauth2` never answers it
    and waits for its timeout)."""

    def __init__(self, protocol: aioimaplib.IMAP4ClientProtocol, *args: str) -> None:
        super().__init__("AUTHENTICATE", protocol.new_tag(), *args, loop=protocol.loop)
        self._protocol = protocol
        self._answered = False

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        super().append_to_resp(line, result)
        challenge = line.startswith(b"+")
        if result == "Pending" and challenge and self._protocol.transport is not None:
            # Once with the empty answer; a second challenge is cancelled (RFC 3501 `*`).
            self._protocol.transport.write(b"*\r\n" if self._answered else b"\r\n")
            self._answered = True


async def _xoauth2(client: aioimaplib.IMAP4, user: str, token: str) -> aioimaplib.Response:
    said = base64.b64encode(f"user={user}\1auth=Bearer {token}\1\1".encode()).decode("ascii")
    async with asyncio.timeout(30):
        answer = await client.protocol.execute(_Sasl(client.protocol, "XOAUTH2", said), scrub=said)
    if answer.result == "OK":
        client.protocol.state = aioimaplib.AUTH
        # A server may offer more once signed in (IDLE among them), as after LOGIN.
        async with asyncio.timeout(30):
            await client.protocol.capability()
    return answer


def _ok(response: aioimaplib.Response, what: str) -> None:
    if response.result != "OK":
        lines = b" ".join(line for line in response.lines if isinstance(line, bytes))
        raise MailboxError(f"{what}: {response.result} {lines.decode(errors='replace')}")
