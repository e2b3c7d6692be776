"""A person's rights over their data (`hib2b privacidad`) and the retention period, against the
real service, its SQLite file and its data folder: what is found and exported, and after
suppression a byte-level search of the database (WAL included) and every file for the person's
address, user name and words — with the SLA figures unchanged."""

from __future__ import annotations

import asyncio
import json
import re
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.cases import period
from bot.domain.periods import Period
from tests import pg
from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, run_cli_async, slack_env, slash_command
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.samples import PDF

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
ANA = {
    **GOOD,
    "correo": "Ana.Perez@proveedor-unico.mx",
    "usuario": "anaperez7731",
    "descripcion": "Mi factura F-99812 de la bodega Tlalnepantla no carga.",
}
TRACES = (
    rb"(?<![a-z.])ana\.perez@proveedor-unico\.mx",  # not inside juliana.perez@…, kept
    rb"anaperez7731",
    rb"tlalnepantla",
    rb"f-99812",
)
JULIANA = "juliana.perez@proveedor-unico.mx"  # another person: her address holds Ana's


def traces_in(folder: Path) -> list[str]:
    """Every file under `folder` holding one of ANA's traces (any case), and which."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [f"{path.name}: {t.decode()}" for t in TRACES if re.search(t, data)]
    if pg.CLUSTER is not None:  # the database is not a file here: its rows
        rows = pg.stored(folder).lower()
        found += [f"database: {t.decode()}" for t in TRACES if re.search(t, rows)]
    return found


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    response = await desk.slack(slash_command(line, user))
    return json.loads(response.text)["text"]


async def figures(desk: Desk) -> tuple:
    """The SLA figures a lead sees for all time: they must not move when data is suppressed."""
    drawn = await period.gather(
        desk.services.parts, Period(date.today() - timedelta(30), date.today() + timedelta(1))
    )
    report = drawn.report
    return (
        report.received,
        report.closed,
        dict(report.outcomes),
        (report.first_contact.on_time, report.first_contact.total),
        (report.resolution.on_time, report.resolution.total),
        {k: (v.on_time, v.total) for k, v in report.resolution_by_severity.items()},
    )


async def test_find_export_and_suppress_a_persons_data(
    tmp_path: Path, start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk: Desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    assert (await desk.submit(ANA, files=[("estado-de-cuenta.pdf", PDF)])).status == 303
    assert (await desk.submit({**ANA, "correo": "ana.perez@PROVEEDOR-UNICO.mx"})).status == 303
    assert (await desk.submit()).status == 303  # somebody else
    await said(desk, "tomar 1")
    await said(desk, "responder 1 Ya quedó, Ana: intente de nuevo con F-99812.")
    await said(desk, "nota 3 El proveedor ana.perez@proveedor-unico.mx llamó por este también.")
    await said(desk, f"nota 3 Su colega {JULIANA} también escribió.")
    await said(desk, "cerrar 1 acceso Se restableció el acceso.")
    await desk.drained()
    before = await figures(desk)
    env = {"HIB2B_DATA_DIR": str(desk.settings.data_dir), "HIB2B_SECRET_KEY": "k" * 40}
    data = desk.settings.data_dir

    found = await run_cli_async(
        tmp_path, env, "privacidad", "buscar", "ANA.PEREZ@proveedor-unico.mx"
    )
    assert found.returncode == 0, found.stderr
    tickets = [line.split()[0] for line in found.stdout.splitlines() if line.startswith("  HD-")]
    assert tickets[:2] == ["HD-1", "HD-2"] and "HD-3" not in tickets
    assert (
        "estado-de-cuenta.pdf" in found.stdout
        and "Mencionado en otros tickets: HD-3" in found.stdout
    )

    archive = tmp_path / "ana.zip"
    done = await run_cli_async(
        tmp_path,
        env,
        "privacidad",
        "exportar",
        "ana.perez@proveedor-unico.mx",
        "--salida",
        str(archive),
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        summary = json.loads(opened.read("resumen.json"))
        pdf = [n for n in names if n.endswith("estado-de-cuenta.pdf")]
        assert pdf and opened.read(pdf[0]) == PDF
        emails = [n for n in names if n.endswith(".eml")]
    assert [t["ticket"] for t in summary["tickets"]] == ["HD-1", "HD-2"]
    assert summary["tickets"][0]["descripcion"] == ANA["descripcion"]
    texts = json.dumps(summary["tickets"][0]["historial"], ensure_ascii=False)
    assert "intente de nuevo con F-99812" in texts
    assert len(emails) >= 3  # confirmation of each, the reply, the closing

    # Not without --confirmar, and not while a ticket of theirs is open.
    dry = await run_cli_async(
        tmp_path, env, "privacidad", "suprimir", "ana.perez@proveedor-unico.mx"
    )
    assert dry.returncode == 1 and "--confirmar" in dry.stderr
    still_open = await run_cli_async(
        tmp_path, env, "privacidad", "suprimir", "ana.perez@proveedor-unico.mx", "--confirmar"
    )
    assert still_open.returncode == 1 and "HD-2" in still_open.stderr
    assert traces_in(data)  # nothing was touched

    await said(desk, "cerrar 2 spam")
    await desk.drained()
    before = await figures(desk)
    gone = await run_cli_async(
        tmp_path, env, "privacidad", "suprimir", "ana.perez@proveedor-unico.mx", "--confirmar"
    )
    assert gone.returncode == 0, gone.stderr
    assert "suprimidos en 2 ticket(s)" in gone.stdout
    await desk.drained()  # the cards drawn again without the data
    updated = [
        c.args for c in fake_slack.calls_to("chat.update") if "(datos suprimidos)" in str(c.args)
    ]
    assert len(updated) >= 2 and not any("proveedor-unico" in str(a) for a in updated)

    assert await figures(desk) == before  # anonymous statistics stay as they were
    await desk.stop()  # its connections closed: every byte is on disk to be searched
    assert traces_in(data) == []
    assert JULIANA.encode() in pg.stored(data)  # not hers to lose
    # The privacy log names the requests, not the person.
    logged = await pg.rows(data, "SELECT action, subject FROM privacy_requests ORDER BY id")
    assert [action for action, _ in logged] == [
        "buscar",
        "buscar",
        "exportar",
        "buscar",
        "buscar",
        "buscar",
        "suprimir",
    ]
    assert {len(subject) for _, subject in logged} == {27}  # an HMAC, never the address


async def test_retention_suppresses_old_closed_tickets_only(
    start_desk, fake_slack: FakeSlack
) -> None:
    env = {**slack_env(fake_slack.url), **TEAM, "HIB2B_RETENTION": "off"}
    desk = await start_desk(**env)
    await desk.submit(ANA)
    await desk.submit({**ANA, "descripcion": "Tlalnepantla otra vez, sigue abierto."})
    await said(desk, "cerrar 1 spam")
    await desk.drained()
    await desk.stop()

    later = datetime.now(UTC) + timedelta(days=9)
    again = await start_desk(lambda: later, **{**env, "HIB2B_RETENTION": "8d"})
    db = again.services.db
    deadline = time.monotonic() + 10
    while (await db.fetchone("SELECT suppressed_at FROM tickets WHERE number = 1"))[0] is None:
        assert time.monotonic() < deadline, "the retention worker did not run"
        await asyncio.sleep(0.02)
    one = await db.fetchone("SELECT usuario, correo, descripcion FROM tickets WHERE number = 1")
    assert tuple(one) == ("(datos suprimidos)", "", "(datos suprimidos)")
    two = await db.fetchone("SELECT correo, suppressed_at FROM tickets WHERE number = 2")
    assert tuple(two) == (ANA["correo"], None)  # open: kept, the desk still serves it
    logged = await db.fetchone("SELECT action, subject, tickets FROM privacy_requests")
    assert tuple(logged) == ("retencion", "", 1)
