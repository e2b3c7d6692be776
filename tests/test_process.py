"""The service as an operator runs it: `python -m bot` in its own process, stopped by SIGTERM
or killed with SIGKILL, with a bad setting, with deliveries pending across a restart."""

from __future__ import annotations

import asyncio
import email
import email.policy
import sqlite3
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import smtp_env
from tests.desk import run_cli, run_cli_async, slack_env
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.service import Service


async def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    service = await Service(tmp_path, {}).start()
    started = time.monotonic()
    assert service.stop() == 0
    assert time.monotonic() - started < 5


async def test_local_mode_writes_eml_and_logs_the_card(tmp_path: Path) -> None:
    service = await Service(tmp_path, {}).start()
    await service.submit()
    mail = tmp_path / "data" / "mail" / "hd-1-mail-creado.eml"
    for _ in range(100):
        if mail.exists():
            break
        await asyncio.sleep(0.05)
    assert service.stop() == 0
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "[HD-1] Ticket generado: Olvidé mi Contraseña"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Le informamos que el ticket HD-1 ha sido generado" in body.get_content()
    log = service.log()
    assert "[canal de soporte] nuevo ticket" in log and "HD-1 · Olvidé mi Contraseña" in log


def test_configuration_error_names_the_variable(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "HIB2B_DATA_DIR": str(tmp_path),
        "HIB2B_CHANNEL": "",
    }
    result = run_cli(tmp_path, env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hib2b: configuration error: HIB2B_CHANNEL is required when SLACK_BOT_TOKEN is set"
    ]


async def test_kill_9_with_pending_deliveries_loses_nothing_and_sends_once(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    env = {**slack_env(fake_slack.url), **smtp_env(smtp)}
    fake_slack.fail("*", times=10_000, status=503)  # Slack down
    smtp.inbox.refuse = 451  # and the mail server busy
    service = await Service(tmp_path, env).start()
    await service.submit()
    await fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage"))
    service.kill()

    fake_slack.faults.clear()
    smtp.inbox.refuse = None
    restarted = await Service(tmp_path, env).start()
    try:
        await restarted.delivered_once(fake_slack, smtp)
    finally:
        assert restarted.stop() == 0


async def test_kill_9_after_slack_took_the_card_does_not_post_it_twice(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    env = slack_env(fake_slack.url)
    fake_slack.fail("chat.postMessage", times=1, stall_s=3, after_effect=True)
    service = await Service(tmp_path, env).start()
    await service.submit()
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())
    service.kill()  # Slack has the card; the service never recorded it

    restarted = await Service(tmp_path, env).start()
    try:
        await fake_slack.wait_for(lambda: fake_slack.calls_to("conversations.history"), timeout=15)
        await restarted.drained()
        assert [c["ts"] for c in fake_slack.cards()] == [card["ts"]]
    finally:
        assert restarted.stop() == 0


@pytest.mark.sqlite_file
def test_operator_continues_the_old_series(tmp_path: Path) -> None:
    def hib2b(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(tmp_path, {"HIB2B_DATA_DIR": str(tmp_path / "data")}, *args)

    # Run where there is no desk, a command refuses instead of answering from an empty one.
    nowhere = hib2b("numeracion")
    assert nowhere.returncode == 2 and "no hay base de datos" in nowhere.stderr
    assert "--crear" in nowhere.stderr and not (tmp_path / "data" / "hib2b.sqlite3").exists()
    assert hib2b("numeracion", "--crear").stdout.strip() == "Siguiente ticket: HD-1"
    set_it = hib2b("numeracion", "166")
    assert set_it.returncode == 0 and set_it.stdout.strip() == "El siguiente ticket será HD-166."
    assert hib2b("numbering").stdout.strip() == "Siguiente ticket: HD-166"
    unknown = hib2b("borrar", "5")
    assert unknown.returncode == 1 and "No conozco «borrar»" in unknown.stdout
    assert hib2b("ayuda").returncode == 0
    bad = hib2b("exportar", "--desde", "ayer")
    assert bad.returncode == 2 and "AAAA-MM-DD" in bad.stderr


async def test_the_access_log_never_holds_a_link_token(tmp_path: Path) -> None:
    service = await Service(tmp_path, {}).start()
    try:
        secret = "12.1800000000.SECRETO-de-la-liga"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{service.url}/soporte/ticket?t={secret}") as response:
                assert response.status == 404
            async with http.get(f"{service.url}/healthz") as response:
                assert response.status == 200
    finally:
        assert service.stop() == 0
    log = service.log()
    assert '"GET /soporte/ticket" 404' in log and '"GET /healthz" 200' in log
    assert "SECRETO" not in log


@pytest.mark.sqlite_file
async def test_backup_while_the_service_runs(tmp_path: Path) -> None:
    service = await Service(tmp_path, {}).start()
    try:
        await service.submit()
        env = {"HIB2B_DATA_DIR": str(tmp_path / "data"), "HIB2B_SECRET_KEY": "k" * 40}
        made = await run_cli_async(tmp_path, env, "respaldo", "copia")
        assert made.returncode == 0, made.stderr
        again = await run_cli_async(tmp_path, env, "respaldo", "copia")
        assert again.returncode == 1 and "ya existe" in again.stderr  # never overwritten
    finally:
        assert service.stop() == 0
    copy = sqlite3.connect(tmp_path / "copia" / "hib2b.sqlite3")
    assert copy.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
    copy.close()
