"""The service as an operator runs it: `python -m bot` in its own process, on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from tests import pg
from tests.desk import send_form
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    def __init__(self, folder: Path, env: dict[str, str], port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "HIB2B_DATA_DIR": str(folder / "data"),
            "HIB2B_SECRET_KEY": "k" * 40,
            "HIB2B_PORT": str(self.port),
            "HIB2B_RETRY_BASE": "0.1s",
            "HIB2B_RETRY_MAX": "0.5s",
            "HIB2B_FORM_RATE_LIMIT": "0",
            "HIB2B_REPORT_SCHEDULE": "off",
            "HIB2B_SHUTDOWN_GRACE": "2s",
            **pg.database_url(folder / "data"),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        # Its own log, whatever the port: a port freed by one test service may be given again.
        self.log_path = folder / f"service-{uuid.uuid4().hex[:8]}.log"

    def spawn(self) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=self.env,
                cwd=self.folder,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        return self.process

    async def start(self) -> Service:
        self.spawn()
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                assert self.process is not None
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
        self.kill()
        raise AssertionError("the service did not start: " + self.log())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def submit(self) -> str:
        async with aiohttp.ClientSession() as http:
            return await send_form(http, self.url)

    async def get_json(self, path: str) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http, http.get(self.url + path) as response:
            return response.status, json.loads(await response.text())

    async def drained(self, timeout: float = 15.0) -> None:
        """Wait until the service's delivery queue has nothing left to send."""
        deadline = time.monotonic() + timeout
        while True:
            _, body = await self.get_json("/healthz")
            if body["deliveries"]["pending"] + body["deliveries"]["sending"] == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the queue did not drain: {body['deliveries']}")
            await asyncio.sleep(0.05)

    async def delivered_once(self, fake_slack: FakeSlack, smtp: FakeSmtp) -> None:
        """After a restart: the card and the confirmation arrive, and nothing twice."""
        await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=15)
        await smtp.wait_for(1, timeout=15)
        await self.drained()
        assert len(fake_slack.cards()) == 1 and len(smtp.messages) == 1

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, then the exit status (the process is killed if it overstays `timeout`)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the service did not stop within {timeout}s") from None

    async def stop_async(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM off the event loop (fakes in this loop keep answering); status, seconds."""
        started = time.monotonic()
        status = await asyncio.to_thread(self.stop, timeout)
        return status, time.monotonic() - started
