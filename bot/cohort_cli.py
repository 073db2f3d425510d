"""`coachbot broadcast` and `coachbot stats`: a coordinator's cohort tools from the shell. Errors
are one line; figures are counts and first names, never what anyone answered."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from bot.app import build_service, open_database, open_for_reading, utc_now
from bot.outputs import to_stdout, write_output
from bot.settings import Settings
from dialogs.stages import Stage
from prompts.catalog import LANGUAGES, default_catalog
from service.messages import counted, plain
from service.programmes.broadcasts import (
    BroadcastError,
    parse_at,
    schedule_broadcast,
    stamp,
)
from service.programmes.stats import (
    ProgrammeStats,
    in_language,
    programme_stats,
    shown_values,
    to_csv,
)
from storage.database import create_sessionmaker
from storage.programmes import programme_by_name

PEOPLE = {"mentees": "mentee", "mentors": "mentor", "all": "member"}


def _fail(message: str) -> int:
    print(f"coachbot: {message}", file=sys.stderr)
    return 1


async def broadcast(settings: Settings, programme_name: str, dialog: str, at: str,
                    to: str | None = None) -> int:
    """Plan a cohort-wide dialog at a local wall time in every member's own zone, for the
    dialog's own side (`to` may only repeat it)."""
    local_at = parse_at(at)
    if local_at is None:
        return _fail(_unreadable(at))
    async with open_database(settings) as engine:
        service = build_service(engine, settings)
        if dialog not in service.scripts.by_name:
            return _fail(f"no dialog called {dialog!r}; there are: {', '.join(service.scripts.by_name)}")
        script = service.scripts.get(dialog)
        now = service.clock()
        async with service.sessionmaker.begin() as session:
            programme = await programme_by_name(session, programme_name)
            if programme is None:
                return _fail(f"no programme called {programme_name!r}")
            try:
                planned = await schedule_broadcast(session, programme, script, local_at,
                                                   created_by=None, policy=service.content.policy,
                                                   now=now, audience=to)
            except BroadcastError as error:
                return _fail(str(error))
    print(f"Broadcast {planned.broadcast.id}: {dialog} at {stamp(local_at)} local time "
          f"for {counted(planned.members, PEOPLE[planned.broadcast.audience])} of "
          f"{programme.name}.")
    if planned.moved:
        print(_quiet_line(planned.moved, planned.members))
    if planned.first is not None and planned.last is not None:
        print(f"First at {stamp(planned.first)} UTC, last at {stamp(planned.last)} UTC.")
    if planned.report_at is not None:
        print(f"Response report to {counted(planned.reports, 'coordinator')} at "
              f"{stamp(planned.report_at)} UTC.")
    if not planned.reports:
        print(f"coachbot: warning: no coordinator of {programme.name} has written to the bot yet; "
              f"the report goes to whoever coordinates it by then (coachbot programme grant "
              f"{programme.name!r} --user-id N, then /start in the bot)", file=sys.stderr)
    return 0


def _quiet_line(moved: Mapping[datetime, int], members: int) -> str:
    """Whose invitations their quiet hours hold back, and to when (the end of those hours, in
    their own time): "at 23:30 local time" is not when they get it."""
    count = sum(moved.values())
    whens = ", ".join(stamp(at) + (f" ({n})" if len(moved) > 1 else "") for at, n in moved.items())
    return (f"{count} of {members} {'is' if count == 1 else 'are'} in their quiet hours then: "
            f"{'theirs goes' if count == 1 else 'theirs go'} out when those end, at {whens} "
            "local time.")


def _unreadable(at: str) -> str:
    """Why `--at` was not read, with an example built on what was typed when it is a date."""
    try:
        day = date.fromisoformat(at.strip())
    except ValueError:
        return f"cannot read {at!r} as a local date and time; write e.g. \"2027-01-12 18:00\""
    return f"{at!r} has no time of day; give the local time too, e.g. \"{day.isoformat()} 18:00\""


def describe(figures: ProgrammeStats, lang: str) -> str:
    """The figures as plain lines for the shell, all in one language (the stages by the names
    members and the report give them in it)."""
    names = stage_names(lang)
    values = shown_values(figures, lambda stage: names.get(stage, stage))
    values.update(pulse_mentor=_two_places(figures.pulse_mentor),
                  pulse_mentee=_two_places(figures.pulse_mentee))
    return plain(default_catalog().render(lang, "programmes.stats.shell", **values))


def _two_places(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def stage_names(lang: str) -> dict[str, str]:
    """Each stage's name in this language, as /stats and the report call it."""
    catalog = default_catalog()
    return {stage.value: plain(catalog.render(lang, f"common.stages.{stage.value}.name"))
            for stage in Stage}


async def stats(settings: Settings, programme_name: str, csv_path: Path | None,
                lang: str | None = None) -> int:
    """Print a programme's figures (every line, and people without a name, in `lang`, by default
    the programme's language; the CSV's names too); with --csv, also one row per open pair into
    that file, written first: a reader of the printout that stops early (`| head`) cannot cost the
    file. `--csv -` writes the CSV to stdout and the figures to stderr, so a pipe gets the CSV
    alone."""
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        programme = await programme_by_name(session, programme_name)
        if programme is None:
            return _fail(f"no programme called {programme_name!r}")
        language = lang or str(programme.defaults.get("language") or "en")
        language = language if language in LANGUAGES else "en"
        figures = await programme_stats(session, programme, utc_now(), say=in_language(language))
    if csv_path is not None and (problem := write_output(csv_path, to_csv(figures))):
        return _fail(problem)
    piped = csv_path is not None and to_stdout(csv_path)
    print(describe(figures, language), file=sys.stderr if piped else sys.stdout)
    if csv_path is not None and not piped:
        print(plain(default_catalog().render(language, "programmes.stats.wrote",
                                             rows=len(figures.rows), path=str(csv_path))))
    return 0
