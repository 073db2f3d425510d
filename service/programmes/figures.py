"""`/stats`: a coordinator's view of their programmes' health figures, counts and first names only.

Who may see a programme is decided by storage.programmes.coordinated_by alone, for the command and
for each button press (`sk:stats:<programme id>`): forged data for another programme is refused
with the same words as for someone who coordinates nothing, so nothing about it leaks.
"""

from __future__ import annotations

from prompts.catalog import spellings
from service.callbacks import scheduling_data
from service.messages import OutMessage, Response, button
from service.programmes.stats import ProgrammeStats, programme_stats, shown_values
from service.schedule.kinds import Choice
from service.turn import Turn
from storage.programmes import ProgrammeRecord, coordinated_by

TOPIC = "stats"


async def mine(turn: Turn) -> list[ProgrammeRecord]:
    """The programmes this person coordinates (all for an admin)."""
    return await coordinated_by(turn.session, turn.user.telegram_id, turn.content.admins)


def named(programmes: list[ProgrammeRecord], name: str) -> ProgrammeRecord | None:
    """The one of their programmes with this name, however it is cased or spelled (exactly so
    first: "Frühling" is not taken for a "Fruehling" beside it)."""
    exact = [p for p in programmes if p.name.casefold() == name.strip().casefold()]
    if len(exact) == 1:
        return exact[0]
    typed = spellings(name)
    found = [p for p in programmes if typed & spellings(p.name)]
    return found[0] if len(found) == 1 else None


async def stats(turn: Turn, args: str = "") -> Response:
    """`/stats [NAME]`: the figures of the one programme they coordinate, or of the one named
    (as `/invite` takes a name), else a button per programme."""
    programmes = await mine(turn)
    if not programmes:
        return turn.message("programmes.stats.not_coordinator")
    chosen = named(programmes, args) if args.strip() else None
    if chosen is not None:
        return await show(turn, chosen)
    if len(programmes) == 1:
        return await show(turn, programmes[0])
    rows = tuple((button(p.name, scheduling_data(TOPIC, str(p.id))),) for p in programmes)
    return Response((OutMessage(turn.say("programmes.stats.pick"), rows),))


async def choose(turn: Turn, value: str) -> Response:
    """A programme's button: shown only if it is one of theirs."""
    programme = next((p for p in await mine(turn) if str(p.id) == value), None)
    if programme is None:
        return turn.message("programmes.stats.not_coordinator")
    return await show(turn, programme)


async def show(turn: Turn, programme: ProgrammeRecord) -> Response:
    figures = await programme_stats(turn.session, programme, turn.now, say=turn.say)
    return Response((OutMessage(render(turn, figures)),))


def render(turn: Turn, figures: ProgrammeStats) -> str:
    """The figures in the coordinator's language."""
    return turn.say("programmes.stats.view", **shown_values(
        figures, lambda stage: turn.say(f"common.stages.{stage}.name")))


def choices() -> tuple[Choice, ...]:
    """The programme buttons of /stats."""
    return (Choice(TOPIC, choose),)
