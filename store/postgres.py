"""PostgreSQL as the store (`HIB2B_DATABASE_URL=postgresql://…`): the same methods as
`store.db.Database`, so every query of `store/` runs on both engines unchanged.

The one concurrency rule is SQLite's, kept across processes: every `transaction()` takes one
transaction-scoped advisory lock (`WRITE_LOCK`) after BEGIN, so the units of every replica
apply one at a time, each seeing the last one's commit, exactly as `BEGIN IMMEDIATE` orders them
on one file. A read-then-write inside a unit (a claim of a ticket, the next HD number) cannot
race a unit of another process. One-statement writes (`write()`: the delivery lanes' claims)
take no such lock; they are whole by themselves, and `FOR UPDATE SKIP LOCKED` keeps two lanes
off one row.

Statements are written for SQLite (`?` and `:name` placeholders); `Statement` rewrites them
once each to `$n`. Values are encoded as text and converted by the server to the column's type,
as SQLite's type affinity converts them, so `'5'` for an integer column is 5 on both engines.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg

from store.db import StorageUnavailable, WriteHealth, migrations, to_db
from store.pg_sql import Statement, configure

# Advisory lock keys (two-int form: class, key): one namespace for this desk.
LOCK_CLASS = 0x48494232  # "HIB2"
WRITE_LOCK = 1
LEADER_LOCK = 2
PRESENCE_CLASS = 0x48494233  # "HIB3": each process holds (PRESENCE_CLASS, its owner number)
POOL_SIZE = 10
CLOSE_WAIT_S = 2.0
T = TypeVar("T")
CONNECT_TIMEOUT_S = 10.0


class Cursor:
    """What our statements read of a cursor: rows, how many were changed."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        return list(self._rows)


class Connection:
    """One pooled connection with the aiosqlite methods `store/` uses."""

    engine = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.raw = conn
        self.in_transaction = False

    async def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        statement = Statement.of(sql)
        args = statement.bind(params)
        try:
            if statement.returns_rows:
                rows = await self.raw.fetch(statement.sql, *args)
                return Cursor(rows, len(rows))
            status = await self.raw.execute(statement.sql, *args)
        except (asyncpg.PostgresConnectionError, OSError, asyncpg.InterfaceError) as error:
            raise StorageUnavailable(str(error)) from error
        count = status.rsplit(" ", 1)[-1]
        return Cursor([], int(count) if count.isdigit() else -1)

    async def execute_fetchall(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[asyncpg.Record]:
        return await (await self.execute(sql, params)).fetchall()

    async def executemany(
        self, sql: str, rows: Iterable[Sequence[Any] | Mapping[str, Any]]
    ) -> None:
        statement = Statement.of(sql)
        batch = [statement.bind(row) for row in rows]
        if batch:
            await self.raw.executemany(statement.sql, batch)


def is_storage_error(error: BaseException) -> bool:
    """The server cannot take writes now (down, failing over, full, read-only standby), as
    opposed to a bad statement."""
    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.LockNotAvailableError  # waited past lock_timeout (SQLite: "database is locked")
        | asyncpg.InsufficientResourcesError
        | asyncpg.ReadOnlySQLTransactionError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.OperatorInterventionError
        | OSError
        | TimeoutError,
    )


def redacted(url: str) -> str:
    """The URL without its password (in the user part or as libpq's `?password=`), for logs,
    status and the command line's output."""
    parts = urlsplit(url)
    if parts.password is None and "password=" not in parts.query.lower():
        return url
    netloc = parts.netloc
    if parts.password is not None:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        "password=***" if pair.split("=", 1)[0].lower() == "password" else pair
        for pair in parts.query.split("&")
        if pair
    )
    # Put together by hand: urlunsplit drops the `//` of an empty host (a local socket).
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def new_owner() -> int:
    """A number for this process among the replicas (store.replicas holds a lock on it)."""
    return secrets.randbelow(2**31 - 1) + 1


