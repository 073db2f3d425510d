"""`coachbot run` as an operator starts it: a real process talking HTTP to the Bot API stub."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.telegram.stub import BotApiStub

TOKEN = "123456:RUN-process-token"


def free_port() -> int:
    """A TCP port nobody listens on right now (for the webhook server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def coachbot_run(
    stub: BotApiStub, tmp_path: Path, *args: str, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start `coachbot run` on a SQLite file in `tmp_path` (`env` overrides the defaults, e.g.
    `COACHBOT_LOG_LEVEL`); on exit make sure the process is gone."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "COACHBOT_"))}
    environment.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=stub.base_url,
                       DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
                       COACHBOT_LOG_LEVEL="DEBUG")
    environment.update(env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", *args, cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def listening(port: int) -> None:
    """Readiness probe: python-telegram-bot calls setWebhook just before its server listens. A
    start takes a second or two; the minute allows for a machine busy with other tests."""
    async with asyncio.timeout(60):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return
