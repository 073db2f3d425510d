"""The vision map as a picture: where the mentee comes from, where they are and where they want to
be, three stations on a road, with the steps listed below. Sent as a photo when the vision dialog
is completed; a paired mentee can send it to their mentor with one tap (nothing else is shared)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
from matplotlib.axes import Axes

from dialogs.state import RunState, StateError
from prompts.catalog import Catalog
from service import drawing
from service.callbacks import vision_map_data
from service.messages import Delivery, OutMessage, Photo, Response, button, plain
from service.names import mentee_name
from service.render import Renderer
from service.turn import Turn
from storage.pairings import pairing_of_mentee
from storage.runs import get_run
from storage.users import UserRecord, first_name, user_by_id
from storage.vocabulary import RunStatus

DIALOG = "vision"
WIDTH, HEIGHT = 800, 1000  # pixels: a phone's portrait screen
FILENAME = "vision-map.png"
STATIONS = ((0.17, "came_from", "#56B4E9"), (0.5, "am", "#E69F00"), (0.83, "going", "#009E73"))
ROAD_Y = 0.80
COLUMN_CHARS, COLUMN_LINES = 22, 12
STEP_CHARS, STEP_LINES, MAX_STEPS = 58, 2, 8
LINE = 1.4 * 100 / 72 / HEIGHT  # one line of 1 pt, in figure heights


@dataclass(frozen=True)
class VisionMap:
    """What the picture shows, taken from the vision dialog's answers."""

    came_from: tuple[str, ...]
    am: str
    going: str
    steps: tuple[str, ...]  # the first step first
    first_by: str | None  # ISO date of the first step

    @classmethod
    def from_answers(cls, answers: Mapping[str, object]) -> VisionMap:
        """The stations and steps of one run's answers (missing ones are left empty)."""
        def texts(key: str) -> tuple[str, ...]:
            value = answers.get(key)
            return tuple(str(item) for item in value) if isinstance(value, list) else ()

        first = texts("first_step")
        steps = tuple(dict.fromkeys((*first[:1], *texts("steps"))))  # each step once, first first
        due = answers.get("first_step_date")
        return cls(texts("milestones"), str(answers.get("present") or ""),
                   str(answers.get("future") or ""), steps,
                   str(due) if due and first else None)


def vision_picture(vision: VisionMap, lang: str, catalog: Catalog, name: str | None = None) -> bytes:
    """The vision map as PNG bytes (WIDTH × HEIGHT), headings in `lang`, the mentee's words as
    written (wrapped and, when very long, shortened)."""
    def say(key: str, **variables: object) -> str:
        return drawing.drawable(plain(catalog.render(lang, f"pictures.vision.{key}", **variables)))

    fig = drawing.figure(WIDTH, HEIGHT)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    ax.text(0.5, 0.955, say("title", name=drawing.drawable(name or "")), ha="center", va="top",
            **drawing.text_style(24, bold=True))
    _road(ax)
    texts = {"came_from": "\n".join(drawing.wrapped(f"• {item}", COLUMN_CHARS, 3)
                                    for item in vision.came_from),
             "am": drawing.wrapped(vision.am, COLUMN_CHARS, COLUMN_LINES),
             "going": drawing.wrapped(vision.going, COLUMN_CHARS, COLUMN_LINES)}
    for x, key, colour in STATIONS:
        ax.plot([x], [ROAD_Y], marker="*" if key == "going" else "o",
                markersize=48 if key == "going" else 34, color=colour,
                markeredgecolor="white", markeredgewidth=3, zorder=3)
        ax.text(x, ROAD_Y - 0.05, say(key), ha="center", va="top", **drawing.text_style(16, bold=True))
        body = "\n".join(texts[key].split("\n")[:COLUMN_LINES])
        ax.text(x, ROAD_Y - 0.09, body, ha="center", va="top", linespacing=1.3,
                **drawing.text_style(13))
    _steps(ax, vision, say)
    return drawing.png(fig)


