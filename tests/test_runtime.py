"""Faults against the real service process: the database locked by another process, Slack
stalled while the service stops, a second instance, a taken port, a full disk, private files,
and `hib2b estado`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from store import tickets as store
from tests import samples
from tests.conftest import smtp_env
from tests.desk import GOOD, hidden_fields, run_cli_async, slack_env, slash_command, stored_uploads
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.service import Service

ALWAYS_OPEN = {
    "HIB2B_BUSINESS_DAYS": "mon-sun",
    "HIB2B_BUSINESS_HOURS": "00:00-24:00",
    "HIB2B_HOLIDAYS": "none",
}
QUICK_RUNTIME = {
    "HIB2B_DB_BUSY_TIMEOUT": "0.3s",
    "HIB2B_RESTART_BASE": "0.1s",
    "HIB2B_WATCH_INTERVAL": "0.2s",
}


async def _until(predicate, timeout: float = 15.0, what: str = "condition") -> None:
    """Wait for a condition the service will reach, looking every 50 ms."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.05)


async def _post_form(url: str, files: list[tuple[str, bytes]] = ()) -> tuple[int, str]:  # type: ignore[assignment]
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/soporte") as page:
            token = hidden_fields(await page.text())["form_token"]
        form = aiohttp.FormData()
        form.add_field("form_token", token)
        for name, value in GOOD.items():
            form.add_field(name, value)
        for filename, data in files:
            form.add_field("adjuntos", data, filename=filename)
        async with http.post(url + "/soporte", data=form, allow_redirects=False) as response:
            return response.status, await response.text()


def _tickets(data: Path) -> int:
    with contextlib.closing(sqlite3.connect(data / "hib2b.sqlite3", timeout=5)) as conn:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]


@pytest.mark.sqlite_file
async def test_a_write_lock_held_past_busy_timeout_loses_no_card_and_no_reminder(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    env = {
        **slack_env(fake_slack.url),
        **ALWAYS_OPEN,
        **QUICK_RUNTIME,
        "HIB2B_SLA_FIRST_CONTACT": "4s,8s",
    }
    service = await Service(tmp_path, env).start()
    try:
        # An operator's sqlite3 session holds the write lock for 2 s (busy_timeout: 0.3 s).
        operator = sqlite3.connect(tmp_path / "data" / "hib2b.sqlite3", isolation_level=None)
        operator.execute("BEGIN IMMEDIATE")

        async def workers_failed() -> bool:
            _, body = await service.get_json("/healthz")
            lanes = body["workers"]
            return lanes["outbox-slack"]["restarts"] >= 1 and lanes["sla-watcher"]["restarts"] >= 1

        await _until(workers_failed, what="workers failing on the lock")
        status, page = await _post_form(service.url)
        assert status == 503 and "No pudimos registrar su reporte" in page
        _code, body = await service.get_json("/healthz")
        assert body["status"] == "failing" and body["database"] == "not writable"
        assert (await service.get_json("/readyz"))[0] == 503
        operator.execute("ROLLBACK")
        operator.close()

        # The lanes and the watcher came back by themselves: a new ticket's card and all three
        # reminders of its first-contact clock still arrive.
        await service.submit()
        [card] = await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=15)

        def reminders() -> list[str]:
            return [m["text"] for m in fake_slack.replies(card["ts"]) if m.get("reply_broadcast")]

        await fake_slack.wait_for(lambda: len(reminders()) == 3, timeout=15)
        assert ["objetivo" in reminders()[0], "vencido" in reminders()[2]] == [True, True]

        async def ready() -> bool:
            return (await service.get_json("/readyz"))[0] == 200

        await _until(ready, what="ready again")
        _, body = await service.get_json("/healthz")
        assert body["status"] == "degraded"  # a worker failed in the last 5 minutes
        assert all(w["state"] == "running" for w in body["workers"].values())
        assert "Traceback" in service.log() and "worker outbox-slack failed" in service.log()
    finally:
        assert (await service.stop_async())[0] == 0


class SilentServer:
    """A TCP server that accepts connections and never says a word: a hung Slack or SMTP."""

    def __init__(self) -> None:
        self.connections: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> SilentServer:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections.append(writer)

        self._server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self.connections:
            writer.close()

    async def reached(self) -> bool:
        return bool(self.connections)


