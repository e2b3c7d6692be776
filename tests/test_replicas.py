"""Two real services on one real PostgreSQL, as behind a proxy: a stream of submissions,
technicians' replies and due reminders, and a `kill -9` of either one in the middle of it.
Nothing the suppliers were told about is lost, nothing reaches a person twice, the numbering has
no gap, and the leader's work (the SLA watcher) is taken over.

These run under either engine: without the PostgreSQL run's cluster they start their own."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
import json
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot import datadir
from store.postgres import LEADER_LOCK, LOCK_CLASS
from tests import pg
from tests.conftest import StartDesk, smtp_env
from tests.desk import (
    GOOD,
    SIGNING_SECRET,
    Desk,
    hidden_fields,
    run_cli_async,
    send_form,
    slack_env,
    slash_command,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.service import Service

INTERVAL_S = 0.3
ENV = {
    "HIB2B_BUSINESS_DAYS": "mon-sun",
    "HIB2B_BUSINESS_HOURS": "00:00-24:00",
    "HIB2B_HOLIDAYS": "none",
    "HIB2B_RESTART_BASE": "0.1s",
    "HIB2B_WATCH_INTERVAL": f"{INTERVAL_S}s",
    # First contact: target 1 s, due 2 s; three reminders per ticket within the stream.
    "HIB2B_SLA_FIRST_CONTACT": "1s,2s",
    "HIB2B_TECHNICIANS": "U0TECH1",
}
TICKETS = 16
PACE_S = 0.15  # one submission every PACE_S: the stream lasts longer than the first deadlines


@pytest.fixture(scope="session")
def replica_cluster(postgres_cluster: pg.Cluster | None) -> Iterator[pg.Cluster]:
    if postgres_cluster is not None:
        yield postgres_cluster
        return
    with pg.started_cluster() as cluster:
        yield cluster


@pytest.fixture
def shared(replica_cluster: pg.Cluster, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of replicas sharing this test's database and data folder."""
    yield {"HIB2B_DATABASE_URL": replica_cluster.database_for(tmp_path / "data")}
    replica_cluster.drop_created()


async def _slash(service: Service, text: str) -> int:
    body = slash_command(text)
    ts = str(int(time.time()))
    signature = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + signature.hexdigest(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(service.url + "/slack/events", data=body, headers=headers) as response,
    ):
        return response.status


async def _leads(service: Service) -> bool:
    try:
        _, body = await service.get_json("/healthz")
    except aiohttp.ClientError:
        return False
    return bool(body.get("replica", {}).get("leader"))


async def _until(predicate, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not await predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} not within {timeout}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _stop_alive(*services: Service | None) -> None:
    """Every replica still running stopped cleanly (before the fakes and the database go)."""
    statuses = []
    for service in services:
        if service is not None and service.process is not None and service.process.poll() is None:
            try:
                statuses.append((await service.stop_async())[0])
            finally:
                service.kill()  # never left running, whatever the others do
    assert all(status == 0 for status in statuses), statuses


def _number(card: dict) -> int:
    found = re.search(r"HD-(\d+)", str(card.get("text", "")) + str(card.get("blocks", "")))
    assert found, card
    return int(found.group(1))