def _road(ax: Axes) -> None:
    """A gently winding road through the three stations."""
    xs = np.linspace(0.06, 0.94, 200)
    ys = ROAD_Y + 0.018 * np.sin((xs - 0.17) / 0.33 * np.pi)
    ax.plot(xs, ys, color="#cccccc", linewidth=14, solid_capstyle="round", zorder=1)
    ax.plot(xs, ys, color="white", linewidth=2, linestyle=(0, (6, 6)), zorder=2)


def _steps(ax: Axes, vision: VisionMap, say: Callable[..., str]) -> None:
    """The steps, numbered, below the stations; the first one with its date."""
    top = 0.40
    ax.plot([0.06, 0.94], [top + 0.03, top + 0.03], color="#dddddd", linewidth=1.5)
    ax.text(0.06, top, say("steps"), ha="left", va="top", **drawing.text_style(17, bold=True))
    y = top - 0.05
    for number, step in enumerate(vision.steps[:MAX_STEPS], start=1):
        text = drawing.wrapped(step, STEP_CHARS, STEP_LINES)
        if number == 1 and vision.first_by:
            text += f"\n({say('first_by', when=vision.first_by)})"
        ax.text(0.06, y, f"{number}.", ha="left", va="top", **drawing.text_style(14, bold=True))
        ax.text(0.11, y, text, ha="left", va="top", linespacing=1.3, **drawing.text_style(14))
        y -= (text.count("\n") + 1) * 14 * LINE + 0.015


async def after_dialog(turn: Turn, dialog: str, answers: Mapping[str, object],
                       run_id: int) -> list[OutMessage]:
    """The vision dialog was just completed: its map as a photo, with a button that sends it to
    the mentor (it works once they are paired: the press checks)."""
    if dialog != DIALOG:
        return []
    picture = partial(vision_picture, VisionMap.from_answers(answers), turn.lang,
                      turn.content.catalog, first_name(turn.user.name))
    mentor = await _mentor_of(turn)
    name = None if mentor is None else first_name(mentor.name)
    share_button = button(turn.say("pictures.vision.share", mentor=name), vision_map_data(run_id))
    caption = turn.say("pictures.vision.caption", paired=mentor is not None, mentor=name)
    return [OutMessage(caption, ((share_button,),), photo=Photo(FILENAME, picture))]


async def _mentor_of(turn: Turn) -> UserRecord | None:
    """The mentee's mentor while they are paired."""
    found = await _pairing_of(turn)
    return None if found is None else found[1]


async def _pairing_of(turn: Turn) -> tuple[int, UserRecord] | None:
    """The mentee's open pairing's id and their mentor."""
    pairing = await pairing_of_mentee(turn.session, turn.user.id)
    mentor = None if pairing is None else await user_by_id(turn.session, pairing.mentor_id)
    return None if pairing is None or mentor is None else (pairing.id, mentor)


async def share(turn: Turn, run_id: int) -> Response:
    """"Send to <mentor>": the map of this completed vision run, drawn again with the mentor's
    headings, reaches the mentor; a press for a run that is not the mentee's own sends nothing,
    and without a mentor yet the button stays for later."""
    run = await get_run(turn.session, run_id)
    if run is None or run.user_id != turn.user.id or run.dialog != DIALOG \
            or run.status is not RunStatus.COMPLETED:
        return turn.stale_press()
    try:
        answers = RunState.from_json(run.state).answers
    except StateError:
        return turn.stale_press()
    found = await _pairing_of(turn)
    if found is None:
        return Response(toast=plain(turn.say("pictures.vision.not_paired")))
    pairing_id, mentor = found
    say = Renderer(turn.content.catalog, mentor.language).text
    me = await mentee_name(turn.session, say, mentor.id, pairing_id)  # as the mentor calls me
    picture = partial(vision_picture, VisionMap.from_answers(answers), mentor.language,
                      turn.content.catalog, me)
    caption = say("pictures.vision.received", name=me)
    delivery = Delivery(mentor.telegram_id, (OutMessage(caption, photo=Photo(FILENAME, picture)),))
    sent = turn.say("pictures.vision.sent", mentor=first_name(mentor.name))
    return Response((OutMessage(sent),), accepted=True, deliveries=(delivery,))
