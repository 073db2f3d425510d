"""The conversation service: (person, input) → response, for every front-end.

Each input is one transaction: lock the user, load their run, let the pure engine decide, save the
answers and the new position, render the replies. Nothing about a dialog lives only in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs import engine
from dialogs.engine import KEEP, LIST_DONE, Command, EngineContext, Input, Pick, Text
from dialogs.journey import command_for_dialog, dialog_for_command
from dialogs.journey import view as journey_view
from dialogs.registry import DialogNotFound, Scripts
from dialogs.schema import Audience, Dialog, StepKind
from dialogs.stages import Stage
from dialogs.state import SUMMARY, RunState, StateError
from prompts.catalog import Catalog, CatalogLexicon
from service import account, callbacks
from service.context import open_actions, reply_keys, template_variables
from service.effects import apply_effects
from service.inputs import (
    CommandIn,
    EditIn,
    Incoming,
    MediaIn,
    Person,
    PressIn,
    TextIn,
)
from service.messages import OutMessage, Response, button, plain
from service.render import LIST_DONE_TOKEN, Renderer
from service.views import Views
from storage import queries
from storage.queries import RunRecord, UserRecord

__all__ = ["CommandIn", "ConversationService", "EditIn", "Incoming", "MediaIn", "Person", "PressIn",
           "TextIn"]

Clock = Callable[[], datetime]
DIALOG_COMMANDS = ("agreement", "story", "vision", "grow", "checkin", "agenda", "reflect")
NAVIGATION = {"skip": Command.SKIP, "back": Command.BACK, "done": Command.DONE}
LOOK_UPS = frozenset({"help", "journey", "goals", "answers"})




class ConversationService:
    """Front-end-independent conversation logic over a session factory."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, scripts: Scripts,
        catalog: Catalog, clock: Clock, default_language: str = "en",
        default_timezone: str = "UTC",
    ) -> None:
        self.sessionmaker = sessionmaker
        self.scripts = scripts
        self.catalog = catalog
        self.clock = clock
        self.default_language = default_language
        self.default_timezone = default_timezone
        self._steps = {name: [s.key for s in d.steps] for name, d in scripts.by_name.items()}

    async def handle(
        self, person: Person, incoming: Incoming, update_id: int | None = None
    ) -> Response:
        """Process one input in one transaction and say what to send back.

        With an `update_id` the update is claimed in the same transaction, so a redelivered update
        does nothing, and an update whose processing failed is not marked as done.
        """
        async with self.sessionmaker.begin() as session:
            found = await queries.lock_user_with_run(session, person.external_id)
            if found is None:
                user, created, open_run = await self._create_user(session, person), True, None
            else:
                (user, open_run), created = found, False
                user = await self._reactivated(session, user)
            if update_id is not None and not await queries.claim_update(session, update_id,
                                                                        self.clock()):
                return Response()
            turn = _Turn(self, session, user, created, open_run)
            return await turn.dispatch(incoming)

    async def mark_unreachable(self, external_id: int) -> None:
        """The user blocked the bot: stop trying until they write again."""
        async with self.sessionmaker.begin() as session:
            await queries.set_active(session, external_id, False, self.clock())

    async def _user(self, session: AsyncSession, person: Person) -> UserRecord:
        """The user, locked for this transaction, created if new."""
        user = await queries.lock_user(session, person.external_id)
        if user is None:
            return await self._create_user(session, person)
        return await self._reactivated(session, user)

    async def _reactivated(self, session: AsyncSession, user: UserRecord) -> UserRecord:
        """A user who writes again after blocking the bot is reachable again."""
        if user.active:
            return user
        await queries.set_active(session, user.telegram_id, True, self.clock())
        return replace(user, active=True)

    async def _create_user(self, session: AsyncSession, person: Person) -> UserRecord:
        """A new user in their Telegram language if we speak it, else the default."""
        language = (person.language or "")[:2].lower()
        if language not in self.catalog.texts:
            language = self.default_language
        return await queries.create_user(
            session, person.external_id, name=person.name, language=language,
            timezone=self.default_timezone, now=self.clock())

    async def set_language(self, person: Person, language: str) -> None:
        """Change a user's language (creating the user if new)."""
        if language not in self.catalog.texts:
            raise ValueError(f"unsupported language {language!r}")
        async with self.sessionmaker.begin() as session:
            user = await self._user(session, person)
            await queries.update_user(session, user.id, self.clock(), language=language)

    def lexicon(self, lang: str) -> CatalogLexicon:
        """The engine's language knowledge for one language."""
        return CatalogLexicon(self.catalog, lang, self._steps)


