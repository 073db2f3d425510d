"""One input of one person, inside its transaction: who, when, in which language, with what content.

Every use case (`answering`, `runs`, `journey`, `lookups`, `settings`, `account`) is a function of a
`Turn`; the service opens the transaction and builds the turn, the router picks the use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from dialogs.schema import Audience
from prompts.catalog import Catalog, CatalogLexicon
from service.commands import Scope
from service.effects import goal_parts
from service.messages import OutMessage, Response, plain
from service.render import Renderer
from service.together import Together
from service.views import Views
from storage.runs import RunRecord, set_run_shown
from storage.schedule import NewItem, add_items
from storage.users import UserRecord
from storage.vocabulary import Role

T = TypeVar("T")

if TYPE_CHECKING:
    from service.mentors.invites import InvitePolicy
    from service.schedule.kinds import Registry
    from service.schedule.policy import SchedulePolicy


class Content:
    """The shipped scripts, texts and kinds of scheduled item, with what the engine needs to read
    answers in each language, the operator's scheduling and invite policies, and the bot's
    Telegram username once the front-end knows it (invite links need it; None: the terminal)."""

    def __init__(self, scripts: Scripts, catalog: Catalog, schedule: Registry,
                 policy: SchedulePolicy, invites: InvitePolicy,
                 admins: frozenset[int] = frozenset()) -> None:
        self.scripts = scripts
        self.catalog = catalog
        self.schedule = schedule
        self.policy = policy
        self.invites = invites
        self.bot_username: str | None = None
        self.admins = admins  # Telegram ids that coordinate every programme (COACHBOT_ADMINS)
        self._steps = {name: [s.key for s in d.steps] for name, d in scripts.by_name.items()}
        self.goal_parts = goal_parts(scripts)  # what of a shared goal its mentor may see

    def lexicon(self, lang: str) -> CatalogLexicon:
        """The engine's language knowledge for one language."""
        return CatalogLexicon(self.catalog, lang, self._steps)


@dataclass
class Turn:
    """The context of one input. `open_run` is the active run as loaded with the user, before any
    change this turn makes; `created` says the user was new; `paired_as_mentee` that someone who
    came in as a mentor is also someone's mentee (loaded only for them: see mentors.scopes)."""

    content: Content
    session: AsyncSession
    user: UserRecord
    now: datetime
    created: bool = False
    open_run: RunRecord | None = None
    paired_as_mentee: bool = False
    coordinates: bool = False  # loaded where it matters: see mentors.scopes.load_coordination
    together: Together | None = None  # the dispatcher's batch this turn is one of (service.together)
    sent_at: datetime | None = None  # when they sent the input, where the front-end says so
    # The language their app reports (Telegram's language code) if the bot speaks it, else None:
    # what a programme's language, taken on joining, offers to switch back to.
    app_language: str | None = None
    render: Renderer = field(init=False)
    views: Views = field(init=False)

    def __post_init__(self) -> None:
        self.render = Renderer(self.content.catalog, self.user.language)
        self.views = Views(self.content.scripts, self.render)

    @property
    def lang(self) -> str:
        return self.user.language

    @property
    def audience(self) -> Audience:
        """Their primary side, the one they came in as: whose dialog a shared command (/story,
        /reflect) starts for them."""
        return Audience.MENTOR if self.user.role == Role.MENTOR else Audience.MENTEE

    @property
    def scopes(self) -> frozenset[Scope]:
        """Whose commands this person may use: the mentee side (they came in as a mentee, or a
        mentor paired them as a mentee) and the mentor side (they came in as a mentor, or added it
        later; only mentors invite, so a mentor pairing implies it)."""
        scopes = set()
        if self.user.role == Role.MENTEE or self.paired_as_mentee:
            scopes.add(Scope.MENTEE)
        if self.user.role == Role.MENTOR or self.user.mentors:
            scopes.add(Scope.MENTOR)
        if self.coordinates or self.user.telegram_id in self.content.admins:
            scopes.add(Scope.COORDINATOR)
        return frozenset(scopes)

    def serves(self, audience: Audience) -> bool:
        """Whether dialogs of this audience are theirs (on either side)."""
        return Scope(audience.value) in self.scopes

    @property
    def today(self) -> date:
        """The date on the person's own calendar."""
        return self.now.astimezone(ZoneInfo(self.user.timezone)).date()

    def became(self, user: UserRecord) -> None:
        """The user changed this turn (a setting, the stage); texts follow a new language at once."""
        self.user = user
        if self.render.lang != user.language:
            self.render = Renderer(self.content.catalog, user.language)
            self.views = Views(self.content.scripts, self.render)

    async def hide_question(self) -> None:
        """Something other than the open run's question is asked now (an offer, another dialog's
        switch question, /delete, a goal step's new wording): typed text must not answer the
        question shown before it, until it is shown again (`runs.show_run`)."""
        if self.open_run is not None and self.open_run.shown:
            await set_run_shown(self.session, self.open_run.id, False)

    async def shared(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """What `load` reads, read once for the whole batch this turn is one of (the same for
        each of its people: see service.together); a turn on its own just reads it."""
        return await load() if self.together is None else await self.together.read(key, load)

    def changed(self, key: Hashable) -> None:
        """What `shared` read under `key` changed this turn."""
        if self.together is not None:
            self.together.forget(key)

    async def follow_up(self, items: Sequence[NewItem]) -> None:
        """Create these items (existing keys left alone): with the batch's, once its kinds have
        all been asked; at once for a turn on its own."""
        if self.together is None:
            await add_items(self.session, items, self.now)
        else:
            self.together.follow(items)

    def say(self, key: str, **variables: Any) -> str:
        """A catalog text in the person's language."""
        return self.render.text(key, **variables)

    def message(self, key: str, **variables: Any) -> Response:
        """A response of one message with one catalog text."""
        return Response((OutMessage(self.say(key, **variables)),))

    def stale_press(self) -> Response:
        """The answer to a press that no longer counts (or never did): a notice, nothing changed."""
        return Response(toast=plain(self.say("common.notes.stale_button")))
