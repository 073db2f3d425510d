"""How the two people of a pairing are named to each other: one rule for every text.

Someone may have no first name: met in `coachbot chat`, or added on Telegram by id before they
ever wrote. So:

* someone with a first name is called by it (`storage.users.first_name`);
* someone without one is passed to a text as None, and the text says what they are to the
  reader in its own grammar ("your mentor", "deiner Mentorin oder deinem Mentor", "die Person,
  die du begleitest"): never "…", "?" or an id. Whether someone is paired at all is its own
  variable (`paired`), never read from a name being there;
* a mentor with more than one open mentee tells a nameless one apart as "Mentee N": the N-th
  person ever paired with them (ended pairings count), so the number stays while others come
  and go, and is the same in the digest, /mentees, /settings, the charts and every message;
* a programme's coordinators (/stats, `coachbot stats`, its CSV, the report) read a nameless
  mentee by that same "Mentee N" beside their mentor (also a mentor's only mentee: the
  coordinator has no "your mentee"), and a nameless mentor as "Mentor N", the N-th mentor first
  paired in the programme. Where people of several pairs stand in one list (the cohort
  check-in's "not answered"), a nameless mentee's mentor is named beside them (`whose_mentee`):
  two mentors may each have a "Mentee 1".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.pairings import (
    PairingRecord,
    mentees_in_order,
    mentees_in_order_of,
    mentors_in_order,
    pairing_of_mentee,
    pairings_of_mentor,
)
from storage.users import UserRecord, first_name, user_by_id

Say = Callable[..., str]  # a catalog text in the reader's language (Turn.say, Renderer.text)


async def mentor_words(session: AsyncSession, mentee_id: int) -> dict[str, Any]:
    """The variables the mentee's texts take about their mentor: `paired` (they have one now)
    and `mentor` (the mentor's first name; None without one, or unpaired)."""
    pairing = await pairing_of_mentee(session, mentee_id)
    mentor = None if pairing is None else await user_by_id(session, pairing.mentor_id)
    return {"paired": pairing is not None, "mentor": None if mentor is None else first_name(mentor.name)}


async def mentee_numbers(session: AsyncSession, mentor_id: int,
                         open_pairings: Sequence[tuple[PairingRecord, UserRecord]] | None = None,
                         ) -> dict[int, int]:
    """The N of "Mentee N" for each open pairing (by id) whose mentee has no first name, when
    the mentor has more than one open pairing; none otherwise. `open_pairings`:
    `pairings_of_mentor`, when the caller has it."""
    pairs = (open_pairings if open_pairings is not None
             else await pairings_of_mentor(session, mentor_id))
    nameless = [(pairing, mentee) for pairing, mentee in pairs if not first_name(mentee.name)]
    if len(pairs) < 2 or not nameless:
        return {}
    place = {mentee: n for n, mentee in enumerate(await mentees_in_order(session, mentor_id), 1)}
    return {pairing.id: place[mentee.id] for pairing, mentee in nameless}


def mentee_called(say: Say, name: str | None, number: int | None) -> str | None:
    """A mentee as their mentor's texts name them: the first name, else "Mentee N" (`number`,
    from `mentee_numbers`), else None."""
    return name or (say("common.names.mentee", number=number) if number else None)


async def mentee_names(session: AsyncSession, say: Say, mentor_id: int,
                       open_pairings: Sequence[tuple[PairingRecord, UserRecord]] | None = None,
                       ) -> dict[int, str | None]:
    """Each of the mentor's open pairings (by pairing id) as texts name its mentee to the mentor:
    the first name; without one, "Mentee N" when the mentor has several mentees, else None (the
    text says "your mentee"). `open_pairings`: `pairings_of_mentor`, when the caller has it."""
    pairs = (open_pairings if open_pairings is not None
             else await pairings_of_mentor(session, mentor_id))
    numbers = await mentee_numbers(session, mentor_id, pairs)
    return {pairing.id: mentee_called(say, first_name(mentee.name), numbers.get(pairing.id))
            for pairing, mentee in pairs}


async def mentee_name(session: AsyncSession, say: Say, mentor_id: int,
                      pairing_id: int) -> str | None:
    """One open pairing's mentee as texts name them to its mentor (`mentee_names`)."""
    return (await mentee_names(session, say, mentor_id)).get(pairing_id)


async def pair_names(session: AsyncSession, say: Say, programme_id: int,
                     pairs: Sequence[tuple[int, int, int]],
                     first_names: Mapping[int, str | None]) -> dict[int, tuple[str, str]]:
    """The mentor and the mentee of each of the programme's pairs (by pairing id; each pair given
    as pairing id, mentor id, mentee id) as its coordinators read them: by first name
    (`first_names`, by user id), else "Mentor N" and "Mentee N" (the module's rule). A grouped
    query per side, and only for a side where someone has no name."""
    mentors: dict[int, int] = {}
    if any(not first_names.get(mentor) for _, mentor, _ in pairs):
        mentors = {mentor: n for n, mentor in
                   enumerate(await mentors_in_order(session, programme_id), 1)}
    theirs = await mentees_in_order_of(
        session, {mentor for _, mentor, mentee in pairs if not first_names.get(mentee)})
    mentees = {mentor: {mentee: n for n, mentee in enumerate(order, 1)}
               for mentor, order in theirs.items()}
    return {pairing: (first_names.get(mentor) or say("common.names.mentor", number=mentors[mentor]),
                      first_names.get(mentee)
                      or say("common.names.mentee", number=mentees[mentor][mentee]))
            for pairing, mentor, mentee in pairs}


def whose_mentee(say: Say, names: tuple[str, str], named: bool) -> str:
    """A pair's mentee (`names`: mentor and mentee as `pair_names` gives them) in a coordinator's
    list of people from several pairs: by first name (`named`) as is; "Mentee N", numbered per
    mentor and so not unique in a programme, with their mentor beside it ("Mentee 1 (Maria's)")."""
    mentor, mentee = names
    return mentee if named else say("common.names.mentee_of", mentee=mentee, mentor=mentor)
