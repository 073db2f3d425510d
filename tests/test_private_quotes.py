"""What a mentee keeps private reaches the mentor through no other answer. The walk-through: GROW
shared by default, then "Choose answers" and "My steps" (and "My options") kept private; the
mentor's /mentees, /digest, scheduled digest and meeting brief still showed each step under "Dates
for the steps" (the shared answer that dates them) and under the check-in's "Progress on my
steps". Each answer of these tests carries a unique marker word; every text the mentor gets is
searched for the private ones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from service.conversation import ConversationService
from storage.answers import answers_of, set_answer_visibility
from storage.goals import add_actions, create_goal
from storage.users import update_user
from storage.vocabulary import Visibility
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import pair, saved_run, user_id
from tests.test_digest import FRIDAY_16
from tests.test_meeting_brief import BRIEF_AT, MEETING, at, set_meeting

DONE = {"en": "done", "de": "fertig"}


async def grow(mentee: Chat, mark: str) -> None:
    """GROW typed through, each answer with the marker; the last reply is the sharing question."""
    lang = mentee.language
    await mentee.send("/grow")
    for text in (f"wish{mark}", f"title{mark}", f"measure{mark}", f"achieve{mark}",
                 f"relevant{mark}", "2027-03-31", f"now{mark}", f"tried{mark}", "/skip", "4",
                 f"optalpha{mark}", f"optbeta{mark}", DONE[lang], f"obstacle{mark}", DONE[lang],
                 f"gone{mark}", "/skip", "2", DONE[lang], f"stepalpha{mark}", f"stepbeta{mark}",
                 DONE[lang], "2027-01-15", "2027-02-15", "2026-12-20", f"support{mark}", "8"):
        await mentee.send(text)
    assert "stepalpha" in mentee.last_text  # the summary
    await mentee.send({"en": "yes", "de": "ja"}[lang])
    assert mentee.last.choices, mentee.last_text


async def keep_private(mentee: Chat, dialog: str, steps: tuple[str, ...]) -> None:
    """At the sharing question: "Choose answers", each of these answers' number, "Done"."""
    lang = mentee.language
    await mentee.press(shown(lang, "sharing.buttons.pick", chosen=False))
    for step in steps:
        label = shown(lang, f"{dialog}.steps.{step}.label")
        [number] = re.findall(rf"^(\d+)\. 👥 {re.escape(label)}:", mentee.last_text, re.MULTILINE)
        await mentee.press(f"{number} 👥")
    await mentee.press(shown(lang, "sharing.buttons.done"))


async def checkin(mentee: Chat, mark: str) -> None:
    """A check-in: the first step done, the second partly; everything shared."""
    lang = mentee.language
    await mentee.send("/checkin")
    for choice in ("done", "partly"):
        await mentee.press(shown(lang, f"checkin.steps.action_status.choices.{choice}"))
    for text in (f"helped{mark}", f"inway{mark}", "7", "/skip", "/skip"):
        await mentee.send(text)
    await mentee.send({"en": "yes", "de": "ja"}[lang])
    await mentee.press(shown(lang, "sharing.buttons.all", mentor="Maria", chosen=False))


