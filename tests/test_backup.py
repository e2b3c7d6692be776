"""`hib2b respaldo` and `hib2b restaurar` as an operator runs them (the real command line in its
own process, the service running meanwhile): a round trip loses nothing, a changed backup or a
data folder in use is refused, and a service starts on what was restored."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from store import tickets as store
from tests import samples
from tests.desk import Desk, run_cli_async, settings_for, slack_env
from tests.fakes.slack import FakeSlack

MINUTE = timedelta(minutes=1)
OWN_KEY = {"HIB2B_SECRET_KEY": ""}  # the key lives in the data folder, so the backup has it

# `hib2b respaldo` copies the SQLite file (PostgreSQL is backed up with pg_dump).
pytestmark = pytest.mark.sqlite_file


def rows(database: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_a_restored_backup_is_the_same_desk(
    tmp_path: Path, start_desk, fake_slack: FakeSlack
) -> None:
    desk: Desk = await start_desk(**slack_env(fake_slack.url), **OWN_KEY)
    await desk.submit(files=[("factura.pdf", samples.PDF), ("captura.jpg", samples.JPEG)])
    await desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 2)
    live = {"HIB2B_DATA_DIR": str(tmp_path / "data"), **OWN_KEY}
    made = await run_cli_async(tmp_path, live, "respaldo", "copia")
    assert made.returncode == 0, made.stderr
    assert "MANIFEST.sha256" in made.stdout
    again = await run_cli_async(tmp_path, live, "respaldo", "copia")
    assert again.returncode == 1 and "ya existe" in again.stderr  # never overwritten
    by_hand = subprocess.run(
        ["sha256sum", "--check", "--quiet", "MANIFEST.sha256"], cwd=tmp_path / "copia", check=False
    )
    assert by_hand.returncode == 0

    restored = tmp_path / "restaurado"
    done = await run_cli_async(
        tmp_path, {"HIB2B_DATA_DIR": str(restored), **OWN_KEY}, "restaurar", "copia"
    )
    assert done.returncode == 0, done.stderr
    original = tmp_path / "data"
    for sql in (
        "SELECT * FROM tickets ORDER BY number",
        "SELECT * FROM attachments ORDER BY id",
        "SELECT * FROM audit ORDER BY id",
        "SELECT key, status, payload FROM outbox ORDER BY id",
    ):
        assert rows(restored / "hib2b.sqlite3", sql) == rows(original / "hib2b.sqlite3", sql)
    names = [
        name for (name,) in rows(original / "hib2b.sqlite3", "SELECT stored_name FROM attachments")
    ]
    assert len(names) == 2
    for name in names:
        assert (restored / name).read_bytes() == (original / name).read_bytes()
    assert (restored / "secret.key").read_bytes() == (original / "secret.key").read_bytes()

    second = await Desk(settings_for(restored, **slack_env(fake_slack.url), **OWN_KEY)).start()
    try:
        assert (await second.get("/healthz")).status == 200
        ticket = await store.get_ticket(second.services.db, 1)
        assert ticket is not None and ticket.correo == "xime@example.com"
        # Links signed before the backup still open: the key came back with it.
        token = desk.services.signer.sign("form", "f-1", desk.services.now())
        assert second.services.signer.verify("form", token, desk.services.now(), MINUTE)
    finally:
        await second.stop()


async def test_restore_refuses_a_changed_backup_and_a_folder_in_use(
    tmp_path: Path, start_desk
) -> None:
    desk: Desk = await start_desk(**OWN_KEY)
    await desk.submit(files=[("factura.pdf", samples.PDF)])
    live = {"HIB2B_DATA_DIR": str(tmp_path / "data"), **OWN_KEY}
    assert (await run_cli_async(tmp_path, live, "respaldo", "copia")).returncode == 0
    in_use = await run_cli_async(tmp_path, live, "restaurar", "copia")
    assert in_use.returncode == 1 and "no está vacía" in in_use.stderr

    [pdf] = list((tmp_path / "copia" / "uploads").iterdir())
    changed = bytearray(pdf.read_bytes())
    changed[-1] ^= 1
    pdf.write_bytes(bytes(changed))
    target = tmp_path / "nuevo"
    bad = await run_cli_async(
        tmp_path, {"HIB2B_DATA_DIR": str(target), **OWN_KEY}, "restaurar", "copia"
    )
    assert bad.returncode == 1 and "cambió desde el respaldo" in bad.stderr
    assert f"uploads/{pdf.name}" in bad.stderr
    assert not target.exists()  # nothing half restored
