"""A real IMAP server for the tests: Debian's Dovecot, started in a temporary folder on a
loopback port with one mailbox user, and messages delivered into it with IMAP APPEND."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import aioimaplib

USER, PASSWORD = "soporte", "secreto-de-prueba"
# The service logs in as its own user on the same mailbox, so the log tells its logins apart
# from the deliveries the tests make.
SERVICE_USER = "servicio"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
auth_mechanisms = plain login{oauth2_mechanisms}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
{oauth2_passdb}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/soporte
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
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
    """`tls=True`: a self-signed certificate for 127.0.0.1 (its file is `ca_file`), IMAPS on
    `tls_port` and STARTTLS offered on `port`."""

    def __init__(self, tls: bool = False, introspection_url: str = "") -> None:
        assert Path(DOVECOT).exists(), (
            "Debian's dovecot-imapd is needed: apt-get install dovecot-imapd"
        )
        # Dovecot's own users must reach the files: not under pytest's private (0700) folders.
        self.root = Path(tempfile.mkdtemp(prefix="hib2b-dovecot-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        self.tls = tls
        # XOAUTH2: tokens checked against this RFC 7662 endpoint (`tests.fakes.oauth2`).
        self.introspection_url = introspection_url
        self.tls_port = _free_port() if tls else 0
        self.ca_file = self.root / "cert.pem"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Dovecot:
        nobody = pwd.getpwnam("nobody")
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "home", nobody.pw_uid, nobody.pw_gid)
        (self.root / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}::::::\n{SERVICE_USER}:{{PLAIN}}{PASSWORD}::::::\n"
        )
        ssl_setting = "ssl = no\ndisable_plaintext_auth = no"
        if self.tls:
            if not self.ca_file.exists():
                subprocess.run(
                    [
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=127.0.0.1",
                        "-addext",
                        "subjectAltName=IP:127.0.0.1",
                        "-keyout",
                        str(self.root / "key.pem"),
                        "-out",
                        str(self.ca_file),
                    ],
                    check=True,
                    capture_output=True,
                )
            # Passwords only over TLS: a client that skipped it could not log in.
            ssl_setting = (
                f"ssl = yes\nssl_cert = <{self.ca_file}\nssl_key = <{self.root / 'key.pem'}\n"
                "disable_plaintext_auth = yes"
            )
        oauth2_passdb = ""
        if self.introspection_url:
            (self.root / "oauth2.conf.ext").write_text(
                "introspection_mode = post\n"
                f"introspection_url = {self.introspection_url}\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
                "force_introspection = yes\n"
            )
            oauth2_passdb = (
                "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                f"  args = {self.root}/oauth2.conf.ext\n}}\n"
            )
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                oauth2_mechanisms=" xoauth2 oauthbearer" if self.introspection_url else "",
                oauth2_passdb=oauth2_passdb,
                root=self.root,
                port=self.port,
                uid=nobody.pw_uid,
                gid=nobody.pw_gid,
                ssl=ssl_setting,
                tls_port=self.tls_port,
            )
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

    def kick(self, user: str = SERVICE_USER) -> None:
        """End `user`'s sessions, as an administrator (or the server's own limits) would."""
        subprocess.run(
            ["doveadm", "-c", str(self.root / "dovecot.conf"), "kick", user],
            check=True,
            capture_output=True,
        )

    def service_logins(self) -> list[str]:
        """The log lines of the service's logins (they say `TLS` when encrypted)."""
        return [
            line
            for line in self.log().splitlines()
            if "Login:" in line and f"user=<{SERVICE_USER}>" in line
        ]

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self, tls: str = "none", oauth2: bool = False) -> dict[str, str]:
        """The service's IMAP settings: in clear (`none`), IMAPS (`ssl`) or `starttls`; with
        `oauth2`, XOAUTH2 instead of the password."""
        env = {
            "IMAP_HOST": "127.0.0.1",
            "IMAP_PORT": str(self.port),
            "IMAP_TLS": tls,
            "IMAP_USERNAME": SERVICE_USER,
            "IMAP_PASSWORD": PASSWORD,
            "IMAP_POLL": "1s",
        }
        if oauth2:
            del env["IMAP_PASSWORD"]
            env["IMAP_AUTH"] = "oauth2"
        if tls != "none":
            env["IMAP_CA_FILE"] = str(self.ca_file)
        if tls == "ssl":
            env["IMAP_PORT"] = str(self.tls_port)
        return env

    async def _client(self) -> aioimaplib.IMAP4:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            client = aioimaplib.IMAP4_SSL(
                "127.0.0.1", self.tls_port, timeout=10, ssl_context=context
            )
        else:
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
