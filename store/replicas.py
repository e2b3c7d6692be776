"""Several services on one PostgreSQL database: each one's presence, the one leader, and the
wake-ups between them.

A process is present while a connection of its own holds the advisory lock
(PRESENCE_CLASS, owner): PostgreSQL drops it the moment that connection ends — a clean stop,
a `kill -9`, a lost machine once TCP gives up — so "is the claimer of this delivery alive" is a
question to `pg_locks`. A claimer found gone at GRACE_BEATS looks in a row loses its claims (a
connection that only blinked comes back in time). The same connection holds the leader's lock
(LOCK_CLASS, LEADER_LOCK) once it gets it, and LISTENs for deliveries becoming due anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
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
BEAT_LIMIT_S = 10.0  # a look at the database that takes longer: the connection is given up
GRACE_BEATS = 3  # a claimer gone this many looks (HIB2B_WATCH_INTERVAL each) loses its claims
# The server's side: a client machine that vanished is noticed in about 20 s (not the OS's two
# hours), and its locks (presence, the lead) are dropped for the others.
KEEPALIVE = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "3",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "20000",
}


def stable_owner(identity: str) -> int:
    """The replica's number from what stays the same across its restarts (its machine and data
    folder): restarted, even after `kill -9`, it finds its own unfinished claims at once (its
    lanes put them back as they start) instead of waiting out the grace another replica gives
    them. A second replica with the same identity finds the number taken and draws another."""
    digest = hashlib.sha256(identity.encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2**31 - 1) + 1


class Presence:
    """This process's presence connection. `run` keeps it (reconnecting after a loss) and tries
    for the lead every `every_s`; `leading` is set while this process holds it.

    A lost connection is noticed at once (asyncpg's termination callback): this process stops
    claiming deliveries and stops leading before any other could take over. A connection that
    hangs instead is given up after `BEAT_LIMIT_S`, and the server drops a silent client's
    locks after its TCP keepalives fail (KEEPALIVE)."""

    def __init__(
        self, db: PgDatabase, wake: Callable[[tuple[str, ...]], None], identity: str = ""
    ) -> None:
        if identity:
            db.owner = stable_owner(identity)
        self.db = db
        self.owner = db.owner
        self.wake = wake
        self.leading = asyncio.Event()
        self.changed = asyncio.Event()  # leading set or cleared (a new Event each time)
        self._conn: asyncpg.Connection | None = None
        self._absent: dict[int | None, float] = {}  # claimers seen gone, since (monotonic)
        self._ended = asyncio.Event()  # the presence connection ended
        self._following = False  # said once per spell of following

    async def run(self, every_s: float, tick: Callable[[], None]) -> None:
        """Until cancelled: hold the presence, try for the lead, put the dead's claims back.
        A lost connection raises (its supervisor starts this again, which reconnects)."""
        try:
            if self._conn is None:
                await self.connect()
            while True:
                async with asyncio.timeout(BEAT_LIMIT_S):
                    await self._beat(grace_s=GRACE_BEATS * every_s)
                tick()
                # Until the next look, or at once when the connection ends (to reconnect).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(every_s):
                        await self._ended.wait()
        except asyncio.CancelledError:
            self._lost(stopping=True)
            raise
        except BaseException:
            self._lost(stopping=False)
            raise
        finally:
            await asyncio.shield(self._close())

    async def connect(self) -> None:
        conn = await asyncpg.connect(
            self.db.url, timeout=CONNECT_TIMEOUT_S, server_settings=KEEPALIVE
        )
        try:
            # Taken: another live replica has this identity (same machine and folder), or a
            # killed one's session is not ended yet; this one draws a number of its own.
            while not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", PRESENCE_CLASS, self.owner
            ):
                self.db.owner = self.owner = new_owner()
            await conn.add_listener(WAKE_CHANNEL, self._notified)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(lambda _conn: self._lost(stopping=False))
        self._ended = asyncio.Event()
        self._conn = conn
        self.db.present = True

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            async with asyncio.timeout(2):
                await conn.close()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn.terminate()  # the server drops our locks when it sees the socket go

    async def _beat(self, grace_s: float) -> None:
        """One look: the connection alive, the lead tried for, orphaned claims released."""
        conn = self._conn
        if conn is None or conn.is_closed():
            raise ConnectionError("the presence connection ended")
        if not self.leading.is_set():
            got = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, LEADER_LOCK
            )
            if got:
                log.info("this service leads the desk's watcher, scheduler and mailbox")
                self._set(True)
            elif not self._following:
                log.info("this service follows: another one leads the watcher and the mailbox")
            self._following = not got
        await self._release_orphans(conn, grace_s)

    async def _release_orphans(self, conn: asyncpg.Connection, grace_s: float) -> None:
        """Claims whose process has been gone for `grace_s` go back to the queue. Not at once:
        a live process whose connection dropped for a moment reconnects under the same
        number and keeps its claims, and one that lost it for good stops sending first."""
        absent = {row[0] for row in await conn.fetch(_ABSENT_CLAIMERS, PRESENCE_CLASS)}
        now = time.monotonic()
        self._absent = {owner: self._absent.get(owner, now) for owner in absent}
        due = [owner for owner, since in self._absent.items() if now - since >= grace_s]
        count = 0
        for owner in due:
            status = await conn.execute(_RELEASE, PRESENCE_CLASS, owner)
            count += int(status.rsplit(" ", 1)[-1])
            del self._absent[owner]
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
        """No claims and no lead from this moment: others may take both over."""
        self.db.present = False
        self._ended.set()
        if self.leading.is_set():
            if stopping:
                log.info("this service stops and hands the lead over")
            else:
                log.warning("this service no longer leads the desk (its database connection ended)")
            self._set(False)


# The claimers of deliveries being sent that hold no presence lock now (NULL: copied from an
# SQLite desk by `hib2b migrar`, claimed by nobody alive).
_LIVE = """
    SELECT objid::bigint FROM pg_locks
    WHERE locktype = 'advisory' AND classid::bigint = $1 AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
_ABSENT_CLAIMERS = f"""
SELECT DISTINCT owner FROM outbox
WHERE status = 'sending' AND (owner IS NULL OR owner NOT IN ({_LIVE}))
"""
# One gone claimer's deliveries, pending again (checked again: it may have come back); their
# attempt counts stay, which tells the sender a try may have arrived.
_RELEASE = f"""
UPDATE outbox SET status = 'pending', owner = NULL
WHERE status = 'sending' AND owner IS NOT DISTINCT FROM $2
  AND ($2 IS NULL OR $2 NOT IN ({_LIVE}))
"""
