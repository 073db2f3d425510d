"""Consent, answer by answer: what a paired mentee shares with their mentor.

At the end of each of their dialogs a paired mentee is asked once: share all of it, choose
answers, or keep it private; the answers were saved with their agreement's default, which the
question shows as chosen, so ignoring it keeps that default. `/answers` opens the same choice for
any earlier run. The check-in's note for the mentor is shared by its nature (when it is written
while paired): the run's "Keep it private" leaves it as it is, and only its own button in the
list of answers makes it private. It is not sent on its own: the mentor reads it with what the
mentee shares (/mentees, the digest, the brief); /askmentor is what reaches the mentor at once.

Each of these choices may be typed as well as tapped (service.typed_buttons): the words of its
buttons, and a few of their synonyms in any language ("Privat lassen", "keep private", "no" to
the question). The question and the list of answers get other typed text back with a hint and
their buttons again (outside a dialog), so a choice typed in other words is never lost while the
answers silently stay as they were; after the choice is made ("Done", "Keep it private"), the
run's "share all" and "keep it private" may still be typed at once.
"""

from __future__ import annotations

from markupsafe import Markup

from dialogs.registry import DialogNotFound
from dialogs.schema import Audience, Dialog
from service import callbacks
from service.callbacks import ShareOp
from service.journey import suggestion
from service.messages import Button, OutMessage, Response, button
from service.turn import Turn
from service.typed_buttons import offer, outside_dialog
from storage.answers import (
    AnswerRecord,
    answer_of,
    answers_of,
    set_answer_visibility,
    set_run_visibility,
)
from storage.goals import set_run_goals_visibility
from storage.pairings import pairing_of_mentee
from storage.runs import RunRecord, get_run, runs_of
from storage.users import UserRecord, first_name, user_by_id
from storage.vocabulary import RunStatus, Visibility

# Answers meant for the mentor: saved shared while paired, and left so by the run's "Keep it
# private" (the step says so); their own button in the list of answers makes them private.
FOR_MENTOR = frozenset({("checkin", "for_mentor")})
TOGGLES_WIDTH = 4  # an answer's share button per row in the list of a run's answers
#: What may be typed for a run's choices beside their buttons' words (catalog word lists, every
#: language understood): at the question, in the list of answers, and once the choice is made.
QUESTION_WORDS = ((ShareOp.ALL, "sharing.button_words.all"), (ShareOp.ALL, "sharing.button_words.yes"),
                  (ShareOp.PICK, "sharing.button_words.pick"),
                  (ShareOp.NONE, "sharing.button_words.none"),
                  (ShareOp.NONE, "sharing.button_words.no"))
LIST_WORDS = ((ShareOp.ALL, "sharing.button_words.all"), (ShareOp.NONE, "sharing.button_words.none"),
              (ShareOp.DONE, "sharing.button_words.done"))
SETTLED_WORDS = ((ShareOp.ALL, "sharing.button_words.all"),
                 (ShareOp.NONE, "sharing.button_words.none"))


async def mentor_of(turn: Turn) -> UserRecord | None:
    """The person's mentor while they are paired (paused or active), else None."""
    pairing = await pairing_of_mentee(turn.session, turn.user.id)
    return None if pairing is None else await user_by_id(turn.session, pairing.mentor_id)


def by_nature(answer: AnswerRecord) -> bool:
    """The answer is meant for the mentor: the run's choice leaves it shared."""
    return (answer.dialog, answer.step_key) in FOR_MENTOR


def asks_consent(script: Dialog) -> bool:
    """A mentee's dialog whose sharing is not its own subject (the agreement asks about it)."""
    return script.audience is Audience.MENTEE and not any(
        effect.set_sharing is not None for effect in script.effects)


def _words(run_id: int, words: tuple[tuple[ShareOp, str], ...]) -> list[tuple[str, str]]:
    return [(key, callbacks.share_data(run_id, op)) for op, key in words]


