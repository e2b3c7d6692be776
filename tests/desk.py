"""Starting the real service on loopback and talking to it as its users do."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.config import Settings, load_settings
from bot.wiring import RUNTIME, Runtime, create_app
from tests import pg

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def settings_env(data_dir: Path, **env: str) -> dict[str, str]:
    """The environment of a desk under test: fast retries, no form rate limit."""
    return {
        "HIB2B_DATA_DIR": str(data_dir),
        "HIB2B_SECRET_KEY": "k" * 40,
        "HIB2B_RETRY_BASE": "0.05s",
        "HIB2B_RETRY_MAX": "0.5s",
        "HIB2B_FORM_RATE_LIMIT": "0",
        # The weekly report only where a test asks for it: it would be one more upload.
        "HIB2B_REPORT_SCHEDULE": "off",
        **pg.database_url(data_dir),
        **env,
    }


def settings_for(data_dir: Path, **env: str) -> Settings:
    return load_settings(settings_env(data_dir, **env))


def slack_env(fake_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_url,
        "HIB2B_CHANNEL": "C0SUPPORT",
        **extra,
    }


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.hidden[values["name"] or ""] = values.get("value") or ""


def hidden_fields(page: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(page)
    return parser.hidden


GOOD = {
    "descripcion": "No puedo entrar al portal desde ayer.",
    "usuario": "xime1805",
    "correo": "xime@example.com",
    "liga_portal": "https://acme.portalhib2b.com",
    "tipo": "olvide_contrasena",
}


@dataclass
class Response:
    status: int
    text: str
    headers: Any
    url: str


class Desk:
    """The running service, an HTTP client, and shortcuts for the form and Slack requests."""

    def __init__(self, settings: Settings, now: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.app = create_app(settings, now) if now else create_app(settings)
        self.runner = web.AppRunner(self.app, shutdown_timeout=0.5)
        self.url = ""
        self.http: aiohttp.ClientSession | None = None

    @property
    def services(self) -> Runtime:
        return self.app[RUNTIME]

    async def start(self) -> Desk:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None
            await self.runner.cleanup()

    async def drained(self, timeout: float = 10.0) -> None:
        """Wait until the delivery queue has nothing left to send: what a test asserts after
        this is final, with no sleeping and hoping."""
        from store import outbox as queue

        deadline = time.monotonic() + timeout
        while True:
            counts = await queue.counts(self.services.db)
            if counts["pending"] == counts["sending"] == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the queue did not drain: {counts}")
            await asyncio.sleep(0.02)

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate` holds of the running service's state (asked every 20 ms)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached within {timeout} s: {predicate.__doc__}")
            await asyncio.sleep(0.02)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        assert self.http is not None
        async with self.http.get(self.url + path, headers=headers) as response:
            return Response(
                response.status, await response.text(), response.headers, str(response.url)
            )

    async def form_token(self, path: str = "/soporte") -> str:
        page = await self.get(path)
        assert page.status == 200
        return hidden_fields(page.text)["form_token"]

    async def submit(
        self,
        fields: dict[str, str] | None = None,
        files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
        token: str | None = None,
        path: str = "/soporte",
        follow: bool = False,
        extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
        headers: dict[str, str] | None = None,
    ) -> Response:
        assert self.http is not None
        if token is None:
            token = await self.form_token(path)
        form = aiohttp.FormData()
        form.add_field("form_token", token)
        form.add_field("sitio_web", "")
        for name, value in (GOOD if fields is None else fields).items():
            form.add_field(name, value)
        for name, value in extra:
            form.add_field(name, value)
        for filename, data in files:
            form.add_field(
                "adjuntos", data, filename=filename, content_type="application/octet-stream"
            )
        async with self.http.post(
            self.url + path, data=form, allow_redirects=follow, headers=headers
        ) as response:
            return Response(
                response.status, await response.text(), response.headers, str(response.url)
            )

    async def slack(
        self,
        body: str,
        *,
        secret: str = SIGNING_SECRET,
        timestamp: str | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Response:
        """POST /slack/events signed as Slack signs it (an event: `content_type` JSON)."""
        assert self.http is not None
        ts = timestamp if timestamp is not None else str(int(time.time()))
        signature = (
            "v0="
            + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        )
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }
        async with self.http.post(
            self.url + "/slack/events", data=body.encode(), headers=headers
        ) as response:
            return Response(
                response.status, await response.text(), response.headers, str(response.url)
            )


def run_cli(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in its own process, with `env` over this one's environment (and
    the data folder's database under the engine being tested)."""
    data_dir = folder / env.get("HIB2B_DATA_DIR", "data")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, **pg.database_url(data_dir), **env},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def run_cli_async(
    folder: Path,
    env: dict[str, str],
    *args: str,
) -> subprocess.CompletedProcess[str]:
    """`run_cli` off the event loop: a service in this loop may hold the database meanwhile."""
    return await asyncio.to_thread(run_cli, folder, env, *args)


