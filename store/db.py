"""The SQLite connections, the migrations and the one concurrency rule.

Two aiosqlite connections serve the process, each running its statements in order on its own
thread. The writer's statements of concurrent coroutines would interleave inside each other's
transactions, so every write holds `Database.lock` for its whole unit: `transaction()`
(`BEGIN IMMEDIATE`, so a second process on the same file waits on `busy_timeout` instead of
failing). Keep those units short: they serialize the writes of the process.

Queries go to the reader (`read()`, `fetchone`, `fetchall`; `query_only`, so a write there
fails loudly). In WAL mode it sees every committed write and never waits for a writer, so a
`ver` does not queue behind a burst of forms. Its own lock keeps one query unit at a time on
it; each statement sees the latest commit (a unit that needs one snapshot of several
statements reads inside `transaction()`).

A write that fails because of the storage itself (disk full, read-only file, I/O error, another
process holding the lock past `busy_timeout`) raises `StorageUnavailable`, and the database
remembers it until a later commit succeeds: that is what `/healthz` calls `failing`.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import aiosqlite

BUSY_TIMEOUT_S = 10.0
CHECKPOINT_WAIT_S = 0.5  # emptying the write-ahead log waits this long for readers
# SQLite's words for "the storage cannot take this write now", as opposed to a bad statement.
_STORAGE_ERRORS = (
    "database or disk is full",
    "disk i/o error",
    "readonly database",
    "database is locked",
    "unable to open database",
)


# The disk's own troubles (full, quota, read-only, failing): a retry later may succeed.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


class StorageUnavailable(Exception):
    """The database cannot be written now; nothing of the failed unit was kept."""


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and any(
        words in str(error).lower() for words in _STORAGE_ERRORS
    )


def to_db(moment: datetime) -> str:
    """The stored form of an instant: UTC, microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


def migrations(package: str = "store.schema") -> list[tuple[int, str]]:
    """(version, sql) of every file in `package` (store/schema for SQLite, store/schema_pg for
    PostgreSQL), in order; `NNN_name.sql` is version NNN."""
    found = []
    for entry in resources.files(package).iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text("utf-8")))
    return sorted(found)


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: tuple | dict = ()) -> list:
    """Every row of `sql` in one trip to the connection's thread (execute, then fetch: two)."""
    return list(await conn.execute_fetchall(sql, params))


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: tuple | dict = ()
) -> sqlite3.Row | None:
    """The row of a query that yields at most one (a key, an aggregate, a RETURNING)."""
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


CACHE_KIB = 64 * 1024


async def _open_reader(path: Path, busy_timeout_s: float) -> aiosqlite.Connection:
    """A connection that can only read (a write on it fails loudly)."""
    try:
        reader = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise StorageUnavailable(f"{path}: {error}") from error
    try:
        await _configure(reader, busy_timeout_s)
        await reader.execute("PRAGMA query_only = ON")
    except sqlite3.Error as error:
        await reader.close()
        raise StorageUnavailable(f"{path}: {error}") from error
    return reader


class WriteHealth:
    """Whether the last write failed for a reason of the storage, until one succeeds: what
    `/healthz` calls `failing` (either engine)."""

    write_failure: str | None = None
    write_failed_at: float | None = None

    @property
    def writable(self) -> bool:
        return self.write_failure is None

    def note_write_failure(self, reason: str) -> None:
        """A write failed for a reason of the storage (also the attachments' disk)."""
        self.write_failure = reason
        self.write_failed_at = time.monotonic()


