"""What a mentee's turn plans for their mentor: the mentor's next digest and own check-in (so a
new pairing starts them), the brief before the mentee's next meeting, and the mentor's
reflection before the pairing's planned end (one planned for an end the agreement moved is
cancelled).

Items are per person: these are the mentor's, planned here because the mentee's turn is where
their pairing, meeting and end date change. Their keys are the ones the mentor's own planners
make, so nothing is planned twice; this planner cancels nothing through `replan` (its kinds are
empty), the brief and the reflection cancel their own stale items. Besides every replan of the
mentee's, it runs after their agenda request was sent: the next meeting's brief follows from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from service.mentors import brief, digest, own_checkin
from service.schedule import meeting
from service.schedule.kinds import Planner
from service.turn import Turn
from storage.pairings import pairing_of_mentee
from storage.schedule import NewItem, rules_of
from storage.users import user_by_id
from storage.vocabulary import JSONObject


async def for_my_mentor(turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """The mentor's items that follow from this mentee's pairing, meeting and end."""
    pairing = await pairing_of_mentee(turn.session, turn.user.id)
    mentor = None if pairing is None else await user_by_id(turn.session, pairing.mentor_id)
    if pairing is None or mentor is None or not mentor.active:
        return []
    policy, now = turn.content.policy, turn.now
    mentor_rules = await rules_of(turn.session, mentor.id)
    items = [*await digest.mentor_items(turn.session, mentor, mentor_rules, policy, now),
             *await own_checkin.checkin_items(turn.session, mentor, mentor_rules, policy, now),
             *await brief.plan_for_mentor(turn, pairing, mentor, rules)]
    reflection = own_checkin.reflection_item(mentor, pairing, policy, now)
    await own_checkin.cancel_moved_reflection(turn.session, mentor.id, pairing, now)
    return [*items, reflection] if reflection is not None else items


def planners() -> tuple[Planner, ...]:
    """The mentee-side planner of their mentor's items."""
    return (Planner(frozenset(), for_my_mentor, after=frozenset({meeting.KIND})),)
