"""A real IMAP server for the tests: Debian's Dovecot, started in a temporary folder on a
loopback port with one mailbox user, and messages delivered into it with IMAP APPEND."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import aioimaplib

USER, PASSWORD = "soporte", "secreto-de-prueba"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    def __init__(self) -> None:
        assert Path(DOVECOT).exists(), (
            "Debian's dovecot-imapd is needed: apt-get install dovecot-imapd"
        )
        # Dovecot's own users must reach the files: not under pytest's private (0700) folders.
        self.root = Path(tempfile.mkdtemp(prefix="hib2b-dovecot-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Dovecot:
        nobody = pwd.getpwnam("nobody")
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "home", nobody.pw_uid, nobody.pw_gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(root=self.root, port=self.port, uid=nobody.pw_uid, gid=nobody.pw_gid)
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise AssertionError("dovecot did not start: " + self.log())

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self) -> dict[str, str]:
        return {
            "IMAP_HOST": "127.0.0.1",
            "IMAP_PORT": str(self.port),
            "IMAP_TLS": "none",
            "IMAP_USERNAME": USER,
            "IMAP_PASSWORD": PASSWORD,
            "IMAP_POLL": "1s",
        }

    async def _client(self) -> aioimaplib.IMAP4:
        client = aioimaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        await client.wait_hello_from_server()
        await client.login(USER, PASSWORD)
        return client

    async def deliver(self, raw: bytes) -> None:
        client = await self._client()
        response = await client.append(raw, mailbox="INBOX")
        assert response.result == "OK", response
        await client.logout()

    async def flagged_done(self) -> int:
        client = await self._client()
        await client.select("INBOX")
        found = await client.uid_search("KEYWORD", "$Hib2bDone")
        await client.logout()
        return sum(len(line.split()) for line in found.lines[:-1])

    async def unflag_all(self) -> None:
        """As if the service had died after processing and before flagging."""
        client = await self._client()
        await client.select("INBOX")
        await client.uid("store", "1:*", "-FLAGS", "(\\Seen $Hib2bDone)")
        await client.logout()


async def wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)