@pytest.mark.parametrize("victim", ["leader", "follower"])
async def test_a_replica_killed_mid_stream_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp, shared: dict[str, str], victim: str
) -> None:
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **ENV, **shared}
    first = await Service(tmp_path, env).start()
    second: Service | None = None
    try:
        await _until(lambda: _leads(first), 10, "the first replica leading")
        second = await Service(tmp_path, env).start()
        assert not await _leads(second)
        killed, survivor = (first, second) if victim == "leader" else (second, first)

        told: list[int] = []  # the tickets whose thank-you page a supplier saw
        replied: set[int] = set()
        alive = [first, second]
        async with aiohttp.ClientSession() as http:
            for index in range(TICKETS):
                if index == TICKETS // 2:
                    killed.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
                    killed.process.wait(10)  # type: ignore[union-attr]
                    alive = [survivor]
                target = alive[index % len(alive)]
                location = await send_form(http, target.url)
                async with http.get(target.url + location) as thanks:
                    page = await thanks.text()
                number = int(re.search(r"HD-(\d+)", page).group(1))  # type: ignore[union-attr]
                told.append(number)
                if number % 2 == 0:
                    # A technician answers on the other replica (first contact: that clock
                    # stops); odd tickets keep theirs running to every reminder.
                    other = alive[(index + 1) % len(alive)]
                    assert await _slash(other, f"responder {number} Ya revisamos su acceso.") == 200
                    replied.add(number)
                await asyncio.sleep(PACE_S)

        if victim == "leader":
            # The survivor leads within two watch intervals of the death (plus its own look).
            took = await _until(lambda: _leads(survivor), 4 * INTERVAL_S + 2, "the takeover")
            assert took < 4 * INTERVAL_S + 2

        odd = [n for n in told if n % 2]

        def reminders(number: int) -> list[str]:
            [card] = [c for c in fake_slack.cards() if _number(c) == number]
            return [m["text"] for m in fake_slack.replies(card["ts"]) if m.get("reply_broadcast")]

        def everything_arrived() -> bool:
            carded = {_number(c) for c in fake_slack.cards()}
            return set(told) <= carded and all(len(reminders(n)) >= 3 for n in odd)

        await fake_slack.wait_for(everything_arrived, timeout=30)
        await survivor.drained(timeout=30)

        # Numbering: 1..N without a gap; every ticket a supplier was told about is there (and at
        # most the one submission in flight at the kill beside them).
        numbers = [row[0] for row in await pg.rows_at(shared, "SELECT number FROM tickets")]
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
        assert set(told) <= set(numbers) and len(numbers) - len(told) <= 1

        # Slack: one card per ticket (found again rather than posted twice), each reminder once.
        cards = Counter(_number(c) for c in fake_slack.cards())
        assert all(count == 1 for count in cards.values()), cards
        assert set(cards) == set(numbers)
        for number in odd:
            texts = reminders(number)
            assert len(texts) == 3 and len(set(texts)) == 3, (number, texts)
        for number in replied:
            assert len(set(reminders(number))) == len(reminders(number))

        # Email: one confirmation and one reply per ticket; a message re-sent after the kill
        # carries the same Message-ID (mail clients show it once), never a new one.
        ids = Counter(m["Message-ID"] for m in smtp.messages)
        assert sum(count - 1 for count in ids.values()) <= 1, ids
        by_ticket: dict[int, set[str]] = {}
        for message in smtp.messages:
            found = re.search(r"HD-(\d+)", str(message["Subject"]))
            assert found, message["Subject"]
            by_ticket.setdefault(int(found.group(1)), set()).add(message["Message-ID"])
        for number in numbers:
            assert len(by_ticket[number]) == (2 if number in replied else 1), number
        assert all(email.utils.parseaddr(m["To"])[1] for m in smtp.messages)
    finally:
        await _stop_alive(first, second)


async def test_a_delivery_held_by_a_killed_replica_is_finished_once_by_the_other(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp, shared: dict[str, str]
) -> None:
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **ENV, **shared}
    first = await Service(tmp_path, env).start()
    second: Service | None = None
    try:
        # Slack takes the card, then never answers: the first replica is mid-send, its claim
        # `sending` in the database, when it is killed.
        fake_slack.fail("chat.postMessage", times=1, stall_s=60, after_effect=True)
        await first.submit()
        await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=10)
        second = await Service(tmp_path, env).start()
        first.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        first.process.wait(10)  # type: ignore[union-attr]

        # The second one sees the first gone (its presence lock with it), puts the claim back,
        # finds the card already in the channel instead of posting it again, and sends the rest.
        await second.drained(timeout=20)
        await smtp.wait_for(1, timeout=10)
        assert len(fake_slack.cards()) == 1
        assert "went back to the queue" in second.log()
        assert await _leads(second)
        [number] = [row[0] for row in await pg.rows_at(shared, "SELECT number FROM tickets")]
        assert number == 1 and len(smtp.messages) == 1
    finally:
        await _stop_alive(first, second)


