"""Which process runs the dispatcher: one sender per bot token (DESIGN.md, "One sender").

On PostgreSQL the leader holds a session advisory lock on a connection it keeps open; when that
process dies its connection closes, the lock is free, and the next process to ask takes over. A
SQLite file is served by one process, which always leads. Leading is an optimisation of the send
budget, not what makes sending safe: claims with leases keep even two dispatchers from sending an
item twice.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

#: The advisory lock key of the dispatcher ("coachdsp" as a signed 64-bit number).
DISPATCHER_LOCK_KEY = int.from_bytes(b"coachdsp", "big", signed=True)


class Leadership:
    """Asks, each time, whether this process leads, and tries to become the leader if not."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    async def held(self) -> bool:
        """Whether this process leads now (taking the lead if it is free)."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(select(1))
                await self._connection.commit()  # never left idle in a transaction
                return True
            except SQLAlchemyError:  # the connection broke: the lock went with it
                log.warning("lost the dispatcher lock with its connection")
                await self._drop()
        connection = await self.engine.connect()
        try:
            taken = bool(await connection.scalar(select(func.pg_try_advisory_lock(DISPATCHER_LOCK_KEY))))
            await connection.commit()  # the session lock outlives the transaction
        except BaseException:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        log.info("this process runs the dispatcher")
        return True

    async def release(self) -> None:
        """Give up the lead (at shutdown), so another process takes over at once."""
        await self._drop()

    async def _drop(self) -> None:
        """Free the lock and the connection. A pooled connection outlives `close()`, and the
        session lock with it: unlock first, and if that fails, discard the connection for good."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.execute(select(func.pg_advisory_unlock(DISPATCHER_LOCK_KEY)))
            await connection.commit()
        except SQLAlchemyError:
            with contextlib.suppress(SQLAlchemyError):
                await connection.invalidate()
        with contextlib.suppress(SQLAlchemyError):
            await connection.close()