async def test_sigterm_while_slack_and_smtp_hang_exits_in_time_and_sends_once_later(
    tmp_path: Path, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    fake_slack.fail("chat.postMessage", times=1, stall_s=120)
    async with SilentServer() as hung_smtp:
        stalled = {
            **slack_env(fake_slack.url),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(hung_smtp.port),
            "SMTP_TLS": "none",
            "SMTP_TIMEOUT": "120s",
            "HIB2B_SHUTDOWN_GRACE": "1s",
        }
        service = await Service(tmp_path, stalled).start()
        await service.submit()
        await fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage"))
        await _until(hung_smtp.reached, what="the email lane talking to the silent server")
        status, seconds = await service.stop_async(timeout=15)
    assert status == 0 and seconds < 1 + 5, (seconds, service.log())
    assert fake_slack.cards() == [] and smtp.messages == []  # neither took anything

    healthy = {**slack_env(fake_slack.url), **smtp_env(smtp), "HIB2B_SHUTDOWN_GRACE": "1s"}
    restarted = await Service(tmp_path, healthy).start()
    try:
        await restarted.delivered_once(fake_slack, smtp)
    finally:
        assert (await restarted.stop_async())[0] == 0


@pytest.mark.sqlite_file
async def test_a_second_service_on_the_same_folder_says_so_in_one_line(tmp_path: Path) -> None:
    first = await Service(tmp_path, {}).start()
    try:
        second = Service(tmp_path, {})
        process = second.spawn()
        assert await asyncio.to_thread(process.wait, 15) == 1
        assert second.log().strip().splitlines() == [
            f"hib2b: another service is running on {tmp_path / 'data'} (pid {first.process.pid})"  # type: ignore[union-attr]
        ]
        _, body = await first.get_json("/healthz")
        assert body["status"] == "ok"
    finally:
        assert (await first.stop_async())[0] == 0
    again = await Service(tmp_path, {}).start()  # the lock went with the first process
    assert (await again.stop_async())[0] == 0


async def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = Service(tmp_path, {}, port=port)
        process = service.spawn()
        assert await asyncio.to_thread(process.wait, 15) == 1
    assert service.log().strip().splitlines() == [
        f"hib2b: port {port} on 127.0.0.1 is already in use (HIB2B_PORT)"
    ]


@pytest.mark.sqlite_file
async def test_the_data_folder_is_private_and_old_files_are_made_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "uploads").mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)
    old = data / "uploads" / "antigua.pdf"
    old.write_bytes(samples.PDF)
    os.chmod(old, 0o644)
    service = await Service(tmp_path, {}).start()
    try:
        status, _ = await _post_form(service.url, [("factura.pdf", samples.PDF)])
        assert status == 303
        mail = data / "mail" / "hd-1-mail-creado.eml"

        async def mailed() -> bool:
            return mail.exists()

        await _until(mailed, what="the confirmation .eml")
    finally:
        assert (await service.stop_async())[0] == 0
    modes = {
        path.relative_to(tmp_path).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in [data, *data.rglob("*")]
    }
    assert len(modes) >= 8, modes  # folder, database (+wal/shm), lock, uploads, two files, mail
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (tmp_path / name).is_dir() else 0o600)
    }
    assert wrong == {}


async def test_hib2b_estado_shows_the_workers_on_the_server(tmp_path: Path) -> None:
    service = await Service(tmp_path, {}).start()
    env = {k: v for k, v in service.env.items() if k.startswith("HIB2B_")}
    try:
        shown = await run_cli_async(tmp_path, env, "estado")
    finally:
        assert (await service.stop_async())[0] == 0
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("estado: bien (modo local")
    for worker in ("outbox-slack", "outbox-email", "sla-watcher", "janitor", "storage"):
        assert any(line.strip().startswith(worker) and "en marcha" in line for line in lines)
    gone = await run_cli_async(tmp_path, env, "estado")
    assert gone.returncode == 1 and gone.stderr.startswith("hib2b: no service answers at")


