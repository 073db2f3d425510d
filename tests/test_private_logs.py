"""Nothing a user wrote, and never the token, reaches a log, whatever fails.

Logging is set up as `coachbot run` does it (our loggers at DEBUG, the libraries' at their held
levels, every record made safe as it is created); then sends fail in every way the Bot API stub
can make them fail while they carry distinctive answers, a database refuses an answer with a
message quoting it, and an unread task fails with it. The captured log is searched for them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.support.logs import logged, logging_as_run
from tests.telegram.harness import E2E, TOKEN, say
from tests.test_telegram_e2e import start_agreement

PURPOSE = "Lighthouse umbrella quartz purpose 9137"
SUCCESS = "Saffron kettle meadow success 2864"
ANSWERS = (PURPOSE, SUCCESS)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The log as `coachbot run` writes it, captured at DEBUG."""
    with logging_as_run(), caplog.at_level(logging.DEBUG):
        yield caplog


def assert_private(log: pytest.LogCaptureFixture) -> str:
    """The captured log holds no answer and no token; returned to check what it does hold."""
    text = logged(log)
    for secret in (*ANSWERS, *(answer.split()[0] for answer in ANSWERS), TOKEN,
                   TOKEN.split(":")[1]):
        assert secret not in text, f"{secret!r} was logged"
    return text


def expected_errors(e2e: E2E) -> list[str]:
    """The errors that reached the error handler, by type; cleared, as this test expects them."""
    names = [type(error).__name__ for _, error in e2e.bot.recorder.errors]
    e2e.bot.recorder.errors.clear()
    return names


async def test_failing_sends_log_the_failure_but_no_answer_and_no_token(
    e2e: E2E, log: pytest.LogCaptureFixture
) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    await client.send(PURPOSE)
    await client.send(SUCCESS)
    quoting = f"{PURPOSE}, {SUCCESS}"
    failures = [  # status, what Telegram (or whatever stands in between) says, what PTB raises
        (400, f"Bad Request: can't parse entities: unsupported tag near {quoting}", "BadRequest"),
        (500, f"Internal Server Error: {quoting}", "NetworkError"),
        (502, f"Bad Gateway: {quoting}", "NetworkError"),
        (401, f"Unauthorized: the token {TOKEN} was rejected", "InvalidToken"),
        (404, f"Not Found: {TOKEN}", "InvalidToken"),
        (409, f"Conflict: {quoting}", "Conflict"),
    ]
    for status, description, raised in failures:
        e2e.stub.fail_next("sendMessage", status=status, description=description,
                           matching=PURPOSE)
        sent = await client.send("/answers")
        assert say("en", "common.service.error") in sent, status
        assert expected_errors(e2e) == [raised], status

    e2e.stub.fail_next("sendMessage", status=429, retry_after=0.01, times=4, matching=PURPOSE,
                       description=f"Too Many Requests: retry after 0.01 ({quoting})")
    sent = await client.send("/answers")  # three retries, then the rate limiter gives up
    assert say("en", "common.service.error") in sent
    assert expected_errors(e2e) == ["RetryAfter"]

    e2e.stub.truncate_next("sendMessage", matching=PURPOSE)  # sent, but the answer is unreadable
    await client.send("/answers")
    assert expected_errors(e2e) == ["TelegramError"]

    e2e.stub.fail_next("sendDocument", status=400, description=f"Bad Request: {quoting}")
    sent = await client.send("/export")
    assert say("en", "common.service.error") in sent
    assert expected_errors(e2e) == ["BadRequest"]

    text = assert_private(log)
    for raised in ("BadRequest", "NetworkError", "InvalidToken", "Conflict", "RetryAfter",
                   "TelegramError"):
        assert f"telegram.error.{raised}" in text  # each failure is logged, by its type ...
    assert "bot/telegram/sending.py" in text  # ... with the frames that show where


#: A database that refuses an answer and quotes it: PostgreSQL can say what it refused.
QUOTE_ANSWER = {
    "sqlite": ["CREATE TRIGGER refuse_answer BEFORE INSERT ON answers "
               "BEGIN SELECT RAISE(ABORT, 'refused'); END"],
    "postgresql": ["CREATE FUNCTION refuse_answer() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'refused %', NEW.value; END $$",
                   "CREATE TRIGGER refuse_answer BEFORE INSERT ON answers FOR EACH ROW "
                   "EXECUTE FUNCTION refuse_answer()"],
}


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_database_error_quoting_the_answer_is_logged_without_it(
    e2e: E2E, log: pytest.LogCaptureFixture
) -> None:
    client = e2e.client()
    await start_agreement(client, "en")
    async with e2e.engine.begin() as connection:
        for statement in QUOTE_ANSWER[connection.dialect.name]:
            await connection.execute(text(statement))

    [reply] = await client.send(PURPOSE)

    assert reply == say("en", "common.service.error")
    [(_, error)] = e2e.bot.recorder.errors
    if e2e.engine.dialect.name == "postgresql":
        assert PURPOSE in str(error)  # the driver's message quotes it, despite hide_parameters
    e2e.bot.recorder.errors.clear()
    text_logged = assert_private(log)
    assert "sqlalchemy.exc." in text_logged
    assert "service/conversation.py" in text_logged
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "purpose"


async def test_a_task_failing_unnoticed_is_logged_without_its_message(
    log: pytest.LogCaptureFixture,
) -> None:
    async def fail() -> None:
        raise ValueError(f"could not send {PURPOSE}")

    task = asyncio.get_running_loop().create_task(fail())
    await asyncio.wait([task])
    del task
    gc.collect()  # asyncio: "Task exception was never retrieved"

    text_logged = assert_private(log)
    assert "Task exception was never retrieved" in text_logged
    assert "ValueError" in text_logged


def test_library_arguments_and_exceptions_given_as_arguments_are_withheld(
    log: pytest.LogCaptureFixture,
) -> None:
    update = {"update_id": 1, "message": {"text": PURPOSE}}
    logging.getLogger("telegram.ext._utils.webhookhandler").critical(
        "Received data was: %r", update)
    logging.getLogger("telegram.request").error('Can not load invalid JSON data: "%s"', SUCCESS)
    logging.getLogger("coachbot").warning("could not deliver: %s", RuntimeError(PURPOSE))
    logging.getLogger("telegram.ext.Updater").info("Rate limit hit. Retrying after %f seconds", 1.5)

    text_logged = assert_private(log)
    assert "Retrying after 1.500000 seconds" in text_logged  # numbers are kept
    assert "could not deliver: RuntimeError" in text_logged
