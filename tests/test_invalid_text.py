"""Text that is no valid UTF-8: bytes piped into `coachbot chat`, a lone surrogate in an update.
It is saved with U+FFFD in its place, and /export and /answers keep working, also for a value
saved that way before inputs were made valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.telegram.harness import E2E, say
from tests.test_cli import _env
from tests.test_telegram_e2e import question, start_agreement

REPLACED = "\ufffd\ufffd bad"


def chat_bytes(tmp_path: Path, data: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    """`printf '…' | coachbot chat`, with the bytes exactly as given."""
    return subprocess.run([sys.executable, "-m", "bot.cli", "chat"], input=data,
                          capture_output=True, cwd=tmp_path, env=_env(tmp_path, **env), timeout=120,
                          check=False)


@pytest.mark.parametrize("stdin_errors", ["surrogateescape", "strict"])
def test_bytes_that_are_no_utf8_are_saved_as_replacement_characters(
    tmp_path: Path, stdin_errors: str
) -> None:
    typed = chat_bytes(tmp_path, b"/grow\n\xff\xfe bad\n", PYTHONIOENCODING=f"utf-8:{stdin_errors}")
    assert typed.returncode == 0, typed.stderr.decode(errors="replace")

    shown = chat_bytes(tmp_path, b"/export\n/answers\n", PYTHONIOENCODING=f"utf-8:{stdin_errors}")
    assert shown.returncode == 0, shown.stderr.decode(errors="replace")
    assert b"Traceback" not in shown.stderr
    output = shown.stdout.decode()  # valid UTF-8
    assert f"→ {tmp_path.resolve()}/coachbot-export-" in output
    assert REPLACED in output  # /answers shows it
    [page] = tmp_path.glob("coachbot-export-*.html")
    assert REPLACED in page.read_text(encoding="utf-8")

    exported = subprocess.run([sys.executable, "-m", "bot.cli", "export", "--user-id", "1"],
                              capture_output=True, cwd=tmp_path, env=_env(tmp_path), timeout=120,
                              check=False)
    data = json.loads(exported.stdout.decode())
    [run] = data["answers"]["establishing"]["grow"]
    assert [answer["value"] for answer in run["answers"]] == [REPLACED]


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_a_lone_surrogate_in_a_message_is_saved_replaced_and_export_works(e2e: E2E) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    [reply] = await client.send("my purpose \ud800 here")  # a JSON escape no UTF-8 can hold
    assert question("en", "agreement", "success") in reply
    assert (await e2e.answers(client.user_id))["purpose"] == "my purpose \ufffd here"

    answers = "\n".join(await client.send("/answers"))
    assert "my purpose \ufffd here" in answers
    await client.send("/export")
    exported = json.loads(e2e.stub.documents[-2]["content"])
    assert "my purpose \ufffd here" in json.dumps(exported, ensure_ascii=False)


@pytest.mark.parametrize("e2e", BACKENDS, indirect=True)
async def test_a_lone_surrogate_saved_before_the_fix_is_shown_replaced(e2e: E2E) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    await client.send("my purpose")
    async with e2e.engine.begin() as connection:  # as an older version saved it
        await connection.execute(text("UPDATE answers SET value = :value"),
                                 {"value": '"old \\ud800 answer"'})

    answers = "\n".join(await client.send("/answers"))
    assert "old \ufffd answer" in answers
    sent = await client.send("/export")
    assert sent[0] == say("en", "common.export.ready")
    for document in e2e.stub.documents[-2:]:
        assert "old \ufffd answer" in document["content"].decode()
