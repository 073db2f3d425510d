"""Where a person stands in the mentoring journey, what to do next, and moving between stages."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from dialogs.journey import view as journey_view
from dialogs.schema import Audience
from dialogs.stages import Stage
from service import callbacks
from service.commands import command_for_dialog
from service.messages import OutMessage, Response, button
from service.names import mentor_words
from service.turn import Turn
from service.views import stage_about
from storage.pairings import planned_end
from storage.runs import active_run, completed_dialogs, latest_paused_run
from storage.users import first_name, update_user

END_NEAR = timedelta(days=28)  # from here on, the ending is suggested


async def end_near(turn: Turn) -> bool:
    """The planned end of the relationship (the one their mentor sees: `planned_end`) is four
    weeks away or less."""
    ends_on = await planned_end(turn.session, turn.user)
    return ends_on is not None and ends_on - turn.today <= END_NEAR


async def welcome(turn: Turn, new: bool | None = None) -> Response:
    """/start: a greeting (`new`: the newcomer's, with the promise of privacy; by default for
    someone created this turn), then the open dialog to continue or the next one to begin."""
    name = first_name(turn.user.name)
    new = turn.created if new is None else new
    key = "common.service.welcome_new" if new else "common.service.welcome_back"
    about = await mentor_words(turn.session, turn.user.id) if new else {}
    greeting = OutMessage(turn.say(key, name=name, **about))
    await turn.hide_question()  # the offer to continue is asked instead
    run = await active_run(turn.session, turn.user.id)
    run = run or await latest_paused_run(turn.session, turn.user.id)
    if run is not None:
        title = turn.say(f"{run.dialog}.title")
        offer = OutMessage(turn.say("common.service.resume_offer", title=title), (
            (button(turn.say("common.buttons.continue", title=title), callbacks.continue_data(run.id)),
             button(turn.say("common.buttons.later"), callbacks.DISMISS_DATA)),))
        return Response((greeting, offer))
    return Response((greeting, *await suggestion(turn)))


async def journey(turn: Turn) -> Response:
    """/journey: every stage with its dialogs, what is done, and buttons to move on or back."""
    done = await completed_dialogs(turn.session, turn.user.id)
    view = journey_view(turn.content.scripts, Stage(turn.user.stage), turn.audience, done,
                        await end_near(turn))
    return Response((turn.views.journey(view, turn.audience),))


async def move_stage(turn: Turn, by: int) -> Response:
    """Move the journey a stage forward or back, and suggest what the new stage begins with."""
    stage = Stage(turn.user.stage).moved(by)
    await update_user(turn.session, turn.user.id, turn.now, stage=stage.value)
    await turn.hide_question()  # the stage's news and its offer are shown instead
    turn.became(replace(turn.user, stage=stage.value))
    text = turn.say("common.service.stage_moved",
                    stage=turn.say(f"common.stages.{stage.value}.name"),
                    about=turn.say(stage_about(stage, turn.audience)))
    return Response((OutMessage(text), *await suggestion(turn)))


async def suggestion(turn: Turn, after: str | None = None, said: str = "") -> list[OutMessage]:
    """What to do next: the next dialog of the stage, or the offer to move on. A dialog whose
    command the closing words just `said` is not suggested again."""
    done = await completed_dialogs(turn.session, turn.user.id)
    if after:
        done.add(after)
    view = journey_view(turn.content.scripts, Stage(turn.user.stage), turn.audience, done,
                        await end_near(turn))
    if view.stage_complete and view.stage is not Stage.ENDING:
        following = view.stage.moved(1)
        name = turn.say(f"common.stages.{view.stage.value}.name")
        offer = button(turn.say("common.buttons.stage_next",
                                stage=turn.say(f"common.stages.{following.value}.name")),
                       callbacks.stage_data(+1))
        done_key = ("common.service.stage_done_mentor" if turn.audience is Audience.MENTOR
                    else "common.service.stage_done")
        return [OutMessage(turn.say(done_key, stage=name), ((offer,),))]
    if view.next_dialog is None or view.next_dialog.name == after:
        return []
    script = view.next_dialog
    command = command_for_dialog(script.name, turn.audience)
    if re.search(rf"/{command}\b", said):
        return []
    title = turn.say(f"{script.name}.title")
    text = turn.say("common.service.suggest", title=title, command=command,
                    description=turn.say(f"{script.name}.description"))
    offer = button(turn.say("common.buttons.start", title=title), callbacks.dialog_data(script.name))
    return [OutMessage(text, ((offer,),))]