@pytest.mark.sqlite_file  # the desk begins on SQLite under either engine
async def test_migrar_copies_a_sqlite_desk_whole_and_it_goes_on_in_postgresql(
    tmp_path: Path,
    shared: dict[str, str],  # first: dropped after the desks are stopped
    start_desk: StartDesk,
    fake_slack: FakeSlack,
    smtp: FakeSmtp,
) -> None:
    team = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **team}
    desk = await start_desk(**env, HIB2B_DATABASE_URL="")
    for _ in range(3):
        await desk.submit()
    await said(desk, "cliente alta acme acme.portalhib2b.com Acme S.A. de C.V.", "U0LEAD")
    await said(desk, "responder 1 Restablecimos su acceso con la guía adjunta.")
    await said(desk, "nota 2 El proveedor llamó: sigue sin poder entrar")
    closed = await said(desk, "cerrar 3 acceso Se reenvió la liga de acceso.")
    assert closed.startswith("HD-3 cerrado."), closed
    await desk.drained()
    before_cards, before_emails = len(fake_slack.cards()), len(smtp.messages)
    await desk.stop()

    folder = {"HIB2B_DATA_DIR": str(tmp_path / "data"), "HIB2B_DATABASE_URL": ""}
    running = datadir.lock(tmp_path / "data")  # as a service on the folder holds it
    try:
        refused = await run_cli_async(tmp_path, folder, "migrar", shared["HIB2B_DATABASE_URL"])
    finally:
        running.release()
    assert refused.returncode == 1 and "deténgalo antes de migrar" in refused.stderr
    # The address from the environment, its password never printed.
    moved = await run_cli_async(
        tmp_path,
        {**folder, "HIB2B_DATABASE_URL": shared["HIB2B_DATABASE_URL"] + "&password=x"},
        "migrar",
    )
    assert moved.returncode == 0, moved.stderr
    assert "los conteos coinciden" in moved.stdout and "password=***" in moved.stdout
    assert "password=x" not in moved.stdout + moved.stderr
    assert re.search(r"tickets\s+3 en SQLite =\s+3 en PostgreSQL", moved.stdout)
    assert re.search(r"audit\s+(\d+) en SQLite =\s+\1 en PostgreSQL", moved.stdout)
    again = await run_cli_async(tmp_path, folder, "migrar", shared["HIB2B_DATABASE_URL"])
    assert again.returncode == 1 and "ya tiene tickets" in again.stderr
    # The old SQLite file is history: nothing starts on it by mistake (a replica whose settings
    # lack the URL would split the desk in two).
    stale = await run_cli_async(tmp_path, folder, "numeracion")
    assert stale.returncode == 2 and "se migró a PostgreSQL" in stale.stderr
    on_pg = {"HIB2B_DATA_DIR": folder["HIB2B_DATA_DIR"], **shared}
    backup = await run_cli_async(tmp_path, on_pg, "respaldo", str(tmp_path / "respaldo"))
    assert backup.returncode == 1 and "pg_dump" in backup.stderr
    assert "Traceback" not in backup.stderr and not (tmp_path / "respaldo").exists()

    # The same desk on PostgreSQL: its tickets, timelines, search and client; nothing sent
    # again; the numbering goes on.
    moved_desk = await start_desk(**env, **shared)
    assert "No puedo entrar al portal desde ayer." in await said(moved_desk, "ver 2")
    assert "HD-2" in await said(moved_desk, "buscar llamó")
    assert "HD-1" in await said(moved_desk, "buscar guía adjunta")
    assert "acme" in await said(moved_desk, "cliente lista", "U0LEAD")
    await moved_desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == before_cards + 1)
    await moved_desk.drained()
    assert "HD-4" in str(fake_slack.cards()[-1])
    assert len(fake_slack.cards()) == before_cards + 1
    assert len(smtp.messages) == before_emails + 1
    assert "Estado: Cerrado" in await said(moved_desk, "ver 3")


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    response = await desk.slack(slash_command(line, user))
    return json.loads(response.text)["text"]