class _Turn:
    """One input of one user, inside its transaction."""

    def __init__(self, service: ConversationService, session: AsyncSession, user: UserRecord,
                 created: bool, open_run: RunRecord | None) -> None:
        self.service = service
        self.session = session
        self.user = user
        self.created = created
        self.open_run = open_run  # the active run as loaded with the user, before any change
        self.now = service.clock()
        self.lang = user.language
        self.render = Renderer(service.catalog, self.lang)
        self.views = Views(service.scripts, self.render)

    @property
    def audience(self) -> Audience:
        return Audience.MENTOR if self.user.role == "mentor" else Audience.MENTEE

    @property
    def today(self) -> Any:
        return self.now.astimezone(ZoneInfo(self.user.timezone)).date()

    def say(self, key: str, **variables: Any) -> str:
        return self.render.text(key, **variables)

    # -- dispatch -------------------------------------------------------------------------------

    async def dispatch(self, incoming: Incoming) -> Response:
        if isinstance(incoming, TextIn):
            return await self.on_text(incoming)
        if isinstance(incoming, CommandIn):
            return await self.on_command(incoming.name.lower(), incoming.args)
        if isinstance(incoming, EditIn):
            return await self.on_edit(incoming)
        if isinstance(incoming, MediaIn):
            return await self.on_media()
        return await self.on_press(incoming.data)

    async def on_media(self) -> Response:
        """Not text where text is expected: say so kindly and ask the same question again."""
        note = self.say("common.media.unsupported")
        run = await queries.active_run(self.session, self.user.id)
        if run is None:
            return Response((OutMessage(note),))
        shown = await self.show_run(run, None)
        return Response((OutMessage(note), *shown.messages))

    async def on_edit(self, incoming: EditIn) -> Response:
        """An edited answer message updates the saved answer while its dialog is still open."""
        answer = await queries.answer_by_message(self.session, self.user.id, incoming.message_id)
        if answer is None:
            return self.message("common.edit.unknown")
        run = await queries.get_run(self.session, answer.run_id)
        if run is None or run.status not in ("active", "paused"):
            return self.message("common.edit.closed")
        script = self.service.scripts.get(run.dialog)
        try:
            step = script.step(answer.step_key)
            state = RunState.from_json(run.state)
        except (KeyError, StateError):
            return self.message("common.edit.unknown")
        value, problem = engine.read_value(script, step, incoming.text,
                                           await self.engine_context(script))
        if problem is not None:
            limits = {"max_length": step.max_length, "scale_min": step.scale_min,
                      "scale_max": step.scale_max, "min_items": step.min_items}
            return self.message(f"common.problems.{problem}", **limits)
        new_state = replace(state, answers={**state.answers, step.key: value})
        await queries.save_answers(self.session, run, {step.key: value}, visibility="private",
                                   now=self.now)
        await queries.save_run(self.session, run.id, step=new_state.step, status=run.status,
                               state=new_state.to_json(), now=self.now)
        return self.message("common.edit.saved", label=self.render.label(script, step.key))

    async def on_text(self, incoming: TextIn) -> Response:
        run = self.open_run
        if run is None:
            return Response((OutMessage(self.say("common.service.not_in_dialog")),
                             *await self.suggestion()))
        return await self.advance(run, Text(incoming.text), message_id=incoming.message_id)

    async def on_command(self, name: str, args: str) -> Response:
        if name in NAVIGATION:
            run = self.open_run
            if run is None:
                return self.message("common.service.nothing_to_cancel")
            return await self.advance(run, NAVIGATION[name])
        if name in DIALOG_COMMANDS:
            return await self.start_dialog(dialog_for_command(name, self.audience))
        handler = {
            "start": self.welcome, "help": self.help, "journey": self.journey,
            "cancel": self.cancel, "resume": self.resume, "goals": self.goals,
            "answers": self.answers, "export": self.export, "delete": self.delete_question,
        }.get(name)
        if name == "settings":
            return self.reminding(await self.settings(args))
        if handler is None:
            return self.message("common.service.unknown_command")
        response = await handler()
        return self.reminding(response) if name in LOOK_UPS else response

    def reminding(self, response: Response) -> Response:
        """After a look-up in the middle of a dialog, say that it is still open."""
        if self.open_run is None:
            return response
        note = self.say("common.service.still_open", title=self.say(f"{self.open_run.dialog}.title"))
        return replace(response, messages=(*response.messages, OutMessage(note)))

    async def on_press(self, data: str) -> Response:
        press = callbacks.parse(data)
        stale = Response(toast=plain(self.say("common.notes.stale_button")))
        if isinstance(press, callbacks.AnswerPress | callbacks.SummaryPress):
            run = self.open_run
            if run is None or run.id != press.run_id:
                return stale
            event = self.press_input(run, press)
            if event is None:
                return stale
            response = await self.advance(run, event)
            return Response(response.messages, accepted=True)
        if isinstance(press, callbacks.ContinuePress):
            response = await self.continue_run(press.run_id)
        elif isinstance(press, callbacks.DialogPress):
            response = await self.start_dialog(press.dialog, pause_open=press.pause)
        elif isinstance(press, callbacks.StagePress):
            response = await self.move_stage(press.by)
        elif isinstance(press, callbacks.SettingPress):
            response = await self.change_setting(press.name, press.value)
        elif isinstance(press, callbacks.DeletePress):
            response = (await self.delete_everything() if press.confirmed
                        else self.message("common.delete.kept"))
        elif isinstance(press, callbacks.DismissPress):
            response = Response()
        else:
            return stale
        return response if response.toast else replace(response, accepted=True)

    def press_input(
        self, run: RunRecord, press: callbacks.AnswerPress | callbacks.SummaryPress
    ) -> Input | None:
        """The engine input a button stands for, if it belongs to the run's current position."""
        try:
            script = self.service.scripts.get(run.dialog)
            state = RunState.from_json(run.state)
        except (DialogNotFound, StateError):
            return None
        if isinstance(press, callbacks.SummaryPress):
            if state.step != SUMMARY:
                return None
            if press.token == "confirm":
                return Pick(SUMMARY, engine.CONFIRM)
            position = int(press.token.removeprefix("edit:"))
            if position >= len(script.steps):
                return None
            return Pick(SUMMARY, engine.EDIT_PREFIX + script.steps[position].key)
        if state.step == SUMMARY or press.position >= len(script.steps):
            return None
        step = script.steps[press.position]
        if step.key != state.step or press.index != state.index:
            return None
        token = press.token
        if token == callbacks.SKIP:
            return Command.SKIP
        if token == callbacks.KEEP:
            return Pick(step.key, KEEP)
        if step.kind is StepKind.LIST and token == LIST_DONE_TOKEN:
            return Pick(step.key, LIST_DONE)
        if step.kind is StepKind.YESNO and token in ("y", "n"):
            return Pick(step.key, "yes" if token == "y" else "no")
        if step.kind is StepKind.CHOICE and token.isdigit() and int(token) < len(step.choices):
            return Pick(step.key, step.choices[int(token)])
        if step.kind is StepKind.SCALE and token.isdigit():
            return Pick(step.key, token)
        return None

    # -- dialogs --------------------------------------------------------------------------------

    async def advance(
        self, run: RunRecord, event: Input, message_id: int | None = None
    ) -> Response:
        """Feed one input to the engine and save its outcome in this transaction."""
        script = self.service.scripts.get(run.dialog)
        try:
            state = RunState.from_json(run.state)
        except StateError:
            return await self.restart_broken(run, script)
        outcome = engine.advance(script, state, event, await self.engine_context(script))
        await self.persist(run, script, state, outcome, message_id)
        return Response(tuple(await self.render_outcome(run.id, script, outcome)))

    async def engine_context(self, script: Dialog) -> EngineContext:
        actions: tuple[dict[str, Any], ...] = ()
        if any(s.foreach is not None and s.foreach.context for s in script.steps):
            actions = tuple(open_actions(await queries.goals_of(self.session, self.user.id)))
        return EngineContext(today=self.today, lang=self.lang,
                             lexicon=self.service.lexicon(self.lang), open_actions=actions)

    async def persist(
        self, run: RunRecord, script: Dialog, before: RunState, outcome: engine.Outcome,
        message_id: int | None = None,
    ) -> None:
        """Answers, deletions and the new position, all in the caller's transaction."""
        visibility = "shared" if self.user.share_by_default else "private"
        await queries.save_answers(self.session, run, outcome.saves, visibility=visibility,
                                   now=self.now, message_id=message_id)
        await queries.delete_answers(self.session, run.id, outcome.deletes)
        if outcome.state is not before and outcome.state != before:
            status = "completed" if outcome.finished else "active"
            await queries.save_run(self.session, run.id, step=outcome.state.step, status=status,
                                   state=outcome.state.to_json(), now=self.now)
        if outcome.finished and not before.finished:
            await apply_effects(self.session, script, run, self.user, outcome.state.answers,
                                visibility, self.now)

    async def render_outcome(
        self, run_id: int, script: Dialog, outcome: engine.Outcome
    ) -> list[OutMessage]:
        variables = await self.variables(script, outcome.state.answers,
                                         reply_keys(script, outcome.replies))
        messages = self.render.replies(script, outcome.replies, run_id, variables)
        if outcome.finished:
            messages.extend(await self.suggestion(after=script.name))
        return messages

    async def variables(
        self, script: Dialog, answers: Mapping[str, Any], keys: list[str]
    ) -> dict[str, Any]:
        """Template variables for the texts about to be rendered."""
        return await template_variables(self.session, self.service.catalog, script,
                                        self.service.scripts.by_name, self.user, answers,
                                        self.today.isoformat(), keys)

    async def start_dialog(self, name: str, pause_open: bool = False) -> Response:
        try:
            script = self.service.scripts.get(name)
        except DialogNotFound:
            return self.message("common.service.unknown_dialog", name=name)
        if script.audience is not self.audience:
            return self.message("common.service.not_for_you")
        open_run = await queries.active_run(self.session, self.user.id)
        if open_run is not None and open_run.dialog == name:
            return await self.show_run(open_run, "common.service.resumed")
        if open_run is not None:
            if not pause_open:
                return self.switch_question(open_run, script)
            await queries.set_run_status(self.session, open_run.id, "paused", self.now)
        paused = await queries.latest_paused_run(self.session, self.user.id, name)
        if paused is not None:
            await queries.set_run_status(self.session, paused.id, "active", self.now)
            return await self.show_run(paused, "common.service.resumed")
        return await self.new_run(script)

    async def new_run(self, script: Dialog, notes: tuple[str, ...] = ()) -> Response:
        outcome = engine.start(script, await self.engine_context(script))
        run_id = await queries.create_run(
            self.session, user_id=self.user.id, dialog=script.name, stage=script.stage.value,
            step=outcome.state.step, state=outcome.state.to_json(), now=self.now)
        run = await queries.get_run(self.session, run_id)
        assert run is not None
        if outcome.finished:
            await self.persist(run, script, RunState(step=outcome.state.step), outcome)
        intro: list[str] = list(notes)
        if script.stage.value != self.user.stage:
            intro.append(self.say("common.service.other_stage",
                                  stage=self.say(f"common.stages.{script.stage.value}.name")))
        variables = await self.variables(script, {}, [f"{script.name}.intro"])
        if self.service.catalog.has(self.lang, f"{script.name}.intro"):
            intro.append(self.say(f"{script.name}.intro", **variables))
        messages = await self.render_outcome(run_id, script, outcome)
        head = (OutMessage("\n\n".join(intro)),) if intro else ()
        return Response((*head, *messages))

    async def show_run(self, run: RunRecord, note_key: str | None) -> Response:
        """Show where an open run stands, after a short note."""
        script = self.service.scripts.get(run.dialog)
        try:
            state = RunState.from_json(run.state)
        except StateError:
            return await self.restart_broken(run, script)
        title = self.say(f"{script.name}.title")
        replies = engine.current(script, state)
        variables = await self.variables(script, state.answers, reply_keys(script, replies))
        messages = self.render.replies(script, replies, run.id, variables)
        if note_key is None:
            return Response(tuple(messages))
        return Response((OutMessage(self.say(note_key, title=title)), *messages))

    async def restart_broken(self, run: RunRecord, script: Dialog) -> Response:
        """A run whose stored state cannot be read is closed (its answers stay) and begun anew."""
        await queries.set_run_status(self.session, run.id, "cancelled", self.now)
        return await self.new_run(script, (self.say("common.service.error"),))

    def switch_question(self, open_run: RunRecord, script: Dialog) -> Response:
        open_title = self.say(f"{open_run.dialog}.title")
        title = self.say(f"{script.name}.title")
        buttons = (
            (button(self.say("common.buttons.continue", title=open_title), f"r:{open_run.id}"),),
            (button(self.say("common.buttons.pause_and_start", title=title), f"p:{script.name}"),),
        )
        text = self.say("common.service.switch_question", open_title=open_title, title=title)
        return Response((OutMessage(text, buttons),))

    async def continue_run(self, run_id: int) -> Response:
        run = await queries.get_run(self.session, run_id)
        if run is None or run.user_id != self.user.id or run.status not in ("active", "paused"):
            return Response(toast=plain(self.say("common.notes.stale_button")))
        if run.status == "paused":
            open_run = await queries.active_run(self.session, self.user.id)
            if open_run is not None:
                await queries.set_run_status(self.session, open_run.id, "paused", self.now)
            await queries.set_run_status(self.session, run.id, "active", self.now)
        return await self.show_run(run, "common.service.resumed")

    async def cancel(self) -> Response:
        run = await queries.active_run(self.session, self.user.id)
        if run is None:
            return self.message("common.service.nothing_to_cancel")
        await queries.set_run_status(self.session, run.id, "paused", self.now)
        return self.message("common.service.cancelled", title=self.say(f"{run.dialog}.title"))

    async def resume(self) -> Response:
        run = await queries.active_run(self.session, self.user.id)
        if run is None:
            run = await queries.latest_paused_run(self.session, self.user.id)
            if run is None:
                return self.message("common.service.nothing_to_resume")
            await queries.set_run_status(self.session, run.id, "active", self.now)
        return await self.show_run(run, "common.service.resumed")

    # -- journey and views ----------------------------------------------------------------------

    async def welcome(self) -> Response:
        name = (self.user.name or "").split(" ")[0] or None
        key = "common.service.welcome_new" if self.created else "common.service.welcome_back"
        greeting = OutMessage(self.say(key, name=name))
        run = await queries.active_run(self.session, self.user.id)
        run = run or await queries.latest_paused_run(self.session, self.user.id)
        if run is not None:
            title = self.say(f"{run.dialog}.title")
            offer = OutMessage(self.say("common.service.resume_offer", title=title), (
                (button(self.say("common.buttons.continue", title=title), f"r:{run.id}"),
                 button(self.say("common.buttons.later"), "x")),))
            return Response((greeting, offer))
        return Response((greeting, *await self.suggestion()))

    async def help(self) -> Response:
        return self.message("common.help")

    async def journey(self) -> Response:
        done = await queries.completed_dialogs(self.session, self.user.id)
        view = journey_view(self.service.scripts, Stage(self.user.stage), self.audience, done)
        return Response((self.views.journey(view, self.audience),))

    async def move_stage(self, by: int) -> Response:
        stage = Stage(self.user.stage).moved(by)
        await queries.update_user(self.session, self.user.id, self.now, stage=stage.value)
        self.user = replace(self.user, stage=stage.value)
        text = self.say("common.service.stage_moved",
                        stage=self.say(f"common.stages.{stage.value}.name"),
                        about=self.say(f"common.stages.{stage.value}.about"))
        return Response((OutMessage(text), *await self.suggestion()))

    async def suggestion(self, after: str | None = None) -> list[OutMessage]:
        """What to do next: the next dialog of the stage, or the offer to move on."""
        done = await queries.completed_dialogs(self.session, self.user.id)
        if after:
            done.add(after)
        view = journey_view(self.service.scripts, Stage(self.user.stage), self.audience, done)
        if view.stage_complete and view.stage is not Stage.ENDING:
            following = view.stage.moved(1)
            name = self.say(f"common.stages.{view.stage.value}.name")
            offer = button(self.say("common.buttons.stage_next",
                                     stage=self.say(f"common.stages.{following.value}.name")),
                            "j:+1")
            return [OutMessage(self.say("common.service.stage_done", stage=name), ((offer,),))]
        if view.next_dialog is None or view.next_dialog.name == after:
            return []
        script = view.next_dialog
        title = self.say(f"{script.name}.title")
        command = command_for_dialog(script.name, self.audience)
        text = self.say("common.service.suggest", title=title, command=command,
                        description=self.say(f"{script.name}.description"))
        offer = button(self.say("common.buttons.start", title=title), f"g:{script.name}")
        return [OutMessage(text, ((offer,),))]

    async def goals(self) -> Response:
        goals = await queries.goals_of(self.session, self.user.id)
        return Response((self.views.goals(goals),))

    async def answers(self) -> Response:
        answers = await queries.answers_of(self.session, self.user.id)
        runs = {run.id: run for run in await queries.runs_of(self.session, self.user.id)}
        return Response(tuple(self.views.answers(answers, runs)))

    # -- account ----------------------------------------------------------------------------------

    async def settings(self, args: str) -> Response:
        """`/settings` shows them; `/settings timezone Europe/Berlin`, `time 14:30`, `language de`,
        `share on|off` change one directly (the terminal has no buttons)."""
        name, _, value = args.strip().partition(" ")
        if not name:
            return Response((account.settings_view(self.user, self.render, self.now),))
        return await self.change_setting(name.lower(), value.strip())

    async def change_setting(self, name: str, value: str) -> Response:
        changed = await account.change_setting(self.session, self.user, name, value, self.now,
                                               self.service.catalog)
        if changed is None:
            key = "common.settings.time_unclear" if name == "time" else \
                "common.settings.timezone_unknown"
            return self.message(key, text=value[:64])
        self.user, key, variables = changed
        self.lang = self.user.language
        self.render = Renderer(self.service.catalog, self.lang)
        return self.message(key, **variables)

    async def export(self) -> Response:
        documents = await account.export_documents(self.session, self.user, self.service.scripts,
                                                   self.render, self.now)
        return Response(documents)

    async def delete_question(self) -> Response:
        return Response((account.delete_question(self.render),))

    async def delete_everything(self) -> Response:
        await queries.delete_user(self.session, self.user.id)
        return self.message("common.delete.done")

    def message(self, key: str, **variables: Any) -> Response:
        return Response((OutMessage(self.say(key, **variables)),))
