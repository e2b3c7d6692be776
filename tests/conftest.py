from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests import pg
from tests.desk import Desk, settings_for, slack_env
from tests.fakes.dovecot import Dovecot
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp


@pytest.fixture(scope="session", autouse=True)
def postgres_cluster() -> Iterator[pg.Cluster | None]:
    """Under HIB2B_TEST_ENGINE=postgresql, the session's PostgreSQL (removed at the end)."""
    if pg.ENGINE != "postgresql":
        yield None
        return
    with pg.started_cluster() as cluster:
        pg.CLUSTER = cluster
        try:
            yield cluster
        finally:
            pg.CLUSTER = None


@pytest.fixture(autouse=True)
def fresh_databases(
    request: pytest.FixtureRequest, postgres_cluster: pg.Cluster | None
) -> Iterator[None]:
    """Set up before and ended after every other fixture of a test: its desks are stopped by
    then, and its databases are dropped. A test marked `sqlite_file` is about the SQLite file
    itself (its locks, a full disk, its backup): it runs on SQLite under either engine."""
    if postgres_cluster is None:
        yield
        return
    if request.node.get_closest_marker("sqlite_file"):
        pg.CLUSTER = None
        try:
            yield
        finally:
            pg.CLUSTER = postgres_cluster
        return
    try:
        yield
    finally:
        postgres_cluster.drop_created()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


@pytest.fixture
def smtp() -> FakeSmtp:
    server = FakeSmtp().start()
    yield server
    server.stop()


StartDesk = Callable[..., Awaitable[Desk]]


@pytest.fixture
async def start_desk(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp
) -> AsyncIterator[StartDesk]:
    """Start the real service (several times, on one data folder, to test restarts). It asks
    for the fakes so that pytest stops every desk before the fakes it talks to."""
    running: list[Desk] = []

    async def start(now=None, **env: str) -> Desk:
        desk = await Desk(settings_for(tmp_path / "data", **env), now).start()
        running.append(desk)
        return desk

    yield start
    for desk in reversed(running):
        await desk.stop()


@pytest.fixture
async def desk(start_desk: StartDesk, fake_slack: FakeSlack, smtp: FakeSmtp) -> Desk:
    """The service in HTTP mode, with the fake Slack and a real SMTP server."""
    return await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp))


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """Debian's Dovecot as the support mailbox, in a folder of its own."""
    server = Dovecot().start()
    yield server
    server.remove()


@pytest.fixture
async def mail_desk(
    start_desk: StartDesk, fake_slack: FakeSlack, smtp: FakeSmtp, dovecot: Dovecot
) -> Desk:
    """The service reading the mailbox, with HD-1 submitted from the form, carded and mailed."""
    desk = await start_desk(
        **slack_env(fake_slack.url), **smtp_env(smtp), **dovecot.env(), HIB2B_TECHNICIANS="U0TECH1"
    )
    await desk.submit()
    await fake_slack.wait_for(lambda: fake_slack.cards())
    await smtp.wait_for(1)
    return desk


def smtp_env(smtp: FakeSmtp) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none"}
