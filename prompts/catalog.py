"""Every text the bot says, by key and language, rendered with one sandboxed Jinja2 environment.

Texts live in `prompts/<lang>/<file>.yaml`; a key is the file name plus the path inside it
(`grow.steps.goal_specific.text`, `common.problems.empty`). Whole pages (the data export) live in
`prompts/pages/` and say things through the same texts. User text only ever enters a template as a
variable: autoescaped for Telegram HTML, never evaluated.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    pass_context,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from typing_extensions import override

PROMPTS_DIR = Path(__file__).parent
PAGES_DIR = PROMPTS_DIR / "pages"
LANGUAGES = ("en", "de")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested YAML mappings → dotted keys; strings and lists are the leaves."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, path))
        else:
            flat[path] = value
    return flat


def read_language(directory: Path) -> dict[str, Any]:
    """All texts of one language folder, flattened, keyed by `<file stem>.<path>`."""
    texts: dict[str, Any] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        texts.update(flatten(data, path.stem))
    return texts


def fold(text: str) -> str:
    """A form of text for loose matching: case, accents, spaces and punctuation folded away."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if ch.isalnum() or ch.isspace())
    return " ".join(kept.split())


# Umlauts as written without them on a keyboard that has none (Muenchen, Zuerich, Koeln).
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# Marks that join the words of a name (Neu-Delhi, St. Gallen, New_York, Europe/Berlin): a space.
_JOINERS = str.maketrans("-_/.", "    ")


def forms(text: str) -> frozenset[str]:
    """The folded forms (`fold`) of a typed text or a word it may be, to be compared form for
    form: umlauts as written and written out ("für": "fur" and "fuer", so "fuer" and "fur" both
    find it; ß is "ss" in both). A German keyboard is not everyone's."""
    lowered = unicodedata.normalize("NFC", text).casefold()
    return frozenset(form for form in (fold(lowered), fold(lowered.translate(_SPELLED_OUT))) if form)


def spellings(text: str) -> frozenset[str]:
    """`forms` of a name (a place, a person, a programme), joining marks read as spaces
    ("München": "munchen" and "muenchen", so "Muenchen" and "Munchen" both find it)."""
    return forms(unicodedata.normalize("NFC", text).casefold().translate(_JOINERS))


# A block tag that ends a line of text (`<b>{{ label }}</b>{% if shared %} 👥{% endif %}`) keeps
# the line break after it; `trim_blocks` would join the next line on. A line of nothing but tags
# (`{% for … %}` alone) still vanishes whole.
_TAG_ENDS_TEXT = re.compile(
    r"^(?P<line>(?!\s*(?:\{%(?:(?!%\}).)*%\}\s*)+$).*\S.*?)(?<![-+])%\}(?=[ \t]*$)", re.MULTILINE)


def keep_line_breaks(source: str) -> str:
    """The text with each block tag that ends a line of text marked `+%}` (no trim)."""
    return _TAG_ENDS_TEXT.sub(r"\g<line>+%}", source)


class _CatalogLoader(BaseLoader):
    """Jinja2 loads templates straight from the flattened texts (name = `<lang>:<key>`)."""

    def __init__(self, texts: Mapping[str, Mapping[str, Any]]) -> None:
        self._texts = texts

    @override
    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Any]:
        lang, _, key = template.partition(":")
        source = self._texts.get(lang, {}).get(key)
        if not isinstance(source, str):
            raise TemplateNotFound(template)
        return keep_line_breaks(source), None, lambda: True


def make_environment(
    texts: Mapping[str, Mapping[str, Any]], pages: Path = PAGES_DIR
) -> ImmutableSandboxedEnvironment:
    """The one Jinja2 environment: sandboxed, immutable, strict about unknown variables. It loads
    texts by `<lang>:<key>` and pages by their file name in `pages`."""
    return ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([_CatalogLoader(texts), FileSystemLoader(pages)]), autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )


#: How many renderings of texts with variables `Catalog.render` keeps (then it starts again).
RENDERED_KEPT = 4096
_PLAIN = (str, int, float, bool, type(None))


def _memo(name: str, variables: Mapping[str, Any]) -> tuple[object, ...] | None:
    """A text's rendering is kept by its name and variables when each variable is a plain value
    (its type part of the key: a `Markup` is not escaped as a `str` of the same letters is);
    None when one is not (a list, a mapping: they may change)."""
    if not all(type(value) in _PLAIN for value in variables.values()):
        return None
    return (name, *sorted((key, type(value).__name__, value) for key, value in variables.items()))


