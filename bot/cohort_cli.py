"""`coachbot broadcast` and `coachbot stats`: a coordinator's cohort tools from the shell. Errors
are one line; figures are counts and first names, never what anyone answered."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.app import build_service, open_database, open_for_reading, utc_now
from bot.settings import Settings
from service.programmes.broadcasts import audience_of, parse_at, schedule_broadcast
from service.programmes.stats import ProgrammeStats, programme_stats, to_csv
from storage.database import create_sessionmaker
from storage.programmes import programme_by_name

PEOPLE = {"mentees": "mentee", "mentors": "mentor", "all": "member"}


def _fail(message: str) -> int:
    print(f"coachbot: {message}", file=sys.stderr)
    return 1


async def broadcast(settings: Settings, programme_name: str, dialog: str, at: str,
                    to: str | None = None) -> int:
    """Plan a cohort-wide dialog at a local wall time in every member's own zone, for its
    audience (`to`; by default the dialog's own side)."""
    local_at = parse_at(at)
    if local_at is None:
        return _fail(f"cannot read {at!r} as a local date and time; write e.g. \"2027-01-12 18:00\"")
    async with open_database(settings) as engine:
        service = build_service(engine, settings)
        if dialog not in service.scripts.by_name:
            return _fail(f"no dialog called {dialog!r}; there are: {', '.join(service.scripts.by_name)}")
        audience = to or audience_of(service.scripts.get(dialog))
        now = service.clock()
        async with service.sessionmaker.begin() as session:
            programme = await programme_by_name(session, programme_name)
            if programme is None:
                return _fail(f"no programme called {programme_name!r}")
            planned = await schedule_broadcast(session, programme, dialog, local_at,
                                               created_by=None, policy=service.content.policy,
                                               now=now, audience=audience)
    stamp = "%Y-%m-%d %H:%M UTC"
    print(f"Broadcast {planned.broadcast.id}: {dialog} at {local_at:%Y-%m-%d %H:%M} local time "
          f"for {planned.members} {PEOPLE[audience]}(s) of "
          f"{programme_name}.")
    if planned.first is not None and planned.last is not None:
        print(f"First at {planned.first:{stamp}}, last at {planned.last:{stamp}}.")
    if planned.report_at is not None:
        print(f"Response report to {planned.reports} coordinator(s) at {planned.report_at:{stamp}}.")
    return 0


def describe(figures: ProgrammeStats) -> str:
    """The figures as plain lines for the shell."""
    rate = figures.response_rate
    stages = ", ".join(f"{stage} {count}" for stage, count in figures.pairs_by_stage.items())
    lines = [
        f"{figures.programme}: {figures.members} member(s), {figures.pairs} open pair(s)",
        f"pairs by stage: {stages}",
        f"check-ins in the last 4 weeks: {figures.started} of {figures.invited} started"
        + (f" ({rate:.0%})" if rate is not None else ""),
        f"missed two or more in a row: {figures.missed_streaks}",
        f"stalled pairs (21 days without activity): {figures.stalled}"
        + (f" ({', '.join(figures.stalled_names)})" if figures.stalled_names else ""),
        f"silent for 30 days: {figures.inactive}; unreachable: {figures.unreachable}",
        f"endings in the next 30 days: {len(figures.endings)}",
        *(f"  {e.on.isoformat()}: {e.mentor} & {e.mentee}" for e in figures.endings),
        "relationship pulse (1-5): mentors "
        + (f"{figures.pulse_mentor:.2f}" if figures.pulse_mentor is not None else "-")
        + ", mentees "
        + (f"{figures.pulse_mentee:.2f}" if figures.pulse_mentee is not None else "-"),
        f"safety phrases matched in the last 4 weeks (members who agreed the team may know): "
        f"{figures.safety_matches} from {figures.safety_people} person(s)",
    ]
    return "\n".join(lines)


async def stats(settings: Settings, programme_name: str, csv_path: Path | None) -> int:
    """Print a programme's figures; with --csv, also one row per open pair into that file."""
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        programme = await programme_by_name(session, programme_name)
        if programme is None:
            return _fail(f"no programme called {programme_name!r}")
        now = utc_now()
        figures = await programme_stats(session, programme, now, now.date())
    print(describe(figures))
    if csv_path is not None:
        try:
            with open(csv_path, "w", encoding="utf-8") as out:  # noqa: ASYNC230 (one small file)
                out.write(to_csv(figures))
        except OSError as error:
            return _fail(f"cannot write {csv_path}: {error.strerror}")
        print(f"wrote {len(figures.rows)} row(s) to {csv_path}")
    return 0
