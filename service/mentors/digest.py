"""The mentor's digest: on their own rhythm (default weekly, Friday 16:00 in their zone; `/digest`
shows and changes it), per mentee only what was shared since the last digest (check-ins,
agendas, reflections and other answers; new or changed goals; notes asking for help) and the
flags worth a look. Nothing new and no flags: no digest (the item is skipped). `/digest` shows
the same digest as it stands (built by `news`, as the scheduled one is) without marking it sent:
reading it early does not use it up, so the scheduled one still brings it, with anything newer.

Everything a mentor reads of a mentee comes through `storage.shared` (and the help requests
addressed to them). Button choices are `sk:digest:<value>`: `daily`, `weekly` → `day:<weekday>`,
`at:<weekday|x>:<HHMM>`, `off`, `show` (the overview again, after typed text none of its
buttons' words: service.typed_buttons).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.engine import clean_text
from dialogs.registry import Scripts
from service.callbacks import scheduling_data
from service.mentors.charts import confidence_message
from service.mentors.rules import DIGEST, OFF, is_mentor, rhythm_of
from service.mentors.shared_text import answers_text, goals_text, local_day
from service.mentors.view import missed_in_row, readable_shares
from service.messages import Button, OutMessage, Response, button
from service.names import Say, mentee_names
from service.render import Renderer
from service.schedule.checkins import TIMES, describe
from service.schedule.kinds import Choice, PersonKind, Planner
from service.schedule.placing import occurrences, quiet_said, when
from service.schedule.plan import replan
from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import Rhythm
from service.schedule.typed import Off, parse_rhythm
from service.turn import Turn
from service.typed_buttons import offer, outside_dialog
from storage.answers import AnswerRecord
from storage.goals import GoalRecord
from storage.help import HelpRecord, help_asked_since
from storage.pairings import PairingRecord, pairings_of_mentor
from storage.schedule import ItemRecord, NewItem, last_sent_at, pending_items, rules_of, set_rule
from storage.shared import GoalParts, activity, changed_goals
from storage.users import UserRecord
from storage.vocabulary import JSONObject

KIND = DIGEST
TOPIC = "digest"
CONFIDENCE = ("checkin", "confidence")
CONFIDENCE_DROP = 3  # a fall by this much between two shared check-ins is flagged
ENDING_DAYS = 28  # the planned end this close is flagged


@dataclass(frozen=True)
class MenteeNews:
    """One mentee's part of a digest: what they shared since the last one, and the flags."""

    pairing_id: int
    name: str | None
    answers: tuple[AnswerRecord, ...]
    goals: tuple[GoalRecord, ...]
    help: tuple[HelpRecord, ...]
    flags: tuple[str, ...]
    days_left: int | None
    missed: int = 0  # check-in invitations missed in a row

    @property
    def empty(self) -> bool:
        """Nothing new and nothing flagged."""
        return not (self.answers or self.goals or self.help or self.flags)


def confidence_trend(answers: Sequence[AnswerRecord]) -> list[int]:
    """The confidence of each shared check-in, oldest first."""
    values = []
    for answer in answers:
        if (answer.dialog, answer.step_key) == CONFIDENCE and str(answer.value).isdigit():
            values.append(int(str(answer.value)))
    return values


def flags_of(pairing: PairingRecord, mentee: UserRecord, answers: Sequence[AnswerRecord],
             new: Sequence[AnswerRecord], asked: Sequence[HelpRecord], today: date) -> list[str]:
    """What a mentor should look at: help asked, confidence down by 3 or more in a check-in
    shared since, the planned end within 28 days, the mentee unreachable."""
    flags = ["help"] if asked else []
    trend = confidence_trend(answers)
    if len(trend) >= 2 and trend[-2] - trend[-1] >= CONFIDENCE_DROP and confidence_trend(new):
        flags.append("confidence_down")
    ends = pairing.ends_on
    if ends is not None and 0 <= (ends - today).days <= ENDING_DAYS:
        flags.append("ending")
    if not mentee.active:
        flags.append("unreachable")
    return flags


async def gather(session: AsyncSession, mentor_id: int, since: datetime | None,
                 today: date, scripts: Scripts, parts: Mapping[str, GoalParts], say: Say
                 ) -> list[MenteeNews]:
    """Each open pairing's news since `since` (None: everything shared so far); of a goal, the
    parts whose answers are shared; of an answer, what it quotes only as far as the mentor reads
    it in its own place (`readable_shares`); each mentee named as the mentor's texts name them
    (`say`: in the mentor's language; service.names)."""
    news = []
    pairs = await pairings_of_mentor(session, mentor_id)
    names = await mentee_names(session, say, mentor_id, pairs)
    for pairing, mentee in pairs:
        answers, shared = await readable_shares(session, mentor_id, pairing.id, scripts, parts)
        new = tuple(a for a in answers if since is None or a.updated_at > since)
        goals = tuple(shared if since is None else await changed_goals(session, shared, since))
        asked = tuple(await help_asked_since(session, mentor_id, pairing.id, since))
        facts = await activity(session, mentor_id, pairing.id)
        missed = missed_in_row(facts.checkin_statuses) if facts else 0
        flags = ["missed"] if missed else []
        flags += flags_of(pairing, mentee, answers, new, asked, today)
        ends = pairing.ends_on
        news.append(MenteeNews(pairing.id, names[pairing.id], new, goals, asked,
                               tuple(flags), (ends - today).days if ends else None, missed))
    return news