@contextlib.contextmanager
def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A small filesystem of its own (tmpfs), so a disk really fills or really refuses."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert mounted.returncode == 0, f"the test needs root to mount a tmpfs: {mounted.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with _tmpfs(tmp_path / "disk", "size=4m,mode=0700") as folder:
        yield folder


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    with _tmpfs(tmp_path / "solo-lectura", "ro,size=1m") as folder:
        yield folder


@pytest.mark.sqlite_file
async def test_a_full_disk_answers_503_stores_nothing_and_health_says_failing(
    tmp_path: Path, small_disk: Path
) -> None:
    env = {**QUICK_RUNTIME, "HIB2B_DATA_DIR": str(small_disk / "data")}
    service = await Service(tmp_path, env).start()
    filler = small_disk / "relleno"
    try:
        # Unbuffered: a write the full disk cut short leaves nothing for close() to flush again.
        with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        status, page = await _post_form(service.url, [("factura.pdf", samples.PDF)])
        assert status == 503 and "No pudimos registrar su reporte" in page
        assert "Traceback" not in page
        status, page = await _post_form(service.url)
        assert status == 503 and "intente de nuevo" in page

        async def failing() -> bool:
            code, body = await service.get_json("/healthz")
            return code == 200 and body["status"] == "failing"

        await _until(failing, what="failing health")
        assert _tickets(small_disk / "data") == 0
        assert stored_uploads(small_disk / "data") == []  # no half file

        filler.unlink()  # room again: the desk recovers by itself

        async def writable() -> bool:
            _, body = await service.get_json("/healthz")
            return body["database"] == "writable"

        await _until(writable, what="a writable database")
        status, _ = await _post_form(service.url, [("factura.pdf", samples.PDF)])
        assert status == 303
        assert _tickets(small_disk / "data") == 1
    finally:
        assert (await service.stop_async())[0] == 0


@pytest.mark.sqlite_file
async def test_a_slack_command_while_the_database_is_locked_says_nothing_was_saved(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url), HIB2B_TECHNICIANS="U0TECH1", HIB2B_DB_BUSY_TIMEOUT="0.2s"
    )
    await desk.submit()
    # Off the event loop: the desk must be able to finish what it has in hand meanwhile.
    operator = sqlite3.connect(desk.settings.db_path, isolation_level=None, check_same_thread=False)
    await asyncio.to_thread(operator.execute, "BEGIN IMMEDIATE")
    try:
        answer = json.loads((await desk.slack(slash_command("tomar 1"))).text)
    finally:
        operator.execute("ROLLBACK")
        operator.close()
    assert answer["text"].startswith("No se guardó nada: la base de datos no está disponible")
    taken = json.loads((await desk.slack(slash_command("tomar 1"))).text)
    assert taken["text"].startswith("Tomó HD-1") or "HD-1" in taken["text"]
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.assignee == "U0TECH1"


async def test_a_row_whose_file_is_gone_fails_alone_and_the_lane_goes_on(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url))
    fake_slack.fail("*", times=100_000, status=503)  # Slack down while the file disappears
    assert (await desk.submit(files=[("factura.pdf", samples.PDF)])).status == 303
    for stored in stored_uploads(desk.settings.data_dir):
        stored.unlink()
    assert (await desk.submit()).status == 303
    fake_slack.faults.clear()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 2, timeout=15)
    await desk.drained()
    rows = await desk.services.db.fetchall("SELECT key, status, last_error FROM outbox")
    failed = {row[0]: row[2] for row in rows if row[1] == "failed"}
    assert list(failed) == ["hd-1:file:1"] and "gone" in failed["hd-1:file:1"]
    lanes = {v.name: v.restarts for v in desk.services.supervisor.views()}
    assert lanes["outbox-slack"] == 0


@pytest.mark.sqlite_file
async def test_a_read_only_data_folder_or_database_is_one_line_at_start(
    tmp_path: Path, read_only_disk: Path
) -> None:
    on_ro = Service(tmp_path, {"HIB2B_DATA_DIR": str(read_only_disk)})
    assert await asyncio.to_thread(on_ro.spawn().wait, 15) == 1
    [line] = on_ro.log().strip().splitlines()
    assert line.startswith(f"hib2b: cannot use the data folder {read_only_disk}")

    database = read_only_disk / "hib2b.sqlite3"
    db_on_ro = Service(tmp_path, {"HIB2B_DB": str(database)})
    assert await asyncio.to_thread(db_on_ro.spawn().wait, 15) == 1
    [line] = db_on_ro.log().strip().splitlines() or [""]
    assert line.startswith("hib2b: the database cannot be written:") and str(database) in line


async def test_sigterm_while_starting_against_a_silent_slack_exits_in_time(
    tmp_path: Path,
) -> None:
    async with SilentServer() as slack:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_APP_TOKEN": "xapp-test",  # Socket Mode connects while the service starts
            "SLACK_API_URL": f"http://127.0.0.1:{slack.port}/api/",
            "HIB2B_CHANNEL": "C0SUPPORT",
            "HIB2B_SHUTDOWN_GRACE": "1s",
        }
        service = Service(tmp_path, env)
        service.spawn()
        await _until(slack.reached, what="the service calling Slack while it starts")
        status, seconds = await service.stop_async(timeout=15)
    assert status == 0 and seconds < 1 + 5, (seconds, service.log())
