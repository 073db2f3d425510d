"""What a mentor sees of a shared goal: its date and its action steps only as far as the answers
they came from are shared (the walk-through shared GROW's "My goal, specifically" alone, and the
mentor saw every private step with its date). The view, the digest and the brief hold exactly the
shared parts, whatever the mentee chose."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import callbacks
from service.conversation import ConversationService
from service.inputs import PressIn
from service.mentors.view import mentee_detail
from storage.answers import answers_of, set_answer_visibility
from storage.goals import add_actions, create_goal
from storage.runs import get_run
from storage.vocabulary import Visibility
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.mentoring import pair, saved_run, user_id
from tests.test_digest import FRIDAY_16
from tests.test_meeting_brief import BRIEF_AT, MEETING, at, set_meeting
from tests.test_mentee_method import walk_transcript
from tests.test_transcripts import LANGUAGES, SQLITE_ONLY, localize

PARTS = ("goal_specific", "goal_timebound", "actions", "action_dates")
_counter = iter(range(70_000, 1_000_000, 2))


async def grow_goal(mentee: Chat, mark: str, shared: dict[str, bool]) -> None:
    """A completed GROW run and its goal as the run leaves it, each answer shared or private as
    chosen (the goal follows the answer that names it)."""
    answers = {"goal_specific": f"title{mark}", "goal_timebound": "2031-03-31",
               "actions": [f"stepone{mark}", f"steptwo{mark}"],
               "action_dates": [{"ref": 0, "item": f"stepone{mark}", "value": "2032-12-04"},
                                {"ref": 1, "item": f"steptwo{mark}", "value": None}]}
    run_id = await saved_run(mentee, "grow", answers, shared=False, stage="establishing")
    uid, now = await user_id(mentee), mentee.service.clock()
    async with mentee.service.sessionmaker.begin() as session:
        run = await get_run(session, run_id)
        assert run is not None
        for answer in await answers_of(session, uid):
            if answer.run_id == run_id and shared[answer.step_key]:
                await set_answer_visibility(session, uid, answer.id, Visibility.SHARED)
        goal = await create_goal(
            session, user_id=uid, run_id=run_id, dialog="grow", stage="establishing",
            title=f"title{mark}", details={}, due_on=date(2031, 3, 31), now=now,
            visibility=Visibility.SHARED if shared["goal_specific"] else Visibility.PRIVATE)
        await add_actions(session, goal_id=goal, user_id=uid, now=now,
                          actions=[(f"stepone{mark}", date(2032, 12, 4)),
                                   (f"steptwo{mark}", None)])


def seen(text: str, mark: str) -> dict[str, bool]:
    """Which of the run's parts a text shows."""
    return {"goal_specific": f"title{mark}" in text, "goal_timebound": "2031" in text,
            "actions": f"stepone{mark}" in text, "action_dates": "2032" in text}


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=4, max_size=4))
async def test_property_view_digest_and_brief_hold_exactly_the_shared_goal_parts(
        service: ConversationService, clock: FakeClock, choices: list[bool]) -> None:
    first = next(_counter)
    mark = f"{first}x"
    shared = dict(zip(PARTS, choices, strict=True))
    mentor, mentee = Chat(service, first), Chat(service, first + 1)
    clock.now = datetime(2026, 11, 21, 9, tzinfo=UTC)
    pairing = await pair(mentor, mentee)
    await grow_goal(mentee, mark, shared)
    await set_meeting(mentee, {"once": MEETING})

    async with service.sessionmaker.begin() as session:
        detail = await mentee_detail(session, await user_id(mentor), pairing.id, clock.now.date(),
                                     UTC, service.content.scripts,
                                     service.content.goal_parts)
    assert detail is not None
    goals = [(g.title, g.due_on, [(a.text, a.due_on) for a in g.actions]) for g in detail.goals]
    steps_shown = shared["actions"]
    assert goals == ([] if not shared["goal_specific"] else [(
        f"title{mark}", date(2031, 3, 31) if shared["goal_timebound"] else None,
        [] if not steps_shown else [
            (f"stepone{mark}", date(2032, 12, 4) if shared["action_dates"] else None),
            (f"steptwo{mark}", None)])])

    # The answer with the steps' dates names a step only while the steps are shared too.
    view = mentor.texts(await mentor.handle(PressIn(callbacks.mentee_data(pairing.id))))
    assert seen(view, mark) == shared, view
    brief = await at(mentor, clock, BRIEF_AT)
    assert seen(brief, mark) == shared, brief
    digest = await at(mentor, clock, FRIDAY_16)
    assert seen(digest, mark) == shared, digest


@SQLITE_ONLY
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_sharing_grows_goal_alone_shows_the_goal_and_no_private_step(
        service: ConversationService, chat: Chat, lang: str) -> None:
    """The walk-through: GROW done, then only "My goal, specifically" shared in /answers."""
    data = await walk_transcript(service, chat, "grow", lang)
    mentor = Chat(service, 9001, name="Maria", language=lang)
    pairing = await pair(mentor, chat)
    async with service.sessionmaker.begin() as session:
        [specific] = [a for a in await answers_of(session, await user_id(chat))
                      if a.step_key == "goal_specific"]
    await chat.handle(PressIn(callbacks.visibility_data(specific.id)))  # its share button

    view = mentor.texts(await mentor.handle(PressIn(callbacks.mentee_data(pairing.id))))
    assert localize(data["answers"]["goal_specific"], lang) in view
    for step in data["answers"]["actions"]:
        assert localize(step, lang) not in view, view
    assert "2027" not in view  # the goal's date came from a private answer
