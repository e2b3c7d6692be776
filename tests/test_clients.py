"""Client companies: forms by host and by path, suspended support, plans with their own
calendars, unknown clients for triage, and their management from Slack."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cases import clients
from bot.cases.team import OPERATOR
from store import tickets as store
from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, run_cli_async, slack_env, slash_command, view_submission
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

MX = ZoneInfo("America/Mexico_City")
TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
FRIDAY_EVENING = datetime(2026, 11, 20, 17, tzinfo=MX)


@pytest.fixture
async def desk(start_desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> Desk:
    desk = await start_desk(
        now=lambda: FRIDAY_EVENING, **slack_env(fake_slack.url), **smtp_env(smtp), **TEAM
    )
    db, now = desk.services.db, FRIDAY_EVENING
    await clients.add(db, OPERATOR, "acme", "Acme S.A. de C.V.", ["acme.portalhib2b.com"], now)
    await clients.add(
        db,
        OPERATOR,
        "beta",
        "Beta Industrial",
        ["beta.portalhib2b.com"],
        now,
        status=clients.SUSPENDIDO,
    )
    await clients.add(db, OPERATOR, "gamma", "Gamma 24/7", ["portal.gamma.mx"], now)
    await clients.set_plan(
        db,
        desk.services.policies,
        OPERATOR,
        "gamma",
        ["dias=mon-sun", "horas=00:00-24:00", "feriados=none"],
        now,
    )
    return desk


async def test_forms_by_host_and_by_path(desk: Desk) -> None:
    by_host = await desk.get("/soporte.php", headers={"Host": "acme.portalhib2b.com"})
    assert "Portal de proveedores de <strong>Acme S.A. de C.V.</strong>" in by_host.text
    assert 'value="https://acme.portalhib2b.com"' in by_host.text
    by_path = await desk.get("/soporte/beta")
    assert "Beta Industrial" in by_path.text
    assert (await desk.get("/soporte/beta/soporte.php")).status == 200

    await desk.submit({**GOOD, "liga_portal": ""}, headers={"Host": "acme.portalhib2b.com"})
    await desk.submit(path="/soporte/gamma")
    first, second = [await store.get_ticket(desk.services.db, n) for n in (1, 2)]
    assert (first.client, second.client) == ("acme", "gamma")  # type: ignore[union-attr]


async def test_unknown_client_still_gets_its_ticket_for_triage(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    assert (await desk.submit(path="/soporte/zeta")).status == 303
    assert (await desk.submit(headers={"Host": "omega.portalhib2b.com"})).status == 303
    assert (await desk.submit()).status == 303  # the desk's own address: no client, no triage
    tickets = [await store.get_ticket(desk.services.db, n) for n in (1, 2, 3)]
    assert [(t.client, t.triage) for t in tickets] == [(None, 1), (None, 1), (None, 0)]
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 3)
    assert "Cliente desconocido" in json.dumps(fake_slack.cards()[0]["blocks"], ensure_ascii=False)


async def test_plans_give_different_deadlines(desk: Desk) -> None:
    await desk.submit(path="/soporte/acme")
    await desk.submit(path="/soporte/gamma")
    acme, gamma = [await store.get_ticket(desk.services.db, n) for n in (1, 2)]
    assert acme.fc_due_at == datetime(2026, 11, 23, 12, tzinfo=MX)  # type: ignore[union-attr]
    assert gamma.fc_due_at == datetime(2026, 11, 20, 21, tzinfo=MX)  # type: ignore[union-attr]


async def test_suspended_support(desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> None:
    await desk.submit(path="/soporte/beta")
    [mail] = await smtp.wait_for(1)
    text = " ".join(mail.get_body(preferencelist=("plain",)).get_content().split())
    assert "el soporte de su empresa no se encuentra vigente" in text
    assert "a más tardar" not in text
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.sla_runs == 0 and ticket.fc_due_at is None
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())
    assert "Soporte no vigente" in json.dumps(card["blocks"], ensure_ascii=False)

    refused = json.loads((await desk.slack(slash_command("cliente aceptar HD-1"))).text)
    assert refused["text"].startswith("Solo un líder")
    accepted = json.loads(
        (await desk.slack(slash_command("cliente aceptar HD-1", user="U0LEAD"))).text
    )
    assert accepted["text"] == "HD-1 aceptado: sus relojes de SLA empiezan ahora."
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.sla_runs == 1
    assert ticket.fc_due_at == datetime(2026, 11, 23, 12, tzinfo=MX)


async def test_leads_manage_clients_from_slack(desk: Desk) -> None:
    async def say(text: str, user: str = "U0LEAD") -> str:
        return json.loads((await desk.slack(slash_command(text, user))).text)["text"]

    assert "`acme` · Acme S.A. de C.V. · vigente" in await say("cliente lista")
    assert await say("cliente alta delta delta.portalhib2b.com Delta Comercial") == (
        "Cliente `delta` (Delta Comercial) dado de alta."
    )
    assert await say("cliente alta gracias x.portalhib2b.com X") == (
        "«gracias» es una palabra reservada; elija otra clave."
    )
    assert "ya es del cliente `acme`" in await say("cliente alta eps acme.portalhib2b.com E")
    assert await say("cliente suspender delta") == (
        "El soporte de `delta` (Delta Comercial) queda suspendido."
    )
    assert await say("cliente suspender delta", user="U0TECH1") == (
        "Solo un líder puede administrar clientes."
    )
    assert "Plan no válido" in await say("cliente plan delta horas=9-18")
    assert "soporte suspendido" in await say("cliente ver delta")
    await desk.submit(path="/soporte/acme")
    await desk.submit(path="/soporte/gamma")
    listing = await say("lista abiertos acme")
    assert "de Acme S.A. de C.V. (1)" in listing and "HD-1" in listing and "HD-2" not in listing
    audit = await desk.services.db.fetchall(
        "SELECT action FROM audit WHERE ticket IS NULL ORDER BY id"
    )
    assert [row[0] for row in audit][-2:] == ["cliente_alta", "cliente_estado"]


async def test_a_technician_opens_a_ticket_for_a_caller(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    assert (await desk.slack(slash_command("nuevo"))).status == 200
    [opened] = await fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "hib2b_nuevo"
    assert "Acme S.A. de C.V." in json.dumps(view, ensure_ascii=False)

    fields = {
        "origen": ("radio_buttons", "telefono"),
        "descripcion": "No le llegan los pagos",
        "usuario": "XAXX010101000",
        "correo": "pagos@proveedor.mx",
        "liga_portal": "",
        "tipo": ("static_select", "no_lo_se"),
        "severidad": ("static_select", ""),
        "cliente": ("static_select", "acme"),
    }
    bad = await desk.slack(
        view_submission("hib2b_nuevo", 0, {**fields, "correo": "pagos@"}, user="U0TECH1")
    )
    assert json.loads(bad.text)["errors"] == {
        "correo": "Revise el correo: debe tener la forma nombre@empresa.com, sin espacios."
    }
    good = await desk.slack(view_submission("hib2b_nuevo", 0, fields, user="U0TECH1"))
    assert good.status == 200 and good.text == ""
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None
    assert (ticket.source, ticket.client, ticket.opened_by, ticket.severity) == (
        "telefono",
        "acme",
        "U0TECH1",
        "medio-alto",
    )
    assert ticket.first_contact_at == ticket.created_at  # opened during the call
    [mail] = await smtp.wait_for(1)
    assert mail["Subject"] == "[HD-1] Ticket generado: No lo sé"
    await fake_slack.wait_for(
        lambda: any(
            "Creé HD-1" in c.args["text"] for c in fake_slack.calls_to("chat.postEphemeral")
        )
    )


async def test_nuevo_from_the_command_line(desk: Desk, tmp_path) -> None:
    env = {"HIB2B_DATA_DIR": str(desk.settings.data_dir), "HIB2B_SECRET_KEY": "k" * 40}
    done = await run_cli_async(
        tmp_path,
        env,
        "nuevo",
        "correo",
        "ana@proveedor.mx",
        "ana",
        "olvide_contrasena",
        "No",
        "recuerdo",
        "mi",
        "contraseña",
    )
    assert done.returncode == 0 and done.stdout.startswith("Creé HD-1")
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.source == "correo" and ticket.first_contact_at is None


async def test_sla_for_one_client(desk: Desk) -> None:
    await desk.submit(path="/soporte/acme")
    await desk.submit(path="/soporte/gamma")
    await desk.submit(path="/soporte/gamma")
    response = json.loads((await desk.slack(slash_command("sla gamma"))).text)
    shown = json.dumps(response["blocks"], ensure_ascii=False)
    assert "SLA de Gamma 24/7" in shown and "*Abiertos: 2*" in shown
    everything = json.dumps(
        json.loads((await desk.slack(slash_command("sla"))).text)["blocks"], ensure_ascii=False
    )
    assert "*Abiertos: 3*" in everything
    assert (
        "No existe el cliente"
        in json.loads((await desk.slack(slash_command("sla zeta"))).text)["text"]
    )


async def test_forwarded_host_counts_only_from_a_trusted_proxy(start_desk) -> None:
    now = FRIDAY_EVENING
    trusting = await start_desk(now=lambda: now, HIB2B_TRUSTED_PROXIES="127.0.0.1")
    await clients.add(trusting.services.db, OPERATOR, "acme", "Acme", ["acme.portalhib2b.com"], now)
    page = await trusting.get("/soporte", headers={"X-Forwarded-Host": "acme.portalhib2b.com"})
    assert "Portal de proveedores de <strong>Acme</strong>" in page.text


async def test_untrusted_forwarded_host_is_ignored(desk: Desk) -> None:
    page = await desk.get("/soporte", headers={"X-Forwarded-Host": "acme.portalhib2b.com"})
    assert "Portal de proveedores de" not in page.text


async def test_operators_import_clients_and_issue_api_keys(tmp_path) -> None:
    env = {"HIB2B_DATA_DIR": str(tmp_path / "data"), "HIB2B_SECRET_KEY": "k" * 40}
    (tmp_path / "clientes.csv").write_text(
        "clave,nombre,hosts,estado,rfc\n"
        "acme,Acme S.A.,acme.portalhib2b.com,vigente,\n"
        "beta,Beta,beta.portalhib2b.com;portal.beta.mx,suspendido,IIA040805DZ4;cacx7605101p8\n"
        "privacidad,Mal,x.portalhib2b.com,\n"
        "gamma,Gamma,gamma.portalhib2b.com,vigente,IIA040805DZ5\n",
        encoding="utf-8",
    )
    imported = await run_cli_async(
        tmp_path, env, "importar-clientes", "clientes.csv", "--crear"
    )  # before the service ever ran: the operator says a new desk is meant
    assert imported.returncode == 1  # one row refused, and said why
    assert imported.stdout.strip() == "2 cliente(s) dado(s) de alta."
    assert "línea 4: «privacidad» es una palabra reservada" in imported.stderr
    assert "línea 5: El dígito verificador de IIA040805DZ5 no corresponde" in imported.stderr
    issued = await run_cli_async(tmp_path, env, "api-clave", "emitir", "acme")
    assert issued.returncode == 0 and issued.stdout.startswith("hib2b_")
    listed = await run_cli_async(tmp_path, env, "api-clave", "lista")
    assert "acme" in listed.stdout and "activa" in listed.stdout
    assert issued.stdout.strip() not in listed.stdout  # the key itself is never shown again
    revoked = await run_cli_async(tmp_path, env, "api-clave", "revocar", "1")
    assert revoked.stdout.strip() == "Clave 1 revocada."
    beta = await run_cli_async(tmp_path, env, "cliente", "ver", "beta")
    assert "soporte suspendido" in beta.stdout and "portal.beta.mx" in beta.stdout
    assert "RFC: IIA040805DZ4, CACX7605101P8" in beta.stdout