class Database(WriteHealth):
    engine = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.lock = asyncio.Lock()
        self.reader = conn  # until `open` gives the reader its own connection
        self.read_lock = self.lock
        self.busy_timeout_s = BUSY_TIMEOUT_S

    @classmethod
    async def open(cls, path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S) -> Database:
        """Open and migrate; a file that cannot be opened or written raises StorageUnavailable
        (with the connection's thread ended, so nothing keeps the process alive)."""
        pending = aiosqlite.connect(path, isolation_level=None)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await pending
        except (OSError, sqlite3.Error) as error:
            # aiosqlite ends its thread after a failed connect, but answers the stop on the
            # event loop: wait for it, or it meets a closed loop and prints a traceback.
            if pending._thread.is_alive():
                await asyncio.to_thread(pending._thread.join, 5)
            raise StorageUnavailable(f"{path}: {error}") from error
        try:
            await _configure(conn, busy_timeout_s)
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # What is deleted or replaced is zeroed, not left readable in free space: a
            # person's suppressed data must be gone from the file (store.privacy).
            await conn.execute("PRAGMA secure_delete = ON")
            await conn.execute("PRAGMA foreign_keys = ON")
            db = cls(conn, path)
            await db.migrate()
        except (sqlite3.Error, StorageUnavailable) as error:
            await conn.close()
            raise StorageUnavailable(f"{path}: {error}") from error
        try:
            reader = await _open_reader(path, busy_timeout_s)
        except StorageUnavailable:
            await conn.close()
            raise
        db.reader, db.read_lock = reader, asyncio.Lock()
        db.busy_timeout_s = busy_timeout_s
        return db

    @asynccontextmanager
    async def long_read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection of its own for a read of many rows (a report, an export): it never
        holds the desk's reader, so `ver` and `lista` answer meanwhile; inside one transaction
        its queries see one state of the database."""
        conn = await _open_reader(self.path, self.busy_timeout_s)
        try:
            await conn.execute("BEGIN")
            yield conn
        finally:
            await asyncio.shield(conn.close())

    async def truncate_wal(self) -> bool:
        """Copy the write-ahead log into the database and empty it (its old pages would still
        hold what was just replaced); False when a reader kept it from emptying now."""
        async with self.lock:
            # A reader in the middle of a long read keeps the log from emptying: wait for it
            # briefly, not for the whole busy timeout with every writer held up behind us.
            await self.conn.execute(f"PRAGMA busy_timeout = {int(CHECKPOINT_WAIT_S * 1000)}")
            try:
                row = await fetch_one(self.conn, "PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                await self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        return bool(row) and row[0] == 0

    async def close(self) -> None:
        async with self.read_lock:
            if self.reader is not self.conn:
                await self.reader.close()
        async with self.lock:
            await self.conn.close()

    async def migrate(self) -> int:
        """Apply the schema files newer than `PRAGMA user_version`; returns the version."""
        async with self.transaction() as conn:
            row = await (await conn.execute("PRAGMA user_version")).fetchone()
            version = row[0]
            for number, sql in migrations():
                if number <= version:
                    continue
                # executescript would COMMIT our transaction; run statement by statement.
                for statement in _statements(sql):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
                version = number
        return version

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.lock:
            try:
                await self._begin()
                try:
                    yield self.conn
                except BaseException:
                    # Shielded: a task cancelled here must still leave the connection idle.
                    # SQLite may have rolled back already (a full disk does that).
                    if self.conn.in_transaction:
                        await asyncio.shield(self.conn.execute("ROLLBACK"))
                    raise
                await asyncio.shield(self.conn.execute("COMMIT"))
            except sqlite3.OperationalError as error:
                if not is_storage_error(error):
                    raise
                self.note_write_failure(str(error))
                if self.conn.in_transaction:
                    await asyncio.shield(self.conn.execute("ROLLBACK"))
                raise StorageUnavailable(str(error)) from error
            self.write_failure = None

    async def write(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """One statement that writes, as a transaction of its own: one trip to SQLite's thread
        where `transaction()` takes at least three. Returns its rows (RETURNING). Shielded: a
        cancelled caller cannot leave it half done (SQLite applies it whole or not at all)."""
        async with self.lock:
            try:
                rows = await asyncio.shield(fetch_all(self.conn, sql, params))
            except sqlite3.OperationalError as error:
                if not is_storage_error(error):
                    raise
                self.note_write_failure(str(error))
                raise StorageUnavailable(str(error)) from error
        self.write_failure = None
        return rows

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, cancel-safe: a cancelled wait (on another process's lock) leaves
        the statement running in SQLite's thread, and a transaction it opens later must not
        outlive this unit, or the next one would find the connection inside it."""
        begin = asyncio.ensure_future(self.conn.execute("BEGIN IMMEDIATE"))
        try:
            await asyncio.shield(begin)
        except asyncio.CancelledError:
            await asyncio.shield(self._settle(begin))
            raise

    async def _settle(self, begin: asyncio.Future[aiosqlite.Cursor]) -> None:
        try:
            await begin
        except sqlite3.Error:
            return  # it never began
        if self.conn.in_transaction:
            await self.conn.execute("ROLLBACK")

    async def heartbeat(self, at: datetime) -> None:
        """A real write (it needs room in the WAL), so a full disk or a lost lock shows here
        even while nobody submits anything; a success clears an earlier failure."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO heartbeat (id, at) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                (to_db(at),),
            )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.read_lock:
            yield self.reader

    # Each trip to the connection's thread wakes the loop (~50-100 µs of CPU), so reads go
    # in one trip each (see `fetch_all`).
    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        async with self.read() as conn:
            return await fetch_all(conn, sql, params)

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        """The row of a query that yields at most one (a key, an aggregate)."""
        async with self.read() as conn:
            return await fetch_one(conn, sql, params)

    async def backup(self, target: Path) -> None:
        """A consistent copy while the service runs (never copy the file itself)."""
        # VACUUM INTO writes a file, which the query-only reader may not do.
        async with self.lock:
            await self.conn.execute("VACUUM INTO ?", (str(target),))


async def _configure(conn: aiosqlite.Connection, busy_timeout_s: float) -> None:
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    # A desk of a million tickets is gigabytes: a 64 MiB page cache keeps the indexes and the
    # open tickets in memory (the default is 2 MiB).
    await conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")


def _statements(script: str) -> list[str]:
    statements, current = [], []
    for line in script.splitlines(keepends=True):
        current.append(line)
        candidate = "".join(current)
        if sqlite3.complete_statement(candidate):
            if candidate.strip():
                statements.append(candidate)
            current = []
    rest = "".join(current).strip()
    if rest and not all(
        part.strip().startswith("--") for part in rest.splitlines() if part.strip()
    ):
        raise ValueError(f"incomplete SQL statement: {rest[:60]}")
    return statements
