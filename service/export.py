"""One user's data as JSON: the same content `coachbot export` prints and /export sends."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import DialogNotFound, Scripts
from prompts.catalog import Catalog
from service.timezones import zone_label
from storage.answers import answers_of
from storage.goals import goals_of
from storage.help import notes_of
from storage.invites import invites_by
from storage.pairings import pairings_of_user
from storage.programmes import programme_by_id
from storage.pulses import pulses_of
from storage.runs import runs_of
from storage.safety import moments_of
from storage.schedule import rules_of
from storage.users import UserRecord, first_name
from storage.vocabulary import RunStatus


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_user(
    session: AsyncSession, user: UserRecord, scripts: Scripts, catalog: Catalog, now: datetime
) -> dict[str, Any]:
    """Everything stored about a user: profile, scheduling rules, answers by stage and dialog,
    goals and actions, pairings, their pulse answers, the notes between them and their mentor
    (or mentees), the invite links they made, and the moments they were given help contacts.
    Only their own words and the words addressed to them: never another person's answers."""
    runs = await runs_of(session, user.id)
    answers = await answers_of(session, user.id)
    goals = await goals_of(session, user.id)
    pairings = await pairings_of_user(session, user.id)
    programme = None if user.programme_id is None else await programme_by_id(session,
                                                                              user.programme_id)
    by_stage: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for run in runs:
        run_answers = [a for a in answers if a.run_id == run.id]
        if not run_answers and run.status is not RunStatus.COMPLETED:
            continue
        entries = []
        for answer in run_answers:
            label = catalog.raw(user.language, f"{run.dialog}.steps.{answer.step_key}.label")
            entries.append({"step": answer.step_key, "question": label, "value": answer.value,
                            "visibility": answer.visibility,
                            "answered_at": _iso(answer.created_at),
                            "updated_at": _iso(answer.updated_at)})
        try:
            title = catalog.raw(user.language, f"{scripts.get(run.dialog).name}.title")
        except DialogNotFound:
            title = run.dialog
        by_stage.setdefault(run.stage, {}).setdefault(run.dialog, []).append({
            "run": run.id, "title": title, "status": run.status,
            "started_at": _iso(run.started_at), "completed_at": _iso(run.completed_at),
            "answers": entries})
    return {
        "exported_at": _iso(now),
        "user": {"telegram_id": user.telegram_id, "name": user.name, "language": user.language,
                 # The zone as kept (Etc/GMT-2) and as the bot shows it (UTC+2).
                 "timezone": user.timezone, "timezone_label": zone_label(user.timezone),
                 "role": user.role, "stage": user.stage,
                 "share_by_default": user.share_by_default,
                 "relationship_ends_on": _iso(user.relationship_ends_on),
                 # None: the bot's default quiet hours apply.
                 "quiet_hours": user.quiet_hours, "paused_until": _iso(user.paused_until),
                 "also_mentors": user.mentors, "language_chosen": user.language_chosen,
                 "programme": programme.name if programme is not None else None,
                 "joined_at": _iso(user.created_at)},
        # The rules the bot plans by, by kind: check-in rhythm, meeting, digest rhythm, ...
        "schedule": await rules_of(session, user.id),
        "answers": by_stage,
        "goals": [{"title": g.title, "dialog": g.dialog, "stage": g.stage, "details": g.details,
                   "due_on": _iso(g.due_on), "status": g.status, "visibility": g.visibility,
                   "created_at": _iso(g.created_at),
                   "actions": [{"text": a.text, "due_on": _iso(a.due_on), "status": a.status}
                               for a in g.actions]} for g in goals],
        # Their pairings: the other person by first name only; nothing of the mentee's content.
        "pairings": [{"id": p.id, "as": "mentor" if as_mentor else "mentee",
                      "with": first_name(name), "status": p.status,
                      "started_on": _iso(p.started_on), "ends_on": _iso(p.ends_on),
                      "ended_at": _iso(p.ended_at)} for p, as_mentor, name in pairings],
        # Their own relationship pulse answers: the other side's, about the same pairing, are not
        # theirs and never appear here.
        "pulses": [{"pairing": p.pairing_id, "as": p.side, "with": p.other, "score": p.score,
                    "comment": p.comment, "at": _iso(p.at)}
                   for p in await pulses_of(session, user.id)],
        # Notes to a mentor (/askmentor) and the one reply: a mentee's own notes and the replies
        # to them; a mentor's received notes and their own replies.
        "notes": [{"pairing": n.request.pairing_id, "as": "mentor" if n.as_mentor else "mentee",
                   "with": n.other, "note": n.request.note, "sent_at": _iso(n.request.created_at),
                   "reply": n.request.reply, "replied_at": _iso(n.request.replied_at)}
                  for n in await notes_of(session, user.id)],
        # The invite links they made (a mentor's for mentees): never a token, it is not kept.
        "invites": [{"role": i.role, "uses_left": i.uses_left, "expires_at": _iso(i.expires_at),
                     "created_at": _iso(made)} for i, made in await invites_by(session, user.id)],
        # When the bot gave them help contacts and kept the moment (as they agreed the programme
        # team may be told): moments only; what they wrote was never kept with them.
        "help_contacts_shown": [{"at": _iso(m.at), "programme": m.programme,
                                 "team_told": m.told}
                                for m in await moments_of(session, user.id)],
    }
