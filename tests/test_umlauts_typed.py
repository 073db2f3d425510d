"""A choice typed with its umlauts written out ("persoenlich" for „Persönlich“, "woechentlich")
is understood as the choice, and so are the common words ("bestaetigen", "1 loeschen"), as names
and places already were; other typed text is read no more loosely than before."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.answers import answers_of
from storage.runs import runs_of
from tests.support.chat import Chat, shown
from tests.test_transcripts import user_of

TEXT_STEPS = ("purpose", "success", "expect_mentor", "expect_self", "boundaries",
              "confidentiality")


async def at_meeting_rhythm(chat: Chat, lang: str) -> None:
    """The mentee's agreement, typed up to how often they meet (private, no team note)."""
    chat.language = lang
    await chat.send("/agreement")
    for step in TEXT_STEPS:
        await chat.send(f"my {step}")
    await chat.send("2")  # private
    await chat.send("2")  # the programme team: no
    assert shown(lang, "agreement.steps.meeting_rhythm.text") in chat.last_text


async def saved(service: ConversationService, chat: Chat) -> dict[str, object]:
    """The mentee's saved answers by step."""
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        return {a.step_key: a.value for a in await answers_of(session, user.id)}


@pytest.mark.parametrize(("lang", "rhythm", "mode"), [
    ("de", "woechentlich", "persoenlich"),  # a word of its own, a label: umlauts written out
    ("de", "Wöchentlich", "Persönlich"),  # as written, as before
    ("de", "WOECHENTLICH", "Persoen"),  # any case; the beginning of a label
    ("en", "weekly", "in person"),
])
async def test_a_choice_typed_with_umlauts_written_out_is_the_choice(
    service: ConversationService, chat: Chat, lang: str, rhythm: str, mode: str
) -> None:
    await at_meeting_rhythm(chat, lang)
    await chat.send(rhythm)
    assert shown(lang, "agreement.steps.meeting_mode.text") in chat.last_text
    await chat.send(mode)
    assert shown(lang, "agreement.steps.sessions.text") in chat.last_text
    answers = await saved(service, chat)
    assert (answers["meeting_rhythm"], answers["meeting_mode"]) == ("weekly", "in_person")


@pytest.mark.parametrize(("lang", "typed", "problem"), [
    ("de", "per", "ambiguous_choice"),  # video or phone, as before
    ("de", "persoenlichkeit", "not_a_choice"),  # more than the label
    ("en", "persoenlich", "not_a_choice"),  # German words are for German, as before
])
async def test_other_typed_text_at_a_choice_is_read_no_more_loosely(
    service: ConversationService, chat: Chat, lang: str, typed: str, problem: str
) -> None:
    await at_meeting_rhythm(chat, lang)
    await chat.send("1")
    await chat.send(typed)
    assert shown(lang, f"common.problems.{problem}") in chat.last_text
    assert "meeting_mode" not in await saved(service, chat)


async def test_the_common_words_are_understood_with_umlauts_written_out(
    service: ConversationService, chat: Chat
) -> None:
    chat.language = "de"
    await chat.send("/agenda")
    await chat.send("Gehalt")
    await chat.send("Urlaub")
    await chat.send("1 loeschen")  # „löschen“
    assert shown("de", "common.notes.list_removed", value=["Gehalt"]) in chat.last_text
    await chat.send("fertig")
    await chat.send("Tipps")
    await chat.send("ueberspringen")  # „überspringen“: the optional preparation
    await chat.send("ueberspringen")  # and the date
    assert shown("de", "common.summary.header", title=shown("de", "agenda.title")).split("\n")[0] \
        in chat.last_text
    await chat.send("bestaetigen")  # „bestätigen“
    user = await user_of(service, chat)
    async with service.sessionmaker.begin() as session:
        [run] = await runs_of(session, user.id)
    assert run.completed_at is not None
    assert (await saved(service, chat))["topics"] == ["Urlaub"]
