"""A mentor's own check-in rhythm under /checkins (issue 10, item 8): shown with its default
(every other Friday at 15:00), changed by the mentee's typed forms and buttons, en and de; someone
on both sides sees both rhythms, each named, and names the side when typing a change; the
invitation then comes at the new time. Also from the terminal (`coachbot chat --role mentor`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.terminal import to_plain
from service.conversation import ConversationService
from service.inputs import PressIn
from storage.schedule import pending_items, rules_of
from tests.support.chat import Chat, rendered, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import one_pass, pair, to, user_id
from tests.test_mentor_accounts import as_mentor
from tests.test_schedule_checkins import at

# The FakeClock starts on Saturday, 21 November 2026, 09:00 UTC.
OWN, MENTEES = "mentor_checkin", "checkin"
NO_QUIET: dict[str, str | None] = {"quiet": None, "at": "", "quiet_end": ""}  # not in quiet hours


async def rule_and_next(chat: Chat, kind: str) -> tuple[object, list[object]]:
    """The person's rule of this kind and when its pending items are due."""
    uid = await user_id(chat)
    async with chat.service.sessionmaker.begin() as session:
        rules = await rules_of(session, uid)
        pending = await pending_items(session, uid, [kind])
    return rules.get(kind), [item.due_at for item in pending]


async def both_sides(service: ConversationService, lang: str) -> Chat:
    """Ana came in as a mentee and added the mentor side; she lives in Berlin."""
    ana = Chat(service, user_id=601, language=lang, name="Ana")
    await ana.send("/start")
    await ana.press(shown(lang, "mentors.roles.mentee_button"))
    await ana.send("/start mentor")
    await ana.send(f"/settings {'zeitzone' if lang == 'de' else 'timezone'} Europe/Berlin")
    return ana


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_sees_and_types_their_own_rhythm(service: ConversationService,
                                                         lang: str) -> None:
    ben = await as_mentor(service, lang)
    await ben.send("/settings " + ("zeitzone" if lang == "de" else "timezone") + " Europe/Berlin")
    await pair(ben, Chat(service, user_id=602, language=lang, name="Cleo"))

    view = ben.texts(await ben.send("/checkins"))
    default = "every other Friday at 15:00" if lang == "en" else "alle zwei Wochen am Freitag um 15:00 Uhr"
    heading = shown(lang, "checkins.view", side="mentor", word="", rhythm="", next=None,
                    paused=False).splitlines()[0]
    assert view.startswith(heading)
    assert default in view
    friday = "Friday, 4 December 2026 at 15:00" if lang == "en" else "Freitag, 4. Dezember 2026 um 15:00 Uhr"
    assert friday in view
    assert [b.label for b in ben.buttons] == [shown(lang, "checkins.buttons.change"),
                                              shown(lang, "checkins.buttons.stop")]

    daily = "daily 18:30" if lang == "en" else "täglich 18:30"
    said = ben.texts(await ben.send(f"/checkins {daily}"))
    assert said.startswith(shown(lang, "checkins.set", **NO_QUIET, side="mentor", word="",
                                 rhythm="every day at 18:30" if lang == "en"
                                 else "jeden Tag um 18:30 Uhr",
                                 next=None).split(":")[0])
    assert await rule_and_next(ben, OWN) == ({"at": "18:30"},
                                             [at("Europe/Berlin", date(2026, 11, 21), 18, 30)])
    assert await rule_and_next(ben, MENTEES) == (None, [])  # nothing of a mentee's made

    said = ben.texts(await ben.send("/checkins " + ("off" if lang == "en" else "aus")))
    assert said == shown(lang, "checkins.stopped", side="mentor", word="")
    assert await rule_and_next(ben, OWN) == ({"off": True}, [])
    view = ben.texts(await ben.send("/checkins"))
    assert view == shown(lang, "checkins.none", side="mentor", word="")
    assert [b.label for b in ben.buttons] == [shown(lang, "checkins.buttons.set")]

    bad = ben.texts(await ben.send("/checkins sometimes"))
    assert bad == shown(lang, "checkins.not_understood", text="sometimes", side="mentor", word="")