def render_digest(render: Renderer, scripts: Scripts, news: Sequence[MenteeNews], zone: str,
                  since: datetime | None) -> list[OutMessage]:
    """One message per mentee with news (the heading on the first); the quiet ones named at the
    end. A long one is split by the front-end (Telegram's 4096 characters)."""
    say = render.text
    told = [n for n in news if not n.empty]
    quiet = [n.name for n in news if n.empty]  # several mentees: each has a name or a number
    parts = []
    for mentee in told:
        blocks = [say("digest.mentee", name=mentee.name)]
        blocks += [say(f"digest.flags.{flag}", name=mentee.name, days=mentee.days_left,
                       count=mentee.missed) for flag in mentee.flags]
        blocks += [say("digest.help", note=h.note, day=local_day(h.created_at, zone),
                       answered=h.reply is not None) for h in mentee.help]
        blocks += answers_text(render, scripts, mentee.answers, zone)
        if mentee.goals:
            blocks.append(say("digest.goals") + "\n" + "\n".join(goals_text(render, mentee.goals)))
        parts.append("\n\n".join(blocks))
    if not parts:
        return []
    heading = say("digest.heading", since=local_day(since, zone) if since else None)
    parts[0] = f"{heading}\n\n{parts[0]}"
    if quiet:
        parts[-1] += "\n\n" + say("digest.quiet", names=quiet)
    return [OutMessage(part) for part in parts]


# --- The kind ------------------------------------------------------------------------------


async def news(turn: Turn, besides: int | None = None
               ) -> tuple[datetime | None, list[OutMessage]]:
    """The digest as it stands: what is new since the last one sent (`besides`: the item being
    sent now), with the confidence chart; no messages when there is nothing to tell."""
    since = await last_sent_at(turn.session, turn.user.id, KIND, besides=besides)
    found = await gather(turn.session, turn.user.id, since, turn.today, turn.content.scripts,
                         turn.content.goal_parts, turn.say)
    messages = render_digest(turn.render, turn.content.scripts, found, turn.user.timezone, since)
    if not messages:
        return since, []
    chart = await confidence_message(turn)  # the trend of every mentee who shared check-ins
    return since, [*messages, *((chart,) if chart else ())]


async def due(turn: Turn, item: ItemRecord) -> Response | None:
    """The digest at the mentor's time, or nothing when there is nothing to tell."""
    _since, messages = await news(turn, besides=item.id)
    return Response(tuple(messages)) if messages else None


async def mentor_items(session: AsyncSession, mentor: UserRecord, rules: Mapping[str, JSONObject],
                       policy: SchedulePolicy, now: datetime) -> list[NewItem]:
    """The mentor's next digest (creating the default rule the first time)."""
    if not is_mentor(mentor):
        return []
    if KIND not in rules:
        rhythm = rhythm_of(rules, KIND)
        await set_rule(session, mentor.id, KIND, rhythm.to_json() if rhythm else OFF, now)
    rhythm = rhythm_of(rules, KIND)
    if rhythm is None:
        return []
    pending = [item.key for item in await pending_items(session, mentor.id, [KIND])]
    return await occurrences(session, KIND, rhythm, mentor, policy, now, pending)


async def plan(turn: Turn, rules: Mapping[str, JSONObject]) -> Iterable[NewItem]:
    """The mentor's next digest, from their rule."""
    return await mentor_items(turn.session, turn.user, rules, turn.content.policy, turn.now)


# --- /digest -------------------------------------------------------------------------------


def _data(value: str) -> str:
    return scheduling_data(TOPIC, value)


#: The words that stand for the overview's buttons when typed, beside their labels (catalog word
#: lists, in every language).
OVERVIEW_WORDS = (("digest.button_words.daily", "daily"), ("digest.button_words.weekly", "weekly"),
                  ("digest.button_words.off", "off"))


