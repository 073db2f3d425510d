"""A paste longer than Telegram's 4,096 characters arrives as several messages within a second:
the first is refused as too long (an answer holds 4,000), and the rest must not become the
answer. What comes a moment later is the same paste and is not kept (one short note for it);
what comes after the window is an answer as usual. The clock is moved, never slept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.conversation import ConversationService
from service.inputs import TextIn
from storage.answers import answers_of
from storage.runs import active_run
from storage.users import get_user
from tests.support.chat import Chat, rendered, shown
from tests.support.clock import FakeClock
from tests.telegram.harness import E2E, say

LIMIT = 4000
TELEGRAM_PART = 4096
ANSWER = {"en": "I want to grow into a team lead role",
          "de": "Ich möchte in eine Teamleitung hineinwachsen"}


def paste(length: int, word: str = "story") -> str:
    """Typed-looking text of exactly `length` characters."""
    return (f"{word} " * length)[:length]


async def saved(service: ConversationService, chat: Chat) -> tuple[dict[str, object], str | None]:
    """The person's saved answers (step → value) and the step their open run asks."""
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, chat.user_id)
        assert user is not None
        answers = {a.step_key: a.value for a in await answers_of(session, user.id)}
        run = await active_run(session, user.id)
    return answers, None if run is None else run.step


def question(lang: str, key: str) -> str:
    return rendered(lang, f"agreement.steps.{key}.text")


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_the_rest_of_a_long_paste_is_not_kept_and_a_message_after_it_is_the_answer(
    service: ConversationService, chat: Chat, clock: FakeClock, lang: str
) -> None:
    chat.language = lang
    await chat.send("/agreement")
    assert await saved(service, chat) == ({}, "purpose")

    refused = await chat.send(paste(TELEGRAM_PART))  # Telegram's first part of the paste
    [message] = refused.messages
    problem = rendered(lang, "common.problems.too_long", max_length=LIMIT)
    assert message.text.startswith(problem)
    assert str(LIMIT) in problem
    assert message.text.endswith(question(lang, "purpose"))  # asked again, for a shorter one

    clock.advance(seconds=1)
    rest = await chat.send(paste(900, "more"))  # its remainder, short enough to be an answer
    assert chat.texts(rest) == shown(lang, "common.service.rest_not_kept")
    clock.advance(seconds=1)
    assert (await chat.send(paste(TELEGRAM_PART, "again"))).messages == ()  # no reply per part
    clock.advance(seconds=2)
    assert (await chat.send(paste(300, "end"))).messages == ()  # the window runs from the last
    assert await saved(service, chat) == ({}, "purpose")

    clock.advance(seconds=30)  # they read the refusal and wrote a shorter answer
    answered = await chat.send(ANSWER[lang])
    assert question(lang, "success") in answered.messages[-1].text
    assert await saved(service, chat) == ({"purpose": ANSWER[lang]}, "success")


async def test_a_refused_text_alone_leaves_the_next_message_an_answer(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    """No rest came: the window only keeps fragments out, it asks nothing of what follows."""
    await chat.send("/agreement")
    await chat.send(paste(LIMIT + 1))
    clock.advance(seconds=6)
    answered = await chat.send(ANSWER["en"])
    assert shown("en", "common.service.rest_not_kept") not in chat.texts(answered)
    assert await saved(service, chat) == ({"purpose": ANSWER["en"]}, "success")


async def test_after_a_restart_the_moments_sent_tell_the_rest_of_a_paste_from_an_answer(
    service: ConversationService, chat: Chat, clock: FakeClock
) -> None:
    """Handled long after it was sent (the bot was down), the rest of a paste is still its rest;
    a message sent a minute after it is an answer, though handled a second later."""
    await chat.send("/agreement")
    sent = clock()
    clock.advance(minutes=10)  # the bot comes back and works through what waited
    await chat.handle(TextIn(paste(TELEGRAM_PART), sent_at=sent))
    clock.advance(seconds=30)  # a slow moment: still the same paste, sent with it
    rest = await chat.handle(TextIn(paste(900, "more"), sent_at=sent + timedelta(seconds=1)))
    assert chat.texts(rest) == shown("en", "common.service.rest_not_kept")
    clock.advance(seconds=1)
    answered = await chat.handle(TextIn(ANSWER["en"], sent_at=sent + timedelta(minutes=1)))
    assert question("en", "success") in answered.messages[-1].text
    assert await saved(service, chat) == ({"purpose": ANSWER["en"]}, "success")


async def test_a_paste_split_by_telegram_stores_nothing_and_the_next_answer_is_kept(
    e2e: E2E,
) -> None:
    client = e2e.client()
    await client.send("/agreement")
    mark = len(e2e.stub.sent_messages)
    e2e.stub.user_message(client.user_id, paste(TELEGRAM_PART))  # one paste, as Telegram sends it:
    e2e.stub.user_message(client.user_id, paste(900, "more"))  # two messages at once
    await e2e.settle()

    got = [m["text"] for m in e2e.stub.sent_messages[mark:] if m["chat_id"] == client.user_id]
    assert got == [say("en", "common.problems.too_long", max_length=LIMIT) + "\n\n"
                   + say("en", "agreement.steps.purpose.text"),
                   say("en", "common.service.rest_not_kept")]
    assert await e2e.answers(client.user_id) == {}
    assert (await e2e.run(client.user_id, "agreement"))["step"] == "purpose"

    e2e.clock.advance(minutes=1)
    [reply] = await client.send(ANSWER["en"])
    assert say("en", "agreement.steps.success.text") in reply
    assert await e2e.answers(client.user_id) == {"purpose": ANSWER["en"]}