async def test_the_buttons_set_the_mentors_rhythm_and_the_invitation_comes_then(
    service: ConversationService, clock: FakeClock,
) -> None:
    ben = await as_mentor(service)
    await ben.send("/settings timezone Europe/Berlin")
    await pair(ben, Chat(service, user_id=602, name="Cleo"))
    await ben.send("/checkins")
    await ben.press("Change")
    assert ben.last_text == shown("en", "checkins.how_often", side="mentor", word="")
    await ben.press("Weekly")
    await ben.press("Tuesday")
    said = ben.texts(await ben.press("17:30"))
    assert "I'll invite you to your own check-in as a mentor every Tuesday at 17:30" in said
    assert "Tuesday, 24 November 2026 at 17:30" in said
    due = at("Europe/Berlin", date(2026, 11, 24), 17, 30)
    assert await rule_and_next(ben, OWN) == ({"at": "17:30", "weekdays": [1]}, [due])

    clock.now = due
    [invitation] = to(ben, await one_pass(service))
    assert invitation.text == rendered("en", "mentor_checkins.invite", name="Ben")
    assert [b.label for b in invitation.choices] == ["Start", "Not this time"]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_someone_on_both_sides_sees_both_and_names_the_side(service: ConversationService,
                                                                    lang: str) -> None:
    ana = await both_sides(service, lang)
    await ana.send("/checkins " + ("mon,thu 08:15" if lang == "en" else "mo,do 08:15"))
    response = await ana.send("/checkins")
    mentee_view, mentor_view = (to_plain(message.text) for message in response.messages)
    assert mentee_view.startswith(shown(lang, "checkins.view", side="mentee", word="mentee ",
                                        rhythm="", next=None, paused=False).splitlines()[0])
    assert mentor_view.startswith(shown(lang, "checkins.view", side="mentor", word="mentor ",
                                        rhythm="", next=None, paused=False).splitlines()[0])
    assert "/checkins mentor " in mentor_view
    assert "/checkins mentee " in mentee_view

    # Named: only that side changes.
    mentor_word = "mentor" if lang == "en" else "Mentorin"
    await ana.send(f"/checkins {mentor_word} " + ("fri 17:00" if lang == "en" else "fr 17:00"))
    assert await rule_and_next(ana, OWN) == ({"at": "17:00", "weekdays": [4]}, [])  # no mentee yet
    mentee_rule = {"at": "08:15", "weekdays": [0, 3]}
    assert (await rule_and_next(ana, MENTEES))[0] == mentee_rule

    # Unnamed: their primary side's (a mentee's), and the reply names it.
    said = ana.texts(await ana.send("/checkins " + ("daily 18:30" if lang == "en"
                                                    else "täglich 18:30")))
    assert said.startswith(shown(lang, "checkins.set", **NO_QUIET, side="mentee", word="mentee ",
                                 rhythm="every day at 18:30" if lang == "en"
                                 else "jeden Tag um 18:30 Uhr", next=None))
    assert (await rule_and_next(ana, MENTEES))[0] == {"at": "18:30"}
    assert (await rule_and_next(ana, OWN))[0] == {"at": "17:00", "weekdays": [4]}

    said = ana.texts(await ana.send("/checkins mentee " + ("off" if lang == "en" else "aus")))
    assert said == shown(lang, "checkins.stopped", side="mentee", word="mentee ")
    assert await rule_and_next(ana, MENTEES) == (None, [])
    assert (await rule_and_next(ana, OWN))[0] == {"at": "17:00", "weekdays": [4]}

    bad = ana.texts(await ana.send("/checkins mentor sometimes"))
    assert bad == shown(lang, "checkins.not_understood", text="sometimes", side="mentor",
                        word="mentor ")


async def test_the_mentors_pickers_are_refused_to_a_mentee(service: ConversationService) -> None:
    ben = await as_mentor(service)
    await ben.send("/checkins")
    change = next(b.data for b in ben.buttons if b.label == "Change")
    ana = Chat(service, user_id=603, name="Ana")
    await ana.send("/start")
    await ana.press(shown("en", "mentors.roles.mentee_button"))
    pressed = await ana.handle(PressIn(change))
    assert pressed.toast == shown("en", "common.notes.stale_button")
    assert await rule_and_next(ana, OWN) == (None, [])


def test_the_terminal_mentor_changes_their_own_rhythm(tmp_path: Path) -> None:
    from tests.test_cli import coachbot

    chat = coachbot(tmp_path, "chat", "--user-id", "24", "--role", "mentor",
                    stdin="/checkins\n/checkins every 2 weeks fri 17:00\n")
    assert chat.returncode == 0, chat.stderr
    assert "Your own check-ins as a mentor" in chat.stdout
    assert "every other Friday at 15:00" in chat.stdout
    assert "I'll invite you to your own check-in as a mentor every other Friday at 17:00" \
        in chat.stdout
    german = coachbot(tmp_path, "chat", "--user-id", "25", "--role", "mentor", "--lang", "de",
                      stdin="/checkins täglich 18:45\n")
    assert german.returncode == 0, german.stderr
    assert "Ich lade dich jeden Tag um 18:45 Uhr zu deinem eigenen Check-in als Mentorin oder " \
           "Mentor ein." in german.stdout
