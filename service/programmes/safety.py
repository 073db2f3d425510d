"""Safety signposting: an answer that sounds like a crisis (self-harm, abuse, violence) gets, after
the usual reply, a short message with help contacts: never a diagnosis, never advice. A programme's
coordinators are told that someone may need support (their first name, never what they wrote) only
where the programme's policy says so AND the person agreed to it in their agreement; at most one
alert per person in the programme's alert interval (24 hours unless set), each naming how many
matches there were since the last one (storage.safety counts them: moments only, never text).
Words a person types outside a dialog and that are kept as their coaching content (a goal step's
new wording, a note for the mentor and its reply, a pulse comment) get the same (`after_typed`).

The phrases are data: `safety.keywords` in each language's catalog, plus a programme's own
(programmes.safety). Matching is cheap: one compiled pattern per list of phrases, cached."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import yaml
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.schema import Dialog
from prompts.catalog import LANGUAGES, Catalog
from service.messages import Delivery, OutMessage, Response
from service.turn import Turn
from storage.answers import latest_answers
from storage.programmes import (
    ProgrammeRecord,
    coordinators_of,
    programme_by_id,
    update_programme,
)
from storage.safety import alerted_since, record_match, take_untold
from storage.users import first_name, get_user
from storage.vocabulary import JSONObject

#: The agreement's step in which a mentee says whether the programme team may be told.
CONSENT_DIALOG, CONSENT_STEP, CONSENT_YES = "agreement", "team_may_know", "yes"
MAX_CONTACTS = 1500  # characters: a few lines of phone numbers and addresses, in one message
#: A coordinator hears of one member at most once in this many hours (a programme may change it);
#: matches in between are counted and the next alert names how many there were.
ALERT_HOURS = 24
MAX_ALERT_HOURS = 24 * 30
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


@dataclass(frozen=True)
class SafetySettings:
    """A programme's safety settings (programmes.safety): phrases of its own per language (added
    to the shipped ones), its help contacts (plain text; None: the shipped general ones), and
    whether its coordinators are alerted."""

    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    contacts: str | None = None
    alert: bool = False
    alert_hours: int = ALERT_HOURS  # at most one alert per member this often; matches are counted

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> SafetySettings:
        """The settings as stored; anything unreadable counts as not set."""
        data = data or {}
        raw = data.get("keywords")
        keywords = {str(lang): tuple(str(p) for p in phrases if str(p).strip())
                    for lang, phrases in (raw.items() if isinstance(raw, dict) else ())
                    if isinstance(phrases, list)}
        contacts = data.get("contacts")
        hours = data.get("alert_hours")
        return cls(keywords, contacts if isinstance(contacts, str) and contacts.strip() else None,
                   data.get("alert") is True,
                   hours if isinstance(hours, int) and not isinstance(hours, bool)
                   and 0 <= hours <= MAX_ALERT_HOURS else ALERT_HOURS)

    def to_json(self) -> JSONObject:
        """The settings to store."""
        return {"keywords": {lang: list(phrases) for lang, phrases in self.keywords.items()},
                "contacts": self.contacts, "alert": self.alert, "alert_hours": self.alert_hours}


def normalised(text: str) -> str:
    """Text as the phrases are written: typographic apostrophes as plain ones."""
    return text.translate(_APOSTROPHES)


def worded(phrase: str) -> bool:
    """Whether a phrase holds a letter or a digit: "(" or "!!" alone would match every answer
    that holds it, and signpost crisis help to people who wrote nothing of the kind."""
    return any(c.isalnum() for c in phrase)


@lru_cache(maxsize=64)
def pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a list of phrases: any of them as whole words, in any case, with any run of
    spaces between their words (one without a letter or digit, saved before such were refused,
    is left out). None for no phrases."""
    parts = sorted({r"\s+".join(re.escape(word) for word in normalised(p).split())
                    for p in phrases if worded(p)}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def phrases(catalog: Catalog, lang: str, settings: SafetySettings) -> tuple[str, ...]:
    """The shipped phrases of one language and the programme's own."""
    shipped = catalog.texts.get(lang, {}).get("safety.keywords") or []
    return (*(str(p) for p in shipped), *settings.keywords.get(lang, ()))


def matches(catalog: Catalog, settings: SafetySettings, texts: Iterable[str]) -> bool:
    """Whether any text holds a phrase of any language (people mix languages)."""
    patterns = [p for p in (pattern(phrases(catalog, lang, settings)) for lang in LANGUAGES) if p]
    return any(p.search(normalised(text)) for text in texts for p in patterns)


def texts_of(value: Any) -> Iterator[str]:
    """Every piece of text in a saved answer (a text, a list of items, per-item values)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts_of(item)
    elif isinstance(value, dict):
        for key in ("item", "value"):
            yield from texts_of(value.get(key))


def typed_now(script: Dialog, before: Mapping[str, Any], saves: Mapping[str, Any]) -> list[str]:
    """The texts of a run's `saves` typed now: a text answer whole (typed again, even the same
    words are new), of a list only what it did not hold `before`. The rest of a list keeps its
    words (an item added or taken out, a per-item answer going through a list's items, a pick
    of them): they had their help contacts when they were typed, and the same contacts for each
    change would only alarm. An item typed twice is two."""
    steps = {step.key: step for step in script.steps}
    texts: list[str] = []
    for key, value in saves.items():
        if not isinstance(value, list):
            texts.extend(texts_of(value))
            continue
        seen = Counter(texts_of(before.get(key)))
        step = steps.get(key)
        if step is not None and step.pick_from is not None:
            seen.update(texts_of(before.get(step.pick_from)))
        if step is not None and step.foreach is not None:
            seen.update(texts_of([entry.get("item") for entry in value if isinstance(entry, dict)]))
        texts.extend((Counter(texts_of(value)) - seen).elements())
    return texts


async def after_answer(turn: Turn, saves: Mapping[str, Any]) -> Response:
    """What follows a saved answer that holds a crisis phrase: the help contacts for the person,
    and the coordinators' alert where policy and consent allow. Nothing otherwise. A dialog's
    answers come as their words typed now (`typed_now`)."""
    texts = list(texts_of(list(saves.values())))
    if not texts:
        return Response()
    programme = (None if turn.user.programme_id is None
                 else await programme_by_id(turn.session, turn.user.programme_id))
    settings = SafetySettings.from_json(programme.safety if programme else None)
    if not matches(turn.content.catalog, settings, texts):
        return Response()
    contacts = settings.contacts or Markup(turn.say("safety.default_contacts"))
    message = OutMessage(turn.say("safety.signpost", contacts=contacts))
    alerts = await _alerts(turn, programme, settings) if programme and settings.alert else ()
    return Response((message,), deliveries=alerts)


async def after_typed(turn: Turn, response: Response, text: str) -> Response:
    """`response` to words a person typed outside a dialog as coaching content of theirs (a
    step's new wording, a note for the mentor, a reply, a pulse comment), followed by what an
    answer with the same words gets: the help contacts, and the alert where policy and consent
    allow. Unchanged when the words hold no crisis phrase."""
    signpost = await after_answer(turn, {"text": text})
    if not signpost.messages:
        return response
    return replace(response, messages=(*response.messages, *signpost.messages),
                   deliveries=(*response.deliveries, *signpost.deliveries))


async def consented(turn: Turn) -> bool:
    """Whether the person's agreement, as they answered it last, lets the programme team know."""
    answers = await latest_answers(turn.session, turn.user.id, [CONSENT_DIALOG])
    return answers[CONSENT_DIALOG].get(CONSENT_STEP) == CONSENT_YES


async def _alerts(turn: Turn, programme: ProgrammeRecord,
                  settings: SafetySettings) -> tuple[Delivery, ...]:
    """"Someone may need support" for each coordinator of the programme, in their language: the
    person's first name and how many matches since the last alert, never what they wrote. None
    without the person's consent; none (the match only counted) within the programme's alert
    interval after the last alert about them."""
    if not await consented(turn):
        return ()
    uid, pid = turn.user.id, programme.id
    await record_match(turn.session, uid, pid, turn.now)
    if settings.alert_hours and await alerted_since(
            turn.session, uid, pid, turn.now - timedelta(hours=settings.alert_hours)):
        return ()
    count = await take_untold(turn.session, uid, pid)
    fallback = str(programme.defaults.get("language") or "en")
    deliveries = []
    for telegram_id in await coordinators_of(turn.session, programme.id):
        coordinator = await get_user(turn.session, telegram_id)
        lang = coordinator.language if coordinator else fallback
        text = turn.content.catalog.render(lang, "safety.alert", programme=programme.name,
                                           name=first_name(turn.user.name) or "",
                                           telegram_id=turn.user.telegram_id, count=count,
                                           hours=settings.alert_hours)
        deliveries.append(Delivery(telegram_id, (OutMessage(text),)))
    return tuple(deliveries)


class SafetyFileError(ValueError):
    """A keywords or contacts file that cannot be used; the message says why, in one line."""


def read_keywords(text: str) -> dict[str, tuple[str, ...]]:
    """A programme's own phrases from YAML: `en: [...]`, `de: [...]` (either may be left out)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SafetyFileError(f"not valid YAML ({str(error).splitlines()[0]})") from error
    if not isinstance(data, dict) or not data:
        raise SafetyFileError("expected a list of phrases per language, like  en: [\"...\"]")
    keywords: dict[str, tuple[str, ...]] = {}
    for lang, phrases_of_lang in data.items():
        if lang not in LANGUAGES:
            raise SafetyFileError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
        if not isinstance(phrases_of_lang, list) or not all(
                isinstance(p, str) and p.strip() for p in phrases_of_lang):
            raise SafetyFileError(f"{lang}: expected a list of phrases (text)")
        if (wordless := next((p for p in phrases_of_lang if not worded(p)), None)) is not None:
            raise SafetyFileError(f"{lang}: {wordless.strip()!r} has no letter or digit: a phrase "
                                  "is one or more words (that one would match any answer with it)")
        keywords[lang] = tuple(" ".join(p.split()) for p in phrases_of_lang)
    return keywords


def read_contacts(text: str) -> str:
    """A programme's help contacts: the file's text as it is, without surrounding blank lines."""
    contacts = text.strip()
    if not contacts:
        raise SafetyFileError("it is empty: write the help contacts in it")
    if len(contacts) > MAX_CONTACTS:
        raise SafetyFileError(f"it is longer than {MAX_CONTACTS} characters; keep the contacts short")
    return contacts


async def set_safety(session: AsyncSession, programme: ProgrammeRecord, now: datetime, *,
                     contacts: str | None = None, alert: bool | None = None,
                     keywords: Mapping[str, tuple[str, ...]] | None = None,
                     alert_hours: int | None = None) -> SafetySettings:
    """Change what is given of a programme's safety settings; the rest stays."""
    current = SafetySettings.from_json(programme.safety)
    changed = replace(current,
                      contacts=current.contacts if contacts is None else contacts,
                      alert=current.alert if alert is None else alert,
                      keywords=current.keywords if keywords is None else dict(keywords),
                      alert_hours=current.alert_hours if alert_hours is None else alert_hours)
    await update_programme(session, programme.id, now, safety=changed.to_json())
    return changed