async def mentor_sees(mentor: Chat, clock: FakeClock) -> dict[str, str]:
    """Every view the mentor has of their mentee: /mentees and one mentee opened, /digest, the
    meeting brief and the scheduled digest."""
    seen = {"list": mentor.texts(await mentor.send("/mentees"))}
    seen["detail"] = mentor.texts(await mentor.press("Ana"))
    seen["digest"] = mentor.texts(await mentor.send("/digest"))
    seen["brief"] = await at(mentor, clock, BRIEF_AT)
    seen["scheduled digest"] = await at(mentor, clock, FRIDAY_16)
    return seen


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_private_steps_and_options_reach_the_mentor_through_no_other_answer(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    mark = f"q{lang}x"
    mentor = Chat(service, 8101, name="Maria", language=lang)
    mentee = Chat(service, 8102, name="Ana", language=lang)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    await pair(mentor, mentee)
    async with service.sessionmaker.begin() as session:
        await update_user(session, await user_id(mentee), clock.now, share_by_default=True)
    await set_meeting(mentee, {"once": MEETING})

    await grow(mentee, mark)
    await keep_private(mentee, "grow", ("options", "actions"))
    await checkin(mentee, mark)

    seen = await mentor_sees(mentor, clock)
    withheld = shown(lang, "common.values.withheld")
    for view, text in seen.items():
        for private in (f"stepalpha{mark}", f"stepbeta{mark}", f"optalpha{mark}",
                        f"optbeta{mark}"):
            assert private not in text, (view, private, text)
    for view in ("detail", "digest", "brief", "scheduled digest"):
        text = seen[view]
        assert f"helped{mark}" in text, (view, text)  # the check-in is there,
        assert withheld in text, (view, text)  # its steps not shared
        assert shown(lang, "checkin.steps.action_status.choices.partly") in text, (view, text)
    for view in ("detail", "digest"):  # GROW: the goal, the steps' dates, the option chosen
        text = seen[view]
        assert f"title{mark}" in text, (view, text)
        assert {"en": "15 January 2027", "de": "15. Januar 2027"}[lang] in text, (view, text)
        assert shown(lang, "grow.steps.chosen_options.label") in text, (view, text)


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_shared_steps_are_named_where_an_answer_quotes_them(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """The other way round: with the steps shared, the dates and statuses name them."""
    mark = f"s{lang}y"
    mentor = Chat(service, 8201, name="Maria", language=lang)
    mentee = Chat(service, 8202, name="Ana", language=lang)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    await pair(mentor, mentee)
    await grow(mentee, mark)
    await mentee.press(shown(lang, "sharing.buttons.all", mentor="Maria", chosen=False))
    await checkin(mentee, mark)
    await mentor.send("/mentees")
    text = mentor.texts(await mentor.press("Ana"))
    assert shown(lang, "common.values.withheld") not in text
    done = shown(lang, "checkin.steps.action_status.choices.done")
    assert f"stepalpha{mark}: {done}" in text
    assert f"stepalpha{mark}: " + {"en": "15 January 2027", "de": "15. Januar 2027"}[lang] in text
    assert f"optbeta{mark}" in text.split(shown(lang, "grow.steps.chosen_options.label"))[1]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_reflection_and_a_vision_quote_no_private_goal_or_step(
        service: ConversationService, clock: FakeClock, lang: str) -> None:
    """The reflection's outcome names each goal, the vision's first step is one of its steps:
    a private goal and private steps are not named there, a shared goal is."""
    mark = f"r{lang}z"
    mentor = Chat(service, 8301, name="Maria", language=lang)
    mentee = Chat(service, 8302, name="Ana", language=lang)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    await pair(mentor, mentee)
    uid, now = await user_id(mentee), clock.now
    vision = await saved_run(mentee, "vision", {
        "future": f"future{mark}", "steps": [f"visionstep{mark}", f"later{mark}"],
        "first_step": [f"visionstep{mark}"], "first_step_date": "2027-01-10"},
        shared=True, stage="establishing")
    async with service.sessionmaker.begin() as session:
        [steps] = [a for a in await answers_of(session, uid) if a.step_key == "steps"]
        await set_answer_visibility(session, uid, steps.id, Visibility.PRIVATE)
        shared_goal = await create_goal(
            session, user_id=uid, run_id=vision, dialog="vision", stage="establishing",
            title=f"future{mark}", details={}, due_on=None, visibility=Visibility.SHARED, now=now)
        await add_actions(session, goal_id=shared_goal, user_id=uid, now=now,
                          actions=[(f"visionstep{mark}", date(2027, 1, 10))])
        private_goal = await create_goal(
            session, user_id=uid, run_id=None, dialog="grow", stage="establishing",
            title=f"secretgoal{mark}", details={}, due_on=None, visibility=Visibility.PRIVATE,
            now=now)
    await saved_run(mentee, "reflection", {"goal_outcomes": [
        {"ref": shared_goal, "item": f"future{mark}", "value": "reached"},
        {"ref": private_goal, "item": f"secretgoal{mark}", "value": "partly"}],
        "achieved": f"achieved{mark}"}, shared=True, stage="ending")
    await mentor.send("/mentees")
    text = mentor.texts(await mentor.press("Ana"))
    text += mentor.texts(await mentor.send("/digest"))
    assert f"achieved{mark}" in text
    assert f"future{mark}: " + shown(lang, "reflection.steps.goal_outcomes.choices.reached") in text
    withheld = shown(lang, "common.values.withheld")
    assert f"{withheld}: " + shown(lang, "reflection.steps.goal_outcomes.choices.partly") in text
    assert f"secretgoal{mark}" not in text
    assert f"visionstep{mark}" not in text  # the first step is one of the private steps
    assert f"later{mark}" not in text
    assert {"en": "10 January 2027", "de": "10. Januar 2027"}[lang] in text  # its date is shared