class PgDatabase(WriteHealth):
    engine = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.path = redacted(url)  # what logs name as "the database"
        self.lock = asyncio.Lock()  # one unit of this process at a time waits on WRITE_LOCK
        self.owner = new_owner()  # what this process's claims of deliveries carry
        self.present = False  # while its presence lock is held (store.replicas)
        self.busy_timeout_s = 10.0

    @classmethod
    async def open(cls, url: str, busy_timeout_s: float = 10.0) -> PgDatabase:
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                init=configure,
                timeout=CONNECT_TIMEOUT_S,
                command_timeout=None,
                # A statement waiting on a lock longer than this fails, as SQLite's busy timeout.
                server_settings={"lock_timeout": str(int(busy_timeout_s * 1000))},
            )
        except (asyncpg.PostgresError, OSError, TimeoutError) as error:
            raise StorageUnavailable(f"{redacted(url)}: {error}") from error
        db = cls(pool, url)
        db.busy_timeout_s = busy_timeout_s
        try:
            await db.migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def migrate(self) -> int:
        """Apply the files of store/schema_pg newer than the recorded version, in one
        transaction under the write lock (replicas starting together migrate once)."""
        async with self.transaction() as conn:
            await conn.raw.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"
            )
            row = await conn.raw.fetchrow("SELECT max(version) FROM schema_version")
            version = row[0] or 0
            for number, sql in migrations("store.schema_pg"):
                if number <= version:
                    continue
                await conn.raw.execute(sql)
                await conn.raw.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)", str(number)
                )
                version = number
        return version

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        try:
            # Bounded as SQLite's busy timeout: a server that stopped answering fails the
            # request (503, nothing kept) instead of holding it.
            raw = await self.pool.acquire(timeout=self.busy_timeout_s)
        except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError) as error:
            if is_storage_error(error):
                raise StorageUnavailable(str(error)) from error
            raise
        try:
            yield Connection(raw)
        finally:
            await asyncio.shield(self._release(raw))

    async def _release(self, raw: asyncpg.Connection) -> None:
        try:
            await self.pool.release(raw)
        except asyncpg.InternalClientError:
            # A connection the server ended (a restart, a dropped session) was already given
            # back by asyncpg when it closed: nothing is left to release.
            if not raw.is_closed():
                raise

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Around a write: a failure of the storage is noted (`/healthz` says `failing`) and
        raised as StorageUnavailable; a success clears an earlier one."""
        try:
            yield
        except StorageUnavailable as error:  # a statement's own (the connection broke)
            self.note_write_failure(str(error))
            raise
        except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError) as error:
            if not is_storage_error(error):
                raise
            self.note_write_failure(str(error))
            raise StorageUnavailable(str(error)) from error
        self.write_failure = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.lock:
            with self._writing():
                async with self._connection() as conn:
                    raw = conn.raw
                    try:
                        await raw.execute("BEGIN")
                        conn.in_transaction = True
                        await raw.execute(
                            "SELECT pg_advisory_xact_lock($1, $2)", str(LOCK_CLASS), str(WRITE_LOCK)
                        )
                        yield conn
                    except BaseException:
                        await self._abandon(raw)
                        raise
                    await self._whole(raw, raw.execute("COMMIT"))

    async def write(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list:
        """One statement that writes, on its own (no write lock: see the module's doc)."""
        with self._writing():
            async with self._connection() as conn:
                return await self._whole(conn.raw, conn.execute_fetchall(sql, params))

    async def _whole(self, raw: asyncpg.Connection, step: Awaitable[T]) -> T:
        """A step that must not be cut in half (a commit, a one-statement write). A cancel
        waits for it to end, at most the busy timeout (then the connection is dropped: the
        server rolls back what it had not committed), and is raised then: the caller was
        cancelled, whatever the step's outcome, and the connection goes back idle."""
        running = asyncio.ensure_future(step)
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            done, _ = await asyncio.wait({running}, timeout=self.busy_timeout_s)
            if not done:
                raw.terminate()
                await asyncio.wait({running}, timeout=1.0)
            if running.done() and not running.cancelled():
                running.exception()  # seen: its outcome is not the cancelled caller's to hear
            raise

    async def _abandon(self, raw: asyncpg.Connection) -> None:
        """Roll back after a failure or a cancel; a connection that cannot is dropped (the
        server then rolls back by itself), so no transaction outlives its unit."""
        if raw.is_closed():
            return
        try:
            await self._whole(raw, raw.execute("ROLLBACK"))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            raw.terminate()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self._connection() as conn:
            yield conn

    async def fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list:
        async with self.read() as conn:
            return await conn.execute_fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    @asynccontextmanager
    async def long_read(self) -> AsyncIterator[Connection]:
        """One snapshot for a read of many rows (a report, an export)."""
        async with (
            self._connection() as conn,
            conn.raw.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield conn

    async def heartbeat(self, at: datetime) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO heartbeat (id, at) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                (to_db(at),),
            )

    async def truncate_wal(self) -> bool:
        """SQLite's log emptying has no counterpart a client can force here: PostgreSQL's
        VACUUM reclaims deleted rows (run by autovacuum); True, nothing waits on it."""
        return True

    async def backup(self, target: object) -> None:
        raise StorageUnavailable(
            "una base PostgreSQL se respalda con pg_dump o con los respaldos del servidor"
        )

    async def close(self) -> None:
        """Bounded: a connection stuck on a server that stopped answering is dropped."""
        try:
            async with asyncio.timeout(CLOSE_WAIT_S):
                await self.pool.close()
        except TimeoutError:
            self.pool.terminate()
