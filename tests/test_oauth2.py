"""The support mailbox signing in with OAuth2 (XOAUTH2), without the internet: a local token
endpoint that issues, expires and revokes tokens; Debian's Dovecot checking them through an
`oauth2` passdb that introspects against it; aiosmtpd checking them for SMTP. Sign-in, refresh
on expiry, refusal after revocation (a clear error, `degraded` health, the reader retrying),
`hib2b oauth2 probar`, and never a secret in a log line."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from bot.config import ConfigError, load_settings
from bot.config_values import OAuth2
from bot.delivery import health
from bot.delivery.failures import TemporaryFailure
from bot.delivery.health import Snapshot
from bot.delivery.oauth2 import AccessTokens, TokenRefused
from bot.delivery.smtp import SmtpSender
from bot.render.email import OutgoingMail
from store import tickets as store
from tests.desk import Desk, run_cli_async
from tests.fakes.dovecot import SERVICE_USER, Dovecot, wait_until
from tests.fakes.oauth2 import CLIENT_ID, TokenServer
from tests.fakes.smtp import FakeSmtp


@pytest.fixture
async def provider() -> AsyncIterator[TokenServer]:
    server = await TokenServer(user=SERVICE_USER).start()
    yield server
    await server.stop()


@pytest.fixture
def mailbox(provider: TokenServer) -> Iterator[Dovecot]:
    server = Dovecot(introspection_url=provider.url + "/introspect").start()
    yield server
    server.remove()


@pytest.fixture
def oauth_smtp(provider: TokenServer) -> Iterator[FakeSmtp]:
    server = FakeSmtp(active=provider.active, user=SERVICE_USER).start()
    yield server
    server.stop()


def oauth_env(provider: TokenServer, mailbox: Dovecot, smtp: FakeSmtp) -> dict[str, str]:
    return {
        **provider.env(),
        **mailbox.env(oauth2=True),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_TLS": "none",
        "SMTP_AUTH": "oauth2",
        "SMTP_USERNAME": SERVICE_USER,
    }


def a_mail(subject: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "conta@proveedora.mx"
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="proveedora.mx")
    mail.set_content("No puedo entrar al portal.")
    return mail.as_bytes()


def test_settings_ask_for_what_oauth2_needs_and_never_show_a_secret(provider) -> None:
    with pytest.raises(ConfigError, match="OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID"):
        load_settings({"IMAP_AUTH": "oauth2"})
    with pytest.raises(ConfigError, match="IMAP_AUTH: must be password or oauth2"):
        load_settings({"IMAP_AUTH": "kerberos"})
    with pytest.raises(ConfigError, match="SMTP_AUTH=oauth2: set SMTP_USERNAME"):
        load_settings({**provider.env(), "SMTP_AUTH": "oauth2"})
    settings = load_settings(
        {**provider.env(), "SMTP_AUTH": "oauth2", "SMTP_USERNAME": SERVICE_USER}
    )
    assert settings.oauth2 is not None and settings.oauth2.client_id == CLIENT_ID
    assert not any(secret in repr(settings) for secret in provider.secrets())


async def test_a_token_is_refreshed_before_it_expires_once_for_everyone(provider) -> None:
    now = [1000.0]
    tokens = AccessTokens(
        OAuth2(provider.url + "/token", CLIENT_ID, *provider.secrets()[:2]),
        clock=lambda: now[0],
    )
    try:
        first = await tokens.get()
        assert [await tokens.get() for _ in range(3)] == [first] * 3
        assert provider.refresh_requests == 1
        now[0] += 3600 - 361  # six minutes and a second before its hour ends: still good
        assert await tokens.get() == first
        now[0] += 2  # within the last tenth of its life: renewed ahead of time
        second = await tokens.get()
        assert second != first and provider.refresh_requests == 2
        tokens.refused(first)  # an old token's refusal does not throw away the new one
        assert await tokens.get() == second
        provider.revoke()
        tokens.refused(second)
        with pytest.raises(TokenRefused, match=r"\(400 invalid_grant\)$"):
            await tokens.get()
    finally:
        await tokens.close()


async def test_callers_at_once_share_one_refresh_and_a_failure_is_remembered(
    provider: TokenServer,
) -> None:
    provider.delay_s = 0.3
    tokens = AccessTokens(OAuth2(provider.url + "/token", CLIENT_ID, *provider.secrets()[:2]))
    try:
        got = await asyncio.gather(*(tokens.get() for _ in range(5)))
        assert len(set(got)) == 1 and provider.refresh_requests == 1
        provider.revoke()
        tokens._renew_at = 0.0  # as if its hour had passed
        failures = await asyncio.gather(*(tokens.get() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(f, TokenRefused) for f in failures)
        with pytest.raises(TokenRefused):
            await tokens.get()  # a queue of emails does not ask the endpoint again
        assert provider.refresh_requests == 2
    finally:
        await tokens.close()


async def test_a_rotated_refresh_token_survives_a_restart(provider: TokenServer, tmp_path) -> None:
    provider.rotate = True
    config = OAuth2(provider.url + "/token", CLIENT_ID, *provider.secrets()[:2])
    kept = tmp_path / "oauth2-refresh-token.json"
    first = AccessTokens(config, kept_in=kept)
    try:
        await first.get()
    finally:
        await first.close()
    # Entra's way: the configured refresh token died with its first use.
    assert kept.stat().st_mode & 0o777 == 0o600 and provider.rotated[0] in kept.read_text()
    restarted = AccessTokens(config, kept_in=kept)
    try:
        assert await restarted.get() in provider.issued
    finally:
        await restarted.close()
    # A new consent in the settings wins over what was kept for the old one.
    again = AccessTokens(OAuth2(config.token_url, CLIENT_ID, "x", "rt-nuevo"), kept_in=kept)
    try:
        with pytest.raises(TokenRefused):
            await again.get()
    finally:
        await again.close()


async def test_both_sides_sign_in_and_a_refused_token_is_refreshed_once(
    provider: TokenServer, mailbox: Dovecot, oauth_smtp: FakeSmtp, start_desk, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    desk: Desk = await start_desk(**oauth_env(provider, mailbox, oauth_smtp))
    await mailbox.deliver(a_mail("No puedo entrar"))
    await wait_until(lambda: _tickets(desk, 1))
    [confirmation] = await oauth_smtp.wait_for(1)  # sent signed in with XOAUTH2
    assert "[HD-1]" in str(confirmation["Subject"])
    assert oauth_smtp.inbox.sign_ins == [True]
    assert provider.refresh_requests == 1  # one token for the reader and the sender
    assert any(
        "Login: user=<servicio>, method=XOAUTH2" in line for line in mailbox.log().splitlines()
    )

    # Every token stops working early (its hour passed): the reader's next sign-in is refused
    # once and made with a new token, which the sender then uses too (one refresh for both).
    provider.expire_all()
    await desk.services.mail.close()  # the kept SMTP connection: the next email signs in again
    mailbox.kick()  # the IMAP session: the reader reconnects and signs in again
    await wait_until(lambda: _signed_in(mailbox, 2))
    await mailbox.deliver(a_mail("Sigo sin poder entrar"))
    await wait_until(lambda: _tickets(desk, 2), timeout=30)
    await oauth_smtp.wait_for(2)
    assert oauth_smtp.inbox.sign_ins == [True, True]
    assert provider.refresh_requests == 2

    health = json.loads((await desk.get("/healthz")).text)
    assert health["status"] == "ok" and health["mailbox"]["connected"] is True
    _no_secret_anywhere(provider, caplog, mailbox)


async def test_a_revoked_consent_is_said_degrades_health_and_is_retried(
    provider: TokenServer, mailbox: Dovecot, oauth_smtp: FakeSmtp, start_desk, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    desk: Desk = await start_desk(**oauth_env(provider, mailbox, oauth_smtp))
    await wait_until(lambda: _connected(desk))
    provider.revoke()
    mailbox.kick()
    await wait_until(lambda: _mailbox_error(desk, "TokenRefused"), timeout=20)
    status = desk.services.mailbox
    assert status is not None and not status.connected
    assert status.last_error == (
        "TokenRefused: token endpoint refused the refresh token (400 invalid_grant)"
    )
    # One refusal could be a blip; the next attempt's refusal makes it an alarm.
    await wait_until(lambda: _health_is(desk, "degraded"), timeout=10)
    details = (await desk.get("/healthz?detalle=1")).text
    assert not any(secret in details for secret in provider.secrets())
    # The reader keeps trying, with its backoff (1, 2, 4 s…); the endpoint is asked again only
    # once the failure is no longer remembered (a unit test above).
    await wait_until(lambda: _attempts(desk, 3), timeout=20)
    refusals = [
        record.levelno
        for record in caplog.records
        if record.name == "hib2b.imap" and "refused the refresh token" in record.getMessage()
    ]
    assert refusals[0] == logging.ERROR and set(refusals[1:]) == {logging.WARNING}

    # An email meanwhile waits in the queue for the sign-in to be fixed: never dropped.
    await desk.submit()
    await wait_until(lambda: _waiting_email(desk), timeout=20)
    assert oauth_smtp.messages == []
    _no_secret_anywhere(provider, caplog, mailbox)


async def test_hib2b_oauth2_probar_says_in_one_line_what_worked(
    provider: TokenServer, mailbox: Dovecot, oauth_smtp: FakeSmtp, tmp_path
) -> None:
    env = {**oauth_env(provider, mailbox, oauth_smtp), "HIB2B_DATA_DIR": str(tmp_path / "d")}
    probed = await run_cli_async(tmp_path, env, "oauth2", "probar")
    assert probed.returncode == 0, probed.stderr
    assert probed.stdout.strip() == (
        "token: obtenido · IMAP: sesión iniciada como servicio · "
        "SMTP: sesión iniciada como servicio"
    )
    provider.revoke()
    refused = await run_cli_async(tmp_path, env, "oauth2", "probar")
    assert refused.returncode == 1
    assert refused.stdout.strip() == (
        "token: token endpoint refused the refresh token (400 invalid_grant)"
    )
    plain = await run_cli_async(
        tmp_path, {"HIB2B_DATA_DIR": str(tmp_path / "d")}, "oauth2", "probar"
    )
    assert plain.returncode == 2 and "ni IMAP_AUTH ni SMTP_AUTH son oauth2" in plain.stderr
    for output in (probed.stdout + probed.stderr, refused.stdout + refused.stderr):
        assert not any(secret in output for secret in provider.secrets())


async def test_the_sender_alone_retries_a_refused_token_once(
    provider: TokenServer, oauth_smtp: FakeSmtp
) -> None:
    tokens = AccessTokens(OAuth2(provider.url + "/token", CLIENT_ID, *provider.secrets()[:2]))
    sender = SmtpSender(
        host="127.0.0.1",
        port=oauth_smtp.port,
        tls="none",
        username=SERVICE_USER,
        password=None,
        sender="soporte@hib2b.test",
        timeout=10,
        tokens=tokens,
    )
    mail = OutgoingMail("<m1@hib2b.test>", "a@example.com", "Subject: x\r\n\r\nhola\r\n")
    try:
        await sender.send(mail, "m1")
        provider.expire_all()
        await sender.close()
        await sender.send(mail, "m2")
        assert oauth_smtp.inbox.sign_ins == [True, False, True]
        # Revoked: the email waits (the lane paused a minute) and /healthz says why.
        provider.revoke()
        tokens._renew_at = 0.0
        await sender.close()
        with pytest.raises(TemporaryFailure) as refused:
            await sender.send(mail, "m3")
        assert refused.value.retry_after == 60
        assert sender.sign_in_error == (
            "smtp sign-in refused: token endpoint refused the refresh token (400 invalid_grant)"
        )
        snapshot = Snapshot("http", (), {}, 0.0, None, mail_error=sender.sign_in_error)
        assert health.status(snapshot) == "degraded"
    finally:
        await sender.close()
        await tokens.close()


def _no_secret_anywhere(provider: TokenServer, caplog, mailbox: Dovecot) -> None:
    """No access token, refresh token or client secret, nor the XOAUTH2 string that carries
    one, in any log line of the service (at DEBUG) or of the mail server."""
    secrets = provider.secrets()
    sasl = [
        base64.b64encode(f"user={SERVICE_USER}\1auth=Bearer {token}\1\1".encode()).decode()
        for token in provider.issued
    ]
    lines = [record.getMessage() for record in caplog.records] + mailbox.log().splitlines()
    leaked = [line for line in lines if any(s in line for s in (*secrets, *sasl))]
    assert not leaked, leaked[:3]


async def _signed_in(mailbox: Dovecot, count: int) -> bool:
    logins = [line for line in mailbox.log().splitlines() if "method=XOAUTH2" in line]
    return len(logins) >= count


async def _tickets(desk: Desk, count: int) -> bool:
    return await store.count_tickets(desk.services.db) >= count


async def _connected(desk: Desk) -> bool:
    return desk.services.mailbox is not None and desk.services.mailbox.connected


async def _mailbox_error(desk: Desk, kind: str) -> bool:
    status = desk.services.mailbox
    return status is not None and status.last_error.startswith(kind)


async def _health_is(desk: Desk, status: str) -> bool:
    return json.loads((await desk.get("/healthz")).text)["status"] == status


async def _attempts(desk: Desk, count: int) -> bool:
    status = desk.services.mailbox
    return status is not None and status.failures >= count


async def _waiting_email(desk: Desk) -> bool:
    row = await desk.services.db.fetchone(
        "SELECT attempts, status FROM outbox WHERE lane = 'email' ORDER BY id DESC LIMIT 1"
    )
    return row is not None and row[0] >= 1 and row[1] == "pending"