async def overview(turn: Turn, note: str | None = None) -> OutMessage:
    """The digest's rhythm and the next one, with buttons to change it: typed, their words (and
    synonyms) act as a tap, other text gets a hint and the overview again."""
    await replan(turn, turn.content.schedule)  # the first use creates the default rule
    rhythm = rhythm_of(await rules_of(turn.session, turn.user.id), KIND)
    say = turn.say
    if rhythm is None:
        text = say("digest.view_off")
    else:
        pending = await pending_items(turn.session, turn.user.id, [KIND])
        text = say("digest.view", rhythm=describe(turn, rhythm),
                   next=when(turn, pending[0].due_at) if pending else None)
    rows: tuple[tuple[Button, ...], ...] = ((
        button(say("digest.buttons.daily"), _data("daily")),
        button(say("digest.buttons.weekly"), _data("weekly")),
        button(say("digest.buttons.off"), _data("off"))),)
    return await offer(turn, OutMessage(f"{note}\n\n{text}" if note else text, rows),
                       again=outside_dialog(turn, (_data("show"), "checkins.typed.overview")),
                       words=[(key, _data(value)) for key, value in OVERVIEW_WORDS])


async def show(turn: Turn) -> Response:
    """`/digest` alone: the digest as it stands (or that nothing is new), then its rhythm."""
    since, messages = await news(turn)
    if not messages:
        day = local_day(since, turn.user.timezone) if since else None
        return Response((OutMessage(turn.say("digest.nothing_new", since=day)),
                         await overview(turn)))
    return Response((*messages, await overview(turn, turn.say("digest.so_far"))))


async def digest_command(turn: Turn, args: str) -> Response:
    """`/digest` shows the rhythm; `/digest daily 08:00`, `/digest fri 17:00`, `/digest off`
    (and the German forms) change it."""
    if not is_mentor(turn.user):
        return turn.message("digest.not_mentor")
    if not clean_text(args):
        return await show(turn)
    parsed = parse_rhythm(args, turn.today)
    if parsed is None:
        return turn.message("digest.not_understood", text=args.strip()[:64])
    return await set_rhythm(turn, None if isinstance(parsed, Off) else parsed)


async def set_rhythm(turn: Turn, rhythm: Rhythm | None) -> Response:
    """Keep this rhythm (None: off) and plan the next digest."""
    await set_rule(turn.session, turn.user.id, KIND, rhythm.to_json() if rhythm else OFF,
                   turn.now)
    await replan(turn, turn.content.schedule)
    if rhythm is None:
        return turn.message("digest.stopped")
    pending = await pending_items(turn.session, turn.user.id, [KIND])
    return turn.message("digest.set", rhythm=describe(turn, rhythm),
                        next=when(turn, pending[0].due_at) if pending else None,
                        **quiet_said(turn, rhythm.at))


async def choose(turn: Turn, value: str) -> Response:
    """A press on one of the digest's choices."""
    if not is_mentor(turn.user):
        return turn.stale_press()
    say = turn.say
    if value == "off":
        return await set_rhythm(turn, None)
    if value == "show":
        return Response((await overview(turn),))
    again = _data(value)  # this press shows the picker again after unreadable text
    if value == "daily":
        return Response((await _time_question(turn, "x", again),))
    if value == "weekly":
        names = turn.content.catalog.raw(turn.lang, "common.weekdays") or []
        days = [button(str(names[day]), _data(f"day:{day}")) for day in range(7)]
        question = OutMessage(say("digest.which_day"), (tuple(days[:4]), tuple(days[4:])))
        return Response((await offer(turn, question, again=(again, "checkins.typed.day")),))
    head, _, rest = value.partition(":")
    if head == "day" and len(rest) == 1 and rest in "0123456":
        return Response((await _time_question(turn, rest, again),))
    if head == "at":
        rhythm = _picked(rest)
        return turn.stale_press() if rhythm is None else await set_rhythm(turn, rhythm)
    return turn.stale_press()


async def _time_question(turn: Turn, day: str, again: str) -> OutMessage:
    """The times to pick, and how to type one, for every day (`x`) or one weekday; a time typed
    alone is taken, other text shows the question again (the press `again`)."""
    row = tuple(button(turn.say("digest.buttons.at", at=at.strftime("%H:%M")),
                       _data(f"at:{day}:{at.strftime('%H%M')}")) for at in (time(8), *TIMES[1:]))
    return await offer(turn, OutMessage(turn.say("digest.which_time"), (row,)),
                       _data(f"at:{day}:"), (again, "checkins.typed.time"))


def _picked(rest: str) -> Rhythm | None:
    """The rhythm of an `at:<weekday|x>:<HHMM>` choice."""
    day, _, hhmm = rest.partition(":")
    if len(hhmm) != 4 or not hhmm.isdigit() or int(hhmm[:2]) > 23 or int(hhmm[2:]) > 59:
        return None
    at = time(int(hhmm[:2]), int(hhmm[2:]))
    if day == "x":
        return Rhythm(at)
    if len(day) == 1 and day in "0123456":
        return Rhythm(at, frozenset({int(day)}))
    return None


def kinds() -> tuple[PersonKind | Planner | Choice, ...]:
    """The digest's kind, its planner and its choices."""
    return (PersonKind(KIND, due), Planner(frozenset({KIND}), plan), Choice(TOPIC, choose))