@dataclass(eq=False)
class Catalog:
    """Texts of every language, with the rendering and matching the engine and front-ends need."""

    texts: Mapping[str, Mapping[str, Any]]
    pages: Path = PAGES_DIR

    def __post_init__(self) -> None:
        self.env = make_environment(self.texts, self.pages)
        self.env.filters["date"] = pass_context(
            lambda context, iso: self.format_date(context.get("lang", "en"), iso))
        self.env.filters["long_date"] = pass_context(
            lambda context, iso: self.format_date(context.get("lang", "en"), iso, long=True))
        self.env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
        self._templates: dict[str, Template] = {}
        self._constants: dict[str, str] = {}  # texts of no variables, rendered once
        self._rendered: dict[tuple[object, ...], str] = {}  # texts of plain variables (`_memo`)

    def has(self, lang: str, key: str) -> bool:
        """Whether a text exists for this key in this language."""
        return key in self.texts.get(lang, {})

    def raw(self, lang: str, key: str) -> Any:
        """The stored value (a template string or a word list), falling back to English."""
        value = self.texts.get(lang, {}).get(key)
        return self.texts["en"].get(key) if value is None else value

    def render(self, lang: str, key: str, **variables: Any) -> str:
        """Render one text; English is the fallback for a language that lacks the key."""
        if not isinstance(self.texts.get(lang, {}).get(key), str):
            lang = "en"
        name = f"{lang}:{key}"
        if not variables and name in self._constants:  # a button's label, a title
            return self._constants[name]
        memo = _memo(name, variables)
        if memo is not None and memo in self._rendered:  # the same invitation to a whole cohort
            return self._rendered[memo]
        template = self._templates.get(name)
        if template is None:
            template = self.env.get_template(name)
            self._templates[name] = template
        text = template.render({**variables, "lang": lang}).strip()
        if not variables:
            self._constants[name] = text
        elif memo is not None:
            if len(self._rendered) >= RENDERED_KEPT:
                self._rendered.clear()
            self._rendered[memo] = text
        return text

    def page(self, lang: str, name: str, **variables: Any) -> str:
        """A whole page from `pages/` in one language; it says things with `text(key, ...)`."""

        def text(key: str, **values: Any) -> Markup:
            return Markup(self.render(lang, key, **values))  # a rendered text is escaped HTML

        return self.env.get_template(name).render({**variables, "lang": lang, "text": text})

    def words(self, lang: str, word: str) -> set[str]:
        """The folded synonyms of a word like yes, no, done or confirm (`forms`: "löschen" is
        also "loeschen")."""
        found = self.raw(lang, f"common.words.{word}") or []
        return {form for w in found for form in forms(str(w))}

    def format_date(self, lang: str, iso: Any, long: bool = False) -> str:
        """A saved ISO date the way people of that language write it; `long` with the weekday."""
        if not iso:
            return ""
        try:
            day = date.fromisoformat(str(iso))
        except ValueError:
            return str(iso)
        months = self.raw(lang, "common.months") or []
        weekdays = self.raw(lang, "common.weekdays") or []
        key = "common.date_format_long" if long else "common.date_format"
        pattern = str(self.raw(lang, key) or "{day} {month} {year}")
        month = months[day.month - 1] if len(months) == 12 else str(day.month)
        weekday = weekdays[day.weekday()] if len(weekdays) == 7 else ""
        return pattern.format(day=day.day, month=month, year=day.year, weekday=weekday)


class CatalogLexicon:
    """The engine's Lexicon for one language, backed by the catalog's labels and word lists."""

    def __init__(self, catalog: Catalog, lang: str, scripts_steps: Mapping[str, list[str]]) -> None:
        self._catalog = catalog
        self._lang = lang
        self._steps = scripts_steps

    def choices_for(self, dialog: str, step: str, text: str) -> list[str]:
        """Match typed text against the step's button labels (loosely, in this language or
        English) or the value names; then against the words people say for a choice
        (`<dialog>.steps.<step>.words.<value>`: "monatlich", "online"); failing that, every
        choice whose label in this language begins with it ("every two" → fortnightly; "per" →
        video and phone). Umlauts may be written out ("persoenlich"): `forms`."""
        wanted = forms(text)
        if not wanted:
            return []
        prefix = f"{dialog}.steps.{step}.choices."
        labels = {lang: {key.removeprefix(prefix): forms(str(label))
                         for key, label in self._catalog.texts.get(lang, {}).items()
                         if key.startswith(prefix)} for lang in (self._lang, "en")}
        for lang_labels in labels.values():
            for value, label in lang_labels.items():
                if wanted & (label | forms(value.replace("_", " "))):
                    return [value]
        words = f"{dialog}.steps.{step}.words."
        for lang in dict.fromkeys((self._lang, "en")):
            said = [key.removeprefix(words)
                    for key, synonyms in self._catalog.texts.get(lang, {}).items()
                    if key.startswith(words) and isinstance(synonyms, list)
                    and wanted & {form for word in synonyms for form in forms(str(word))}]
            if said:
                return said
        return [value for value, label in labels[self._lang].items()
                if any(form.startswith(typed) for form in label for typed in wanted)]

    def means(self, word: str, text: str) -> bool:
        """Whether text is one of the word's synonyms in this language or English."""
        typed = forms(text)
        return bool(typed & (self._catalog.words(self._lang, word)
                             | self._catalog.words("en", word)))

    def takes_offer(self, dialog: str, step: str, text: str) -> bool:
        """Whether text is one of the step's own words for the date it offers
        (`<dialog>.steps.<step>.offer_words`), in this language or English."""
        typed = forms(text)
        key = f"{dialog}.steps.{step}.offer_words"
        return any(
            typed & {form for word in self._catalog.texts.get(lang, {}).get(key) or []
                     for form in forms(str(word))}
            for lang in (self._lang, "en"))

    def names(self, text: str, item: str) -> bool:
        """Whether typed text is the item's whole text, `forms` for `forms` (no part of it)."""
        return bool(forms(text) & forms(item))

    def step_for_label(self, dialog: str, text: str) -> str | None:
        """The step whose short label the text names."""
        wanted = forms(text)
        for step in self._steps.get(dialog, []):
            label = self._catalog.raw(self._lang, f"{dialog}.steps.{step}.label")
            if label and wanted & forms(str(label)):
                return step
        return None


def read_catalog(directory: Path = PROMPTS_DIR) -> Catalog:
    """All languages found under a prompts directory."""
    return Catalog({lang: read_language(directory / lang) for lang in LANGUAGES
                    if (directory / lang).is_dir()}, directory / "pages")


@cache
def default_catalog() -> Catalog:
    """The texts shipped in the package."""
    return read_catalog()