async def test_a_dropped_database_connection_hands_over_nothing_twice(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp, shared: dict[str, str]
) -> None:
    """The leader's presence connection is cut (a failover, a proxy's reset) while it is alive
    and sending: it stops leading at once, comes back under the same number, and its claim is
    finished by itself, not handed to the other replica."""
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **ENV, **shared}
    env["HIB2B_WATCH_INTERVAL"] = "0.5s"
    first = await Service(tmp_path, env).start()
    second: Service | None = None
    try:
        await _until(lambda: _leads(first), 10, "the first replica leading")
        second = await Service(tmp_path, env).start()
        # The card reaches Slack, the answer is lost after 3 s: the first one is mid-send.
        fake_slack.fail("chat.postMessage", times=1, stall_s=3, after_effect=True)
        await first.submit()
        await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=10)
        cut = await pg.rows_at(
            shared,
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            f" AND classid::bigint = {LOCK_CLASS} AND objid::bigint = {LEADER_LOCK} AND granted",
        )
        assert cut == [(True,)]

        async def one_leader_again() -> bool:
            return [await _leads(first), await _leads(second)].count(True) == 1

        await _until(one_leader_again, 5, "one leader after the cut")
        await smtp.wait_for(1, timeout=15)
        await first.drained(timeout=15)
        assert len(fake_slack.cards()) == 1 and len(smtp.messages) == 1
        assert "no longer leads the desk" in first.log()
        assert "went back to the queue" not in second.log()
    finally:
        await _stop_alive(first, second)


@pytest.fixture
def own_cluster() -> Iterator[pg.Cluster]:
    """A PostgreSQL of this test's own, to be stopped under the service."""
    with pg.started_cluster() as cluster:
        yield cluster


async def test_postgresql_down_is_a_503_and_failing_health_and_then_it_goes_on(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp, own_cluster: pg.Cluster
) -> None:
    url = own_cluster.database_for(tmp_path / "data")
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **ENV, "HIB2B_DATABASE_URL": url}
    service = await Service(tmp_path, env).start()
    try:
        await service.submit()
        await smtp.wait_for(1, timeout=15)
        async with aiohttp.ClientSession() as http:
            async with http.get(service.url + "/soporte") as page:
                token = hidden_fields(await page.text())["form_token"]
            own_cluster.stop_server()

            async def failing() -> bool:
                _, body = await service.get_json("/healthz")
                return body["status"] == "failing" and body["database"] == "not writable"

            await _until(failing, 15, "health saying failing, in JSON")
            assert (await service.get_json("/readyz"))[0] == 503
            form = {**GOOD, "form_token": token}
            async with http.post(
                service.url + "/soporte", data=form, allow_redirects=False
            ) as refused:
                assert refused.status == 503
                assert "No pudimos registrar su reporte" in await refused.text()

            own_cluster.start_server()

            async def writable() -> bool:
                _, body = await service.get_json("/healthz")
                return body["database"] == "writable"

            await _until(writable, 30, "the database writable again")
            async with http.post(
                service.url + "/soporte", data=form, allow_redirects=False
            ) as accepted:
                assert accepted.status == 303
        await smtp.wait_for(2, timeout=20)
        await service.drained(timeout=20)
        assert sorted(_number(c) for c in fake_slack.cards()) == [1, 2]
        assert len(smtp.messages) == 2
    finally:
        await _stop_alive(service)
