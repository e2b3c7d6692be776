"""Several services on one PostgreSQL database: each one's presence, the one leader, and the
wake-ups between them.

A process is present while a connection of its own holds the advisory lock
(PRESENCE_CLASS, owner): PostgreSQL drops it the moment that connection ends — a clean stop,
a `kill -9`, a lost machine once TCP gives up — so "is the claimer of this delivery alive" is a
question to `pg_locks`, never to a timeout. The same connection holds the leader's lock
(LOCK_CLASS, LEADER_LOCK) once it gets it, and LISTENs for deliveries becoming due anywhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from store.postgres import (
    CONNECT_TIMEOUT_S,
    LEADER_LOCK,
    LOCK_CLASS,
    PRESENCE_CLASS,
    PgDatabase,
    new_owner,
)

log = logging.getLogger("hib2b.replicas")

WAKE_CHANNEL = "hib2b_outbox"  # store/schema_pg/021's trigger notifies it with the lane


class Presence:
    """This process's presence connection. `run` keeps it (reconnecting after a loss) and tries
    for the lead every `every_s`; `leading` is set while this process holds it."""

    def __init__(self, db: PgDatabase, wake: Callable[[tuple[str, ...]], None]) -> None:
        self.db = db
        self.owner = db.owner
        self.wake = wake
        self.leading = asyncio.Event()
        self.changed = asyncio.Event()  # leading set or cleared (a new Event each time)
        self._conn: asyncpg.Connection | None = None

    async def run(self, every_s: float, tick: Callable[[], None]) -> None:
        """Until cancelled: hold the presence, try for the lead, put the dead's claims back.
        A lost connection raises (its supervisor starts this again, which reconnects)."""
        try:
            if self._conn is None:
                await self.connect()
            while True:
                await self._beat()
                tick()
                await asyncio.sleep(every_s)
        except asyncio.CancelledError:
            self._lost(stopping=True)
            raise
        except BaseException:
            self._lost(stopping=False)
            raise
        finally:
            if self._conn is not None:
                await asyncio.shield(self._conn.close(timeout=2))
                self._conn = None

    async def connect(self) -> None:
        conn = await asyncpg.connect(self.db.url, timeout=CONNECT_TIMEOUT_S)
        try:
            taken = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", PRESENCE_CLASS, self.owner
            )
            if not taken:
                # Another live process drew the same number (one in two billion): try again
                # with another.
                self.db.owner = self.owner = new_owner()
                raise RuntimeError("this service's replica number was taken; it drew another")
            await conn.add_listener(WAKE_CHANNEL, self._notified)
        except BaseException:
            await asyncio.shield(conn.close(timeout=2))
            raise
        self._conn = conn
        self.db.present = True

    async def _beat(self) -> None:
        """One look: the connection alive, the lead tried for, orphaned claims released."""
        conn = self._conn
        assert conn is not None
        if not self.leading.is_set():
            got = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, LEADER_LOCK
            )
            if got:
                log.info("this service leads the desk's watcher, scheduler and mailbox")
                self._set(True)
        else:
            await conn.fetchval("SELECT 1")
        released = await conn.execute(_RELEASE_ORPHANS, PRESENCE_CLASS)
        count = int(released.rsplit(" ", 1)[-1])
        if count:
            log.warning("%d deliveries of a stopped service went back to the queue", count)
            self.wake(("slack", "email", "reports"))

    def _notified(self, _conn: object, _pid: int, _channel: str, lane: str) -> None:
        self.wake((lane,))

    def _set(self, leading: bool) -> None:
        if leading:
            self.leading.set()
        else:
            self.leading.clear()
        self.changed.set()
        self.changed = asyncio.Event()

    def _lost(self, stopping: bool) -> None:
        self.db.present = False
        if self.leading.is_set():
            if stopping:
                log.info("this service stops and hands the lead over")
            else:
                log.warning("this service no longer leads the desk (its database connection ended)")
            self._set(False)


# A delivery claimed by a process that is gone (its presence lock with it) is pending again;
# its attempt count stays, which tells the sender a try may have arrived.
_RELEASE_ORPHANS = """
UPDATE outbox SET status = 'pending', owner = NULL
WHERE status = 'sending' AND (owner IS NULL OR owner NOT IN (
    SELECT objid::bigint FROM pg_locks
    WHERE locktype = 'advisory' AND classid::bigint = $1 AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())))
"""
