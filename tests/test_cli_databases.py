"""The CLI on databases that are missing, foreign, read-only, full, or named by a SQLite URI:
one clear line, nothing created or changed that should not be, never a password."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support.databases import database_for
from tests.test_cli import coachbot

NO_DATABASE = "no coachbot database at"


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_export_refuses_a_missing_sqlite_file_and_creates_nothing(tmp_path: Path) -> None:
    result = coachbot(tmp_path, "export", "--user-id", "1")
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith(f"coachbot: {NO_DATABASE} {tmp_path / 'coachbot.sqlite3'}")
    assert "coachbot db upgrade" in line
    assert list(tmp_path.iterdir()) == []


def test_export_leaves_another_programs_sqlite_file_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "coachbot.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
        connection.execute("INSERT INTO notes VALUES ('mine')")
    connection.close()
    before = _listing(tmp_path)
    result = coachbot(tmp_path, "export", "--user-id", "1")
    assert result.returncode == 1
    assert NO_DATABASE in _one_line(result.stderr)
    assert _listing(tmp_path) == before  # no schema, no WAL switch, no side files


@pytest.mark.postgres
async def test_export_refuses_an_empty_postgres_database_and_hides_the_password(
    tmp_path: Path,
) -> None:
    async with database_for("postgres", tmp_path) as url:
        # The test server trusts local connections, so any password gets in: it must not show.
        with_password = make_url(url).set(password="pw-never-printed")
        url_with_password = with_password.render_as_string(hide_password=False)
        result = coachbot(tmp_path, "export", "--user-id", "1", DATABASE_URL=url_with_password)
        connection = await asyncpg.connect(make_url(url).set(drivername="postgresql")
                                           .render_as_string(hide_password=False))
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        finally:
            await connection.close()
        assert coachbot(tmp_path, "db", "upgrade", DATABASE_URL=url_with_password).returncode == 0
        migrated = coachbot(tmp_path, "export", "--user-id", "1", DATABASE_URL=url_with_password)
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert NO_DATABASE in line
    assert "pw-never-printed" not in result.stderr + result.stdout
    assert tables == []
    assert (migrated.returncode, migrated.stderr) == (1, "coachbot: no user with id 1\n")


def _answer_the_first_agreement_question(tmp_path: Path) -> None:
    first = coachbot(tmp_path, "chat", "--user-id", "7", "--dialog", "agreement",
                     stdin="Mehr Klarheit im Beruf\n")
    assert first.returncode == 0, first.stderr


def _saved_answers(tmp_path: Path) -> list[object]:
    export = coachbot(tmp_path, "export", "--user-id", "7")
    assert export.returncode == 0, export.stderr
    runs = json.loads(export.stdout)["answers"]["initiation"]["agreement"]
    return [answer["value"] for run in runs for answer in run["answers"]]


def test_chat_on_a_read_only_database_says_so_in_one_line_and_goes_on(tmp_path: Path) -> None:
    _answer_the_first_agreement_question(tmp_path)
    read_only = f"sqlite+aiosqlite:///file:{tmp_path / 'coachbot.sqlite3'}?mode=ro&uri=true"
    chat = coachbot(tmp_path, "chat", "--user-id", "7", stdin="/resume\nEin zweites Ziel\n/help\n",
                    DATABASE_URL=read_only)
    assert chat.returncode == 0
    assert "Traceback" not in chat.stderr
    failures = chat.stderr.strip().splitlines()
    assert failures, "the answer cannot have been saved"
    assert all(line.startswith("coachbot: the database cannot be written (attempt to write a "
                               "readonly database); that input was not saved") for line in failures)
    assert "/journey" in chat.stdout  # /help still answered after the failure
    assert _saved_answers(tmp_path) == ["Mehr Klarheit im Beruf"]  # the position is unchanged

    export = coachbot(tmp_path, "export", "--user-id", "7", DATABASE_URL=read_only)
    assert export.returncode == 0, export.stderr  # reading needs no write


def _full_disk() -> None:
    """Files may not grow past 1 kB in this process: a write fails as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


def test_chat_on_a_full_disk_says_so_in_one_line_and_goes_on(tmp_path: Path) -> None:
    _answer_the_first_agreement_question(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "COACHBOT_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"
    # Another reader keeps the WAL index open (as a running bot would), so reading needs no growth.
    with sqlite3.connect(tmp_path / "coachbot.sqlite3") as reader:
        reader.execute("SELECT count(*) FROM users").fetchall()
        chat = subprocess.run(
            [sys.executable, "-m", "bot.cli", "chat", "--user-id", "7"],
            input="/resume\nEin zweites Ziel\n/help\n", capture_output=True, text=True,
            cwd=tmp_path, env=env, timeout=120, check=False, preexec_fn=_full_disk)
    reader.close()
    assert chat.returncode == 0
    assert "Traceback" not in chat.stderr
    failures = chat.stderr.strip().splitlines()
    assert failures
    assert all(line.startswith("coachbot: the database cannot be written (")
               for line in failures), chat.stderr
    assert "/journey" in chat.stdout
    assert _saved_answers(tmp_path) == ["Mehr Klarheit im Beruf"]


def test_a_database_whose_folder_cannot_exist_stops_chat_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    url = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'coachbot.sqlite3'}"
    chat = coachbot(tmp_path, "chat", stdin="/help\n", DATABASE_URL=url)
    assert chat.returncode == 1
    line = _one_line(chat.stderr)
    assert line == (f"coachbot: cannot use the database at {tmp_path / 'a-file' / 'coachbot.sqlite3'}"
                    f": {tmp_path / 'a-file'} is a file, not a folder")


def test_a_sqlite_uri_url_puts_the_file_where_it_says_and_no_stray_folder(tmp_path: Path) -> None:
    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    url = f"sqlite+aiosqlite:///file:{data / 'coach.sqlite3'}?uri=true"
    chat = coachbot(work, "chat", "--user-id", "3", stdin="/help\n", DATABASE_URL=url)
    assert chat.returncode == 0, chat.stderr
    assert list(work.iterdir()) == []  # no `file:` folder beside the operator
    assert (data / "coach.sqlite3").is_file()
    assert coachbot(work, "export", "--user-id", "3", DATABASE_URL=url).returncode == 0
