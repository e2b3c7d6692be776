"""A throwaway PostgreSQL from Debian's package for the tests: one cluster per pytest session
on a Unix socket in a temporary folder (no TCP), a fresh database per test copied from a
migrated template, everything removed at the end.

`HIB2B_TEST_ENGINE=postgresql` runs the whole suite on it: every desk a test starts (in
process or as a subprocess) gets `HIB2B_DATABASE_URL` for its data folder."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENGINE = os.environ.get("HIB2B_TEST_ENGINE", "sqlite")
TEMPLATE = "hib2b_template"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
    return Path(found[-1]).parent


def _as_owner() -> list[str]:
    """initdb refuses root: the cluster runs as Debian's `postgres` user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Cluster:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hib2b-pg-"))
        self.data = self.folder / "data"
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self.created: list[str] = []
        self._known: dict[Path, str] = {}

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        bindir = _bindir()
        self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                self.user,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        self.start_server()
        return self

    def start_server(self) -> None:
        """The server (again, after `stop_server`), on the same socket and data."""
        options = (
            f"-k {self.folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB"
        )
        log = str(self.folder / "log")
        self._run(
            [
                str(_bindir() / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                log,
                "-o",
                options,
                "-w",
                "start",
            ]
        )

    def stop_server(self) -> None:
        """PostgreSQL goes away under the services (its files stay): an outage."""
        self._run([str(_bindir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def _run(self, command: list[str]) -> None:
        subprocess.run([*_as_owner(), *command], check=True, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{database}?host={self.folder}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                "psql",
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.folder),
                "-U",
                self.user,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()

    def make_template(self) -> None:
        from store.postgres import PgDatabase

        self.psql(f"CREATE DATABASE {TEMPLATE}")

        async def migrate() -> None:
            db = await PgDatabase.open(self.url(TEMPLATE))
            await db.close()

        asyncio.run(migrate())

    def database_for(self, data_dir: Path) -> str:
        """The URL of this data folder's database: created (empty, migrated) on first ask, the
        same one when a test restarts a desk on the folder."""
        data_dir = data_dir.resolve()
        name = self._known.get(data_dir)
        if name is None:
            name = "t_" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:20]
            self.psql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            self._known[data_dir] = name
            self.created.append(name)
        return self.url(name)

    def dump(self, data_dir: Path) -> bytes:
        """Every row of this data folder's database, as pg_dump writes them."""
        name = self._known[data_dir.resolve()]
        done = subprocess.run(
            [
                str(_bindir() / "pg_dump"),
                "--data-only",
                "-h",
                str(self.folder),
                "-U",
                self.user,
                name,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return done.stdout

    def drop_created(self) -> None:
        """After a test: its databases go (a desk it left connected is disconnected)."""
        for name in self.created:
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.clear()
        self._known.clear()

    def stop(self) -> None:
        with_owner = _as_owner()
        subprocess.run(
            [
                *with_owner,
                str(_bindir() / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def started_cluster() -> Iterator[Cluster]:
    """A cluster of the caller's own, with the migrated template, removed at the end."""
    cluster = Cluster().start()
    try:
        cluster.make_template()
        yield cluster
    finally:
        cluster.stop()


CLUSTER: Cluster | None = None


def stored(data_dir: Path) -> bytes:
    """What the desk on `data_dir` keeps in its database, to search for a person's traces:
    the SQLite file's bytes, or PostgreSQL's rows."""
    if CLUSTER is None:
        return (data_dir / "hib2b.sqlite3").read_bytes()
    return CLUSTER.dump(data_dir)


async def rows(data_dir: Path, sql: str) -> list[tuple]:
    """A query on the database of a stopped desk on `data_dir`, whichever the engine."""
    from store.engine import open_store

    url = database_url(data_dir).get("HIB2B_DATABASE_URL")
    db = await open_store(url, data_dir / "hib2b.sqlite3", 10.0)
    try:
        return [tuple(row) for row in await db.fetchall(sql)]
    finally:
        await db.close()


async def open_store_at(path: Path):  # type: ignore[no-untyped-def]
    """The store a test opens by itself: the SQLite file at `path`, or, in the PostgreSQL run,
    the database of its folder (the same one each time it is opened)."""
    from store.engine import open_store

    url = database_url(path.parent).get("HIB2B_DATABASE_URL")
    return await open_store(url, path, 10.0)


async def rows_at(env: dict[str, str], sql: str) -> list[tuple]:
    """A query on the PostgreSQL database `env` names (replicas' tests)."""
    from store.postgres import PgDatabase

    db = await PgDatabase.open(env["HIB2B_DATABASE_URL"])
    try:
        return [tuple(row) for row in await db.fetchall(sql)]
    finally:
        await db.close()


def database_url(data_dir: Path) -> dict[str, str]:
    """What a desk on `data_dir` adds to its environment under the engine being tested."""
    if CLUSTER is None:
        return {}
    return {"HIB2B_DATABASE_URL": CLUSTER.database_for(data_dir)}