async def consent_question(turn: Turn, run_id: int, script: Dialog) -> OutMessage | None:
    """The end-of-dialog question for a paired mentee, offered to be typed as well as tapped
    (other text gets it again with a hint); None when there is nothing to ask."""
    if not asks_consent(script):
        return None
    mentor = await mentor_of(turn)
    if mentor is None:
        return None
    everything = await answers_of(turn.session, turn.user.id)
    answers = [a for a in everything if a.run_id == run_id]
    if not answers:
        return None
    preset = ShareOp.ALL if turn.user.share_by_default else ShareOp.NONE
    agreed = _agreement_says(turn, everything)
    why = ("agreement" if agreed is turn.user.share_by_default
           else "settings" if turn.user.share_by_default else "default")
    say = turn.say

    def choice(op: ShareOp) -> Button:
        return button(say(f"sharing.buttons.{op}", mentor=first_name(mentor.name), chosen=op == preset),
                      callbacks.share_data(run_id, op))

    text = say("sharing.question", mentor=first_name(mentor.name), title=say(f"{script.name}.title"),
               preset=str(preset), why=why,
               note=any(by_nature(a) and a.visibility is Visibility.SHARED for a in answers))
    question = OutMessage(text, ((choice(ShareOp.ALL),), (choice(ShareOp.PICK),),
                                 (choice(ShareOp.NONE),)))
    # Asked as the dialog ends (or again), when no other dialog is open: the hint's way back.
    again = (callbacks.share_data(run_id, ShareOp.ASK), "sharing.typed.question")
    return await offer(turn, question, again=again, words=_words(run_id, QUESTION_WORDS))


def _agreement_says(turn: Turn, answers: list[AnswerRecord]) -> bool | None:
    """Whether the mentee's latest answer about sharing (the agreement's) says shared; None when
    they never gave one."""
    said = None
    for script in turn.content.scripts.by_name.values():
        for effect in script.effects:
            if (rule := effect.set_sharing) is not None:
                said = next((a.value in rule.shared for a in reversed(answers)
                             if a.dialog == script.name and a.step_key == rule.step), said)
    return said


async def _own_run(turn: Turn, run_id: int) -> RunRecord | None:
    run = await get_run(turn.session, run_id)
    return run if run is not None and run.user_id == turn.user.id else None


async def on_share(turn: Turn, press: callbacks.SharePress) -> Response:
    """A press on a run's sharing question or on its list of answers."""
    run = await _own_run(turn, press.run_id)
    if run is None:
        return turn.stale_press()
    if press.op is ShareOp.PICK:
        return Response((await answer_list(turn, run),))
    if press.op is ShareOp.ASK:  # typed text none of the question's words: the question again
        question = await _question_again(turn, run)
        if question is not None:
            return Response((question,))
    if press.op in (ShareOp.ALL, ShareOp.NONE):
        await share_run(turn, run, press.op is ShareOp.ALL)
    return await _settled(turn, run)


async def _question_again(turn: Turn, run: RunRecord) -> OutMessage | None:
    """The run's end-of-dialog question once more (None: it is no longer asked)."""
    if turn.open_run is not None:  # another dialog is open: its question comes first
        return None
    try:
        script = turn.content.scripts.get(run.dialog)
    except DialogNotFound:
        return None
    return await consent_question(turn, run.id, script)


async def share_run(turn: Turn, run: RunRecord, shared: bool) -> None:
    """Every answer of the run, and the goal it set, shared or private; a note meant for the
    mentor stays as it is when the rest is kept private: shared as it was saved, or private
    once its own button made it so (a "Keep it private" never shares it again)."""
    visibility = Visibility.SHARED if shared else Visibility.PRIVATE
    notes = [] if shared else [a for a in await _answers_of_run(turn, run.id) if by_nature(a)]
    await set_run_visibility(turn.session, run.id, visibility)
    await set_run_goals_visibility(turn.session, turn.user.id, run.id, visibility)
    for note in notes:
        await set_answer_visibility(turn.session, turn.user.id, note.id, note.visibility)


async def on_toggle(turn: Turn, press: callbacks.VisibilityPress) -> Response:
    """Share one of one's answers, or keep it private again; the list is shown anew. When it is
    the answer that names the goal the run set, the goal follows it."""
    answer = await answer_of(turn.session, turn.user.id, press.answer_id)
    run = None if answer is None else await _own_run(turn, answer.run_id)
    if answer is None or run is None:
        return turn.stale_press()
    visibility = (Visibility.PRIVATE if answer.visibility is Visibility.SHARED
                  else Visibility.SHARED)
    await set_answer_visibility(turn.session, turn.user.id, answer.id, visibility)
    if answer.step_key in _goal_title_steps(turn, run.dialog):
        await set_run_goals_visibility(turn.session, turn.user.id, run.id, visibility)
    return Response((await answer_list(turn, run),))


