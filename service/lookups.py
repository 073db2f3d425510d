"""What a person can look up without changing anything: help, their goals, their answers."""

from __future__ import annotations

from dataclasses import replace

from dialogs.engine import clean_text
from prompts.catalog import spellings
from service.commands import COMMANDS, command, dialog_for_command, menu
from service.mentors import sharing
from service.mentors.roles import help_sides, side_left_open
from service.mentors.scopes import menu_of
from service.messages import Response, with_note
from service.turn import Turn
from storage.answers import answers_of
from storage.goals import goals_of
from storage.runs import runs_of
from storage.users import first_name

#: The shortest part of a title that names a dialog ("Ziel"; not "in", "of", "to").
MIN_TITLE_PART = 4


async def show_help(turn: Turn) -> Response:
    """/help: the commands of this person's menu, each with its description, and how their sides
    (mentee, mentor) work; a coordinator without a side gets the coordinator's and how to take a
    side, and their menu is set to match (it may still hold a mentee's commands from before)."""
    sideless = await side_left_open(turn)
    change = await menu_of(turn, turn.user)  # /askmentor only with a mentor
    shown = turn.views.help(menu(change.scopes, change.mentored), change.scopes)
    said = replace(shown, text=f"{shown.text}\n\n{help_sides(turn, change.scopes)}")
    return Response((said,), menu=change if sideless else None)


async def goals(turn: Turn) -> Response:
    """/goals: every goal with its action steps and their status."""
    found = await goals_of(turn.session, turn.user.id)
    return Response((turn.views.goals(found, turn.audience),))


def dialog_named(turn: Turn, typed: str) -> str | None:
    """The dialog a person names after /answers: by its command or its name, or by its title in
    any language, any case (umlauts written out or not): the whole title, else words of it
    ("Vereinbarung", "nächste Treffen") that only one of their dialogs has. None: none or
    several."""
    wanted = typed.strip().lower().removeprefix("/")
    spec = command(wanted)
    if spec is not None and spec.dialogs:
        return dialog_for_command(spec, turn.audience)
    if wanted in turn.content.scripts.by_name:
        return wanted
    forms = spellings(wanted)
    whole: set[str] = set()
    part: set[str] = set()
    catalog = turn.content.catalog
    for script in turn.content.scripts.by_name.values():
        if not turn.serves(script.audience):
            continue
        for lang in catalog.texts:
            titles = spellings(catalog.render(lang, f"{script.name}.title"))
            if forms & titles:
                whole.add(script.name)
            elif any(len(form) >= MIN_TITLE_PART and f" {form} " in f" {title} "
                     for form in forms for title in titles):
                part.add(script.name)
    found = whole or part
    return next(iter(found)) if len(found) == 1 else None


async def answers(turn: Turn, args: str = "") -> Response:
    """/answers: every answer, by stage and dialog; `/answers grow` only those of one dialog (by
    its command, its name or its title: `dialog_named`)."""
    dialog: str | None = None
    if clean_text(args):
        dialog = dialog_named(turn, args)
        if dialog not in turn.content.scripts.by_name:
            known = [c.name for c in COMMANDS if dialog_for_command(c, turn.audience) is not None]
            return turn.message("common.answers.unknown_dialog", name=args.strip()[:40],
                                names=known)
    found = await answers_of(turn.session, turn.user.id)
    runs = {run.id: run for run in await runs_of(turn.session, turn.user.id)}
    own_goals = await goals_of(turn.session, turn.user.id)  # to say what /goals changed since
    response = Response(tuple(turn.views.answers(found, runs, dialog, own_goals)))
    if not any(dialog in (None, a.dialog) for a in found):
        return response
    mentor = await sharing.mentor_of(turn)  # what sharing means: who sees it, or will
    return with_note(response, turn.say("sharing.answers_note", paired=mentor is not None,
                                        mentor=None if mentor is None else
                                        first_name(mentor.name)))