async def send_form(http: aiohttp.ClientSession, base_url: str) -> str:
    """GET the form and POST it back filled with GOOD, as a browser would; returns Location."""
    async with http.get(base_url + "/soporte") as page:
        token = hidden_fields(await page.text())["form_token"]
    async with http.post(
        base_url + "/soporte", data={**GOOD, "form_token": token}, allow_redirects=False
    ) as response:
        assert response.status == 303, await response.text()
        return response.headers["Location"]


def _user(user: str) -> dict[str, str]:
    name = user.lower()
    return {"id": user, "username": name, "name": name, "team_id": "T0TEST"}


def block_action(
    action_id: str,
    value: str,
    user: str = "U0TECH1",
    channel: str = "C0SUPPORT",
    *,
    selected: str | None = None,
    block_id: str | None = None,
) -> str:
    """The form body Slack sends when someone uses a control on the card."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or f"ticket:{value.split(':')[-1]}",
        "action_ts": f"{time.time():.6f}",
    }
    if selected is None:
        action.update(type="button", value=value, text={"type": "plain_text", "text": "x"})
    else:
        action.update(
            type="static_select" if action_id == "ticket_severidad" else "overflow",
            selected_option={"text": {"type": "plain_text", "text": selected}, "value": selected},
        )
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": _user(user),
        "api_app_id": "A0TEST",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": "1800000001.000100",
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"trigger.{action_id}.{time.time()}",
        "channel": {"id": channel, "name": "soporte"},
        "message": {"ts": "1800000001.000100", "text": "HD-1"},
        "response_url": "https://hooks.invalid/actions/1",
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def home_opened(user: str = "U0TECH1") -> str:
    """The Events API body Slack sends when someone opens the app's Home tab."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user[1:],
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            },
        }
    )


def home_action(action_id: str, value: str, user: str = "U0TECH1") -> str:
    """The form body of a button clicked in App Home (no channel: the Home view)."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": _user(user),
        "api_app_id": "A0TEST",
        "token": "legacy",
        "container": {"type": "view", "view_id": "V" + user},
        "trigger_id": f"trigger.{action_id}.{time.time()}",
        "view": {"id": "V" + user, "type": "home", "blocks": []},
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"home:{value}",
                "type": "button",
                "value": value,
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    callback_id: str,
    number: int,
    values: dict[str, Any],
    user: str = "U0TECH1",
    view_id: str | None = None,
    channel: str = "C0SUPPORT",
) -> str:
    """The form body of a submitted modal; `values` maps block id → typed value, or
    ("static_select" | "radio_buttons" | "users_select", value)."""
    state: dict[str, Any] = {}
    for block, value in values.items():
        if isinstance(value, tuple):
            kind, chosen = value
            element: dict[str, Any] = {"type": kind}
            if kind == "users_select":
                element["selected_user"] = chosen
            else:
                element["selected_option"] = (
                    {"value": chosen, "text": {"type": "plain_text", "text": chosen}}
                    if chosen
                    else None
                )
        elif isinstance(value, list):
            element = {"type": "file_input", "files": value}
        else:
            element = {"type": "plain_text_input", "value": value}
        state[block] = {block: element}
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": _user(user),
        "api_app_id": "A0TEST",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "view": {
            "id": view_id or f"V{time.time_ns()}",
            "team_id": "T0TEST",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": f"{number}|{channel}",
            "state": {"values": state},
            "hash": "1.abc",
            "blocks": [],
        },
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def slash_command(text: str, user: str = "U0TECH1") -> str:
    """The form body of `/hib2b text`."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0TEST",
            "team_domain": "test",
            "channel_id": "C0SUPPORT",
            "channel_name": "soporte",
            "user_id": user,
            "user_name": "tecnico",
            "command": "/hib2b",
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": "https://hooks.invalid/cmd/1",
            "trigger_id": "1.2.3",
        }
    )


def formatted_texts(blocks: list[dict]) -> list[str]:
    """Every text Slack would format (mrkdwn and plain text objects) in these blocks."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "rich_text":
                return  # rich text is literal: it never formats, pings or links
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def literal_texts(blocks: list[dict]) -> list[str]:
    """The rich-text blocks' words, each block joined: what the supplier's text looks like."""
    return [
        "".join(
            part.get("text", "")
            for element in block.get("elements", [])
            for part in element.get("elements", [])
        )
        for block in blocks
        if block.get("type") == "rich_text"
    ]


def assert_within_block_kit(blocks: list[dict]) -> None:
    """What Slack would refuse: more than 50 blocks, or any block over its own limits."""
    from slack_sdk.models.blocks import Block

    from tests.fakes.slack import BLOCKS_TEXT_LIMIT, _block_text_length

    assert 0 < len(blocks) <= 50, len(blocks)
    assert _block_text_length(blocks) <= BLOCKS_TEXT_LIMIT
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        for text in literal_texts([block]):
            assert len(text) <= 3000


def stored_uploads(data_dir: Path) -> list[Path]:
    """The files kept under `uploads/`, without the health probe's own short-lived file (it
    appears every few seconds while the service runs)."""
    from store.files import PROBE_PREFIX

    folder = data_dir / "uploads"
    return (
        sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith(PROBE_PREFIX))
        if folder.exists()
        else []
    )