def _goal_title_steps(turn: Turn, dialog: str) -> set[str]:
    try:
        script = turn.content.scripts.get(dialog)
    except DialogNotFound:
        return set()
    return {e.create_goal.title for e in script.effects if e.create_goal is not None}


async def _answers_of_run(turn: Turn, run_id: int) -> list[AnswerRecord]:
    return [a for a in await answers_of(turn.session, turn.user.id) if a.run_id == run_id]


async def answer_list(turn: Turn, run: RunRecord) -> OutMessage:
    """A run's answers, numbered, each shared or private, with a button per answer to change it,
    share all, keep all private, and done; offered to be typed as well ("3" changes the third),
    other text gets it again with a hint (outside a dialog)."""
    say = turn.say
    mentor = await mentor_of(turn)
    name = None if mentor is None else first_name(mentor.name)
    lines = [say("sharing.list.header", title=say(f"{run.dialog}.title"), mentor=name,
                 paired=mentor is not None)]
    toggles: list[Button] = []
    try:
        script = turn.content.scripts.get(run.dialog)
    except DialogNotFound:
        return OutMessage(lines[0])
    keys = {step.key for step in script.steps}
    answers = [a for a in await _answers_of_run(turn, run.id) if a.step_key in keys]
    for number, answer in enumerate(answers, start=1):
        shared = answer.visibility is Visibility.SHARED
        value = Markup(turn.render.short_value(script, script.step(answer.step_key),
                                               answer.value))
        lines.append(say("sharing.list.entry", number=number, shared=shared, value=value,
                         label=turn.render.label(script, answer.step_key)))
        toggles.append(button(say("sharing.buttons.toggle", number=number, shared=shared),
                              callbacks.visibility_data(answer.id)))
    rows = [tuple(toggles[i:i + TOGGLES_WIDTH]) for i in range(0, len(toggles), TOGGLES_WIDTH)]
    rows.append((button(say("sharing.buttons.all", mentor=name, chosen=False),
                        callbacks.share_data(run.id, ShareOp.ALL)),
                 button(say("sharing.buttons.none", mentor=name, chosen=False),
                        callbacks.share_data(run.id, ShareOp.NONE))))
    rows.append((button(say("sharing.buttons.done"), callbacks.share_data(run.id, ShareOp.DONE)),))
    lines.append(say("sharing.list.footer", paired=mentor is not None))
    again = outside_dialog(turn, (callbacks.share_data(run.id, ShareOp.PICK), "sharing.typed.list"))
    return await offer(turn, OutMessage("\n".join(lines), tuple(rows)), again=again,
                       words=_words(run.id, LIST_WORDS))


async def _settled(turn: Turn, run: RunRecord) -> Response:
    """What is shared of the run now; after the dialog just completed, what to do next."""
    answers = await _answers_of_run(turn, run.id)
    shared = sum(a.visibility is Visibility.SHARED for a in answers)
    mentor = await mentor_of(turn)
    text = turn.say("sharing.settled", shared=shared, total=len(answers),
                    mentor=None if mentor is None else first_name(mentor.name),
                    title=turn.say(f"{run.dialog}.title"))
    # "Keep it private" typed after "Done" still keeps it private (other text goes its way).
    messages = [await offer(turn, OutMessage(text), words=_words(run.id, SETTLED_WORDS))]
    if turn.open_run is None and await _completed_last(turn, run):
        messages.extend(await suggestion(turn, after=run.dialog))
    return Response(tuple(messages))


async def _completed_last(turn: Turn, run: RunRecord) -> bool:
    """The run is the dialog the person completed last (the question came at its end)."""
    done = [r for r in await runs_of(turn.session, turn.user.id)
            if r.status is RunStatus.COMPLETED and r.completed_at is not None]
    return bool(done) and max(done, key=lambda r: (r.completed_at, r.id)).id == run.id
