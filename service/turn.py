"""One input of one person, inside its transaction: who, when, in which language, with what content.

Every use case (`answering`, `runs`, `journey`, `lookups`, `settings`, `account`) is a function of a
`Turn`; the service opens the transaction and builds the turn, the router picks the use case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.registry import Scripts
from dialogs.schema import Audience
from prompts.catalog import Catalog, CatalogLexicon
from service.commands import Scope
from service.messages import OutMessage, Response, plain
from service.render import Renderer
from service.views import Views
from storage.runs import RunRecord, set_run_shown
from storage.users import UserRecord
from storage.vocabulary import Role


class Content:
    """The shipped scripts and texts, with what the engine needs to read answers in each language."""

    def __init__(self, scripts: Scripts, catalog: Catalog) -> None:
        self.scripts = scripts
        self.catalog = catalog
        self._steps = {name: [s.key for s in d.steps] for name, d in scripts.by_name.items()}

    def lexicon(self, lang: str) -> CatalogLexicon:
        """The engine's language knowledge for one language."""
        return CatalogLexicon(self.catalog, lang, self._steps)


@dataclass
class Turn:
    """The context of one input. `open_run` is the active run as loaded with the user, before any
    change this turn makes; `created` says the user was new."""

    content: Content
    session: AsyncSession
    user: UserRecord
    now: datetime
    created: bool = False
    open_run: RunRecord | None = None
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
        """Whose dialogs this person gets."""
        return Audience.MENTOR if self.user.role == Role.MENTOR else Audience.MENTEE

    @property
    def scopes(self) -> frozenset[Scope]:
        """Whose commands this person may use."""
        return frozenset({Scope(self.audience.value)})

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

    def say(self, key: str, **variables: Any) -> str:
        """A catalog text in the person's language."""
        return self.render.text(key, **variables)

    def message(self, key: str, **variables: Any) -> Response:
        """A response of one message with one catalog text."""
        return Response((OutMessage(self.say(key, **variables)),))

    def stale_press(self) -> Response:
        """The answer to a press that no longer counts (or never did): a notice, nothing changed."""
        return Response(toast=plain(self.say("common.notes.stale_button")))
