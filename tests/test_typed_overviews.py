"""The overviews of /digest (a mentor's) and /checkins (a mentee's, a mentor's own, both) take their
buttons' words typed, as the pickers after them do (service.typed_buttons): the label as shown,
or a synonym in either language ("wöchentlich", "weekly", "aus", "stop"), acts as the tap;
other text gets a hint and the same buttons again, instead of "I only keep answers inside a
dialog"; en and de."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.schedule import rules_of
from tests.support.chat import Chat, shown
from tests.support.mentoring import pair, user_id
from tests.test_mentor_checkins import both_sides

LANGS = pytest.mark.parametrize("lang", ["en", "de"])


async def rules(chat: Chat) -> dict[str, object]:
    uid = await user_id(chat)
    async with chat.service.sessionmaker.begin() as session:
        return dict(await rules_of(session, uid))


async def mentor_with_mentee(service: ConversationService, lang: str) -> Chat:
    mentor = Chat(service, 3001, language=lang, name="Ben")
    await pair(mentor, Chat(service, 3002, language=lang))
    return mentor


def labels(chat: Chat) -> list[str]:
    return [button.label for button in chat.buttons]


# --- /digest -----------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "typed"), [
    ("en", "Weekly"), ("en", "weekly"), ("en", "once a week"), ("de", "Wöchentlich"),
    ("de", "woechentlich"), ("de", "jede Woche"), ("de", "weekly")])
async def test_the_digest_overview_takes_weekly_typed(service: ConversationService, lang: str,
                                                       typed: str) -> None:
    mentor = await mentor_with_mentee(service, lang)
    await mentor.send("/digest")
    assert labels(mentor) == [shown(lang, f"digest.buttons.{b}") for b in ("daily", "weekly", "off")]
    said = mentor.texts(await mentor.send(typed))
    assert said == shown(lang, "digest.which_day")
    assert len(mentor.buttons) == 7
    friday = "Friday" if lang == "en" else "Freitag"
    await mentor.send(friday)
    done = mentor.texts(await mentor.send("17:45"))
    assert ("every Friday at 17:45" if lang == "en" else "jeden Freitag um 17:45 Uhr") in done
    assert (await rules(mentor))["digest"] == {"at": "17:45", "weekdays": [4]}


@pytest.mark.parametrize(("lang", "typed"), [("en", "off"), ("en", "Stop"), ("de", "aus"),
                                             ("de", "Aus."), ("de", "off")])
async def test_the_digest_overview_turns_off_typed(service: ConversationService, lang: str,
                                                    typed: str) -> None:
    mentor = await mentor_with_mentee(service, lang)
    await mentor.send("/digest")
    said = mentor.texts(await mentor.send(typed))
    assert said == shown(lang, "digest.stopped")
    assert (await rules(mentor))["digest"] == {"off": True}


@LANGS
async def test_the_digest_overview_takes_daily_typed(service: ConversationService,
                                                      lang: str) -> None:
    mentor = await mentor_with_mentee(service, lang)
    await mentor.send("/digest")
    said = mentor.texts(await mentor.send("täglich" if lang == "de" else "every day"))
    assert said == shown(lang, "digest.which_time")
    await mentor.send("08:30")
    assert (await rules(mentor))["digest"] == {"at": "08:30"}


@LANGS
async def test_other_text_at_the_digest_overview_gets_a_hint_and_the_buttons(
        service: ConversationService, lang: str) -> None:
    mentor = await mentor_with_mentee(service, lang)
    await mentor.send("/digest")
    overview = mentor.last_text
    buttons = labels(mentor)
    said = mentor.texts(await mentor.send("sometimes"))
    assert said == "\n".join((shown(lang, "checkins.typed.overview", text="sometimes"), overview))
    assert shown(lang, "common.service.not_in_dialog") not in said
    assert labels(mentor) == buttons
    assert (await rules(mentor))["digest"] == {"at": "16:00", "weekdays": [4]}  # unchanged
    # still on offer: the word works now
    assert mentor.texts(await mentor.send(buttons[1])) == shown(lang, "digest.which_day")


# --- /checkins ---------------------------------------------------------------------------


async def mentee_with_rhythm(service: ConversationService, lang: str) -> Chat:
    chat = Chat(service, 3101, language=lang)
    await chat.send("/settings timezone Europe/Berlin")
    await chat.send("/checkins mon,thu 08:15")
    return chat


@pytest.mark.parametrize(("lang", "typed"), [("en", "Change"), ("en", "change it"),
                                             ("de", "Ändern"), ("de", "aendern")])
async def test_the_checkins_overview_takes_change_typed(service: ConversationService, lang: str,
                                                         typed: str) -> None:
    chat = await mentee_with_rhythm(service, lang)
    await chat.send("/checkins")
    assert labels(chat) == [shown(lang, "checkins.buttons.change"), shown(lang, "checkins.buttons.stop")]
    said = chat.texts(await chat.send(typed))
    assert said == shown(lang, "checkins.how_often", side=None)
    await chat.send(shown(lang, "checkins.buttons.daily"))
    await chat.send("19:00")
    assert (await rules(chat))["checkin"] == {"at": "19:00"}


@pytest.mark.parametrize(("lang", "typed"), [("en", "Stop check-ins"), ("en", "stop"),
                                             ("de", "Check-ins beenden"), ("de", "aus")])
async def test_the_checkins_overview_stops_typed(service: ConversationService, lang: str,
                                                  typed: str) -> None:
    chat = await mentee_with_rhythm(service, lang)
    await chat.send("/checkins")
    said = chat.texts(await chat.send(typed))
    assert said == shown(lang, "checkins.stopped", side=None, word="")
    assert "checkin" not in await rules(chat)


@LANGS
async def test_how_often_typed_at_the_overview_asks_for_the_day(service: ConversationService,
                                                                lang: str) -> None:
    chat = Chat(service, 3102, language=lang)
    await chat.send("/checkins")  # none yet: one button, "Set a rhythm"
    assert labels(chat) == [shown(lang, "checkins.buttons.set")]
    said = chat.texts(await chat.send("wöchentlich" if lang == "de" else "weekly"))
    assert said == shown(lang, "checkins.which_day")


@LANGS
async def test_other_text_at_the_checkins_overview_gets_a_hint_and_the_buttons(
        service: ConversationService, lang: str) -> None:
    chat = await mentee_with_rhythm(service, lang)
    await chat.send("/checkins")
    overview = chat.last_text
    said = chat.texts(await chat.send("hello there"))
    assert said == "\n".join((shown(lang, "checkins.typed.overview", text="hello there"), overview))
    assert labels(chat) == [shown(lang, "checkins.buttons.change"), shown(lang, "checkins.buttons.stop")]
    assert (await rules(chat))["checkin"] == {"at": "08:15", "weekdays": [0, 3]}


@LANGS
async def test_both_sides_must_tap_what_both_overviews_share(service: ConversationService,
                                                            lang: str) -> None:
    """"Change" is under both rhythms: typed, it says so and shows both again."""
    ana = await both_sides(service, lang)
    await ana.send("/checkins mentee mon 9:00")
    await ana.send("/checkins")
    change = shown(lang, "checkins.buttons.change")
    said = ana.texts(await ana.send(change))
    assert said.startswith(shown(lang, "checkins.typed.overviews", text=change))
    for side in ("mentee", "mentor"):  # both overviews again
        assert shown(lang, "checkins.view", side=side, word="", rhythm="", next=None,
                     paused=False).splitlines()[0] in said
    assert ("every Monday at 09:00" if lang == "en" else "jeden Montag um 09:00 Uhr") in said
    assert labels(ana)[-2:] == [change, shown(lang, "checkins.buttons.stop")]
    assert shown(lang, "checkins.how_often", side="mentor") not in said
    assert (await rules(ana))["checkin"] == {"at": "09:00", "weekdays": [0]}


async def test_a_typed_word_after_the_overview_no_longer_presses(service: ConversationService) -> None:
    """Only the next text is for the overview: after another command, "stop" is just text."""
    chat = await mentee_with_rhythm(service, "en")
    await chat.send("/checkins")
    await chat.send("/help")
    said = chat.texts(await chat.send("stop"))
    assert said != shown("en", "checkins.stopped", side=None, word="")
    assert (await rules(chat))["checkin"] == {"at": "08:15", "weekdays": [0, 3]}


@LANGS
async def test_mid_dialog_other_text_after_the_overview_goes_back_to_the_dialog(
        service: ConversationService, lang: str) -> None:
    """A look-up mid-dialog: its words still press its buttons, but an answer typed after it is
    met by the dialog's question again ("not saved yet"), never by the overview's hint."""
    chat = Chat(service, 3103, language=lang)
    await chat.send("/agreement")
    await chat.send("I want to lead a team")
    await chat.send("/checkins")
    said = chat.texts(await chat.send("My team trusts me"))
    title = shown(lang, "agreement.title")
    assert said.startswith(shown(lang, "common.service.not_saved_yet", title=title))
    assert shown(lang, "checkins.typed.overview", text="My team trusts me") not in said
    await chat.send("/checkins")
    said = chat.texts(await chat.send("wöchentlich" if lang == "de" else "weekly"))
    assert said.startswith(shown(lang, "checkins.which_day"))
