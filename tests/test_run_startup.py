"""`coachbot run` that cannot start: one clear line on stderr, a non-zero exit code, and never the
token, whatever was wrong (a revoked or malformed token, a wrong base URL, no network, the
database, the webhook port)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.support.process import TOKEN, coachbot_run, free_port
from tests.telegram.stub import BotApiStub


async def _failed_start(stub: BotApiStub, tmp_path: Path, *args: str, **env: str
                        ) -> tuple[int, str, str]:
    async with coachbot_run(stub, tmp_path, *args, **env) as process:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def _closed_port() -> int:
    return free_port()  # nobody listens there once the probe is closed


@pytest.mark.parametrize(("case", "expected"), [
    ("revoked token", "coachbot: the token was rejected: check TELEGRAM_BOT_TOKEN"),
    ("malformed token", "coachbot: the Bot API at {base} answered 404 Not Found: check "
                        "TELEGRAM_API_BASE_URL (it ends in /bot) and TELEGRAM_BOT_TOKEN"),
    ("base URL of something else", "coachbot: the Bot API at {base} answered 404 Not Found: check "
                                   "TELEGRAM_API_BASE_URL (it ends in /bot) and TELEGRAM_BOT_TOKEN"),
    ("API unreachable", "coachbot: cannot reach the Bot API at {base} (httpx.ConnectError: All "
                        "connection attempts failed): check TELEGRAM_API_BASE_URL and the network"),
    ("database in a file", "coachbot: cannot use the database at {tmp}/a-file/bot.sqlite3: "
                           "{tmp}/a-file is a file, not a folder"),
])
async def test_a_start_that_fails_says_why_in_one_line_without_the_token(
    tmp_path: Path, case: str, expected: str,
) -> None:
    env = {"COACHBOT_LOG_LEVEL": "INFO"}  # the operator's default
    async with BotApiStub(token=TOKEN) as stub:
        base = stub.base_url
        if case == "revoked token":
            env["TELEGRAM_BOT_TOKEN"] = TOKEN.replace("RUN", "REVOKED")
        elif case == "malformed token":
            stub.fail_next("getMe", status=404)  # what Telegram answers to a malformed token
        elif case == "base URL of something else":
            base = base.removesuffix("bot") + "api/bot"
        elif case == "API unreachable":
            base = f"http://127.0.0.1:{_closed_port()}/bot"
        else:
            (tmp_path / "a-file").write_text("")
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'bot.sqlite3'}"
        env["TELEGRAM_API_BASE_URL"] = base
        code, stdout, stderr = await _failed_start(stub, tmp_path, **env)
    assert code == 1
    assert stderr.splitlines() == [expected.format(base=base, tmp=tmp_path)]
    assert stdout == ""
    assert TOKEN.split(":")[1] not in stderr


async def test_even_debug_logging_never_shows_a_rejected_token(tmp_path: Path) -> None:
    async with BotApiStub(token="999:another-bot") as stub:  # every call answers 401
        code, stdout, stderr = await _failed_start(stub, tmp_path)  # COACHBOT_LOG_LEVEL=DEBUG
    assert code == 1
    assert TOKEN.split(":")[1] not in stdout + stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "coachbot: the token was rejected: check TELEGRAM_BOT_TOKEN"


async def test_a_webhook_port_in_use_ends_the_start_with_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with BotApiStub(token=TOKEN) as stub:
            code, _, stderr = await _failed_start(
                stub, tmp_path, "--webhook-url", f"https://bot.example.org:{port}/hook",
                "--listen", "127.0.0.1", "--port", str(port), COACHBOT_LOG_LEVEL="INFO")
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == f"coachbot: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert TOKEN.split(":")[1] not in stderr
