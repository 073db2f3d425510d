"""The wording of the shared texts: a dialog's title fits any sentence it is put in, and German
uses one inclusive style for mentors and mentees (written out: "deine Mentorin oder dein Mentor";
"Mentee" without gendered articles), with the words a German speaker would use."""

from __future__ import annotations

import re
from datetime import date

import pytest
from jinja2 import meta

from bot.terminal import to_plain
from prompts.catalog import LANGUAGES, default_catalog
from service.conversation import ConversationService
from service.schedule.typed import parse_meeting, parse_pause, parse_rhythm
from tests.support.chat import Chat

CATALOG = default_catalog()
TITLE = "⟦Any Title⟧"
TAG = re.compile(r"</?b>")


def texts_with_titles() -> list[tuple[str, str]]:
    """Every shared text (language, key) that puts a dialog's title into a sentence."""
    found = []
    for lang in LANGUAGES:
        for key, source in CATALOG.texts[lang].items():
            if not key.startswith("common.") or not isinstance(source, str):
                continue
            names = meta.find_undeclared_variables(CATALOG.env.parse(source))
            if names & {"title", "open_title"} and not key.startswith(("common.goals.",
                                                                         "common.answers.")):
                found.append((lang, key))
    return found


@pytest.mark.parametrize(("lang", "key"), texts_with_titles())
def test_a_dialog_title_stands_on_its_own_in_every_sentence(lang: str, key: str) -> None:
    source = CATALOG.raw(lang, key)
    names = meta.find_undeclared_variables(CATALOG.env.parse(source))
    values = dict.fromkeys(names, "x")
    values.update({"title": TITLE, "open_title": TITLE, "description": "Describe it",
                   "command": "grow", "done": False})
    shown = TAG.sub("", CATALOG.render(lang, key, **values))
    assert TITLE in shown
    for before, after in (part.split(TITLE) for part in _pairs(shown)):
        # on its own: first on its line (after a list marker at most) or after a colon, then the
        # end of the sentence or the line (or its command in brackets)
        line = before.rsplit("\n", 1)[-1]
        assert line.endswith(": ") or not any(c.isalnum() for c in line), f"{lang} {key}: {shown!r}"
        assert after == "" or after[0] in "\n.?" or after.startswith(" (/"), f"{lang} {key}: {shown!r}"


def _pairs(shown: str) -> list[str]:
    """The text around each occurrence of the title: what precedes it (since the one before) and
    what follows it (until the next one), each joined around one title."""
    parts = shown.split(TITLE)
    return [parts[i] + TITLE + parts[i + 1] for i in range(len(parts) - 1)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_suggestion_gives_the_description_its_own_sentence(lang: str) -> None:
    shown = CATALOG.render(lang, "common.service.suggest", title="Mentoring agreement",
                           description="Agree why you are doing this", command="agreement")
    assert "\nAgree why you are doing this." in shown, shown
    assert ", Agree" not in shown


GERMAN = {key: value for key, value in CATALOG.texts["de"].items() if isinstance(value, str)}


def test_german_writes_mentor_out_in_both_forms() -> None:
    for key, text in GERMAN.items():
        assert not re.search(r"\w:(?:in|innen|e|n|r)\b", text), f"{key}: {text}"
        for match in re.finditer(r"\bMentor(?:en)?\b", text):
            before = text[max(match.start() - 30, 0):match.start()]
            assert re.search(r"Mentorin(?:nen)? (?:oder|und) \w*\s?$", before), f"{key}: {text}"
        assert not re.search(r"\b(?:deinem|deinen|deines|meinem|meinen|meines) Mentees?\b", text), \
            f"{key}: {text}"


@pytest.mark.parametrize("phrase", ["Denk daran, welche", "Warum es jetzt zählt",
                                    "getan, das wirklich", "Woran gibt es noch zu arbeiten",
                                    "Vision-Landkarte", "für <b>{{ title }}</b> geschrieben",
                                    "mitten in", "Weiter geht's mit",
                                    "Ich begleite Mentoring zwischen", "als Mentee begleitest",
                                    "/reflect deine.", "Deine Mentee oder dein Mentee"])
def test_german_phrasings_that_read_as_translations_are_gone(phrase: str) -> None:
    assert not [key for key, text in GERMAN.items() if phrase in text]


def test_german_gives_a_single_mentee_no_article() -> None:
    """"Mentee" has no settled gender: one mentee is "die Person, die du begleitest" (or named),
    never "dein Mentee", "deine Mentee", "ein Mentee" or "kein Mentee"; plural "Mentees" is fine."""
    article = re.compile(r"\b(?:dein|deine|ein|eine|kein|keine|das|der|die|dem|den|dieses|diese|"
                         r"jedes|jede)\s+Mentee\b|\bdes Mentees\b", re.IGNORECASE)
    assert not [f"{key}: {text}" for key, text in GERMAN.items() if article.search(text)]


def test_german_calls_the_mentors_digest_one_thing() -> None:
    """The coordinator's /programme calls it "Überblick"; so does everything the mentor reads."""
    assert not [key for key, text in GERMAN.items()
                if re.search(r"Digest", text.replace("/digest", ""))]
    assert "Überblick" in CATALOG.raw("de", "programme_admin.programme.view")


def test_german_names_the_other_meeting_rhythm_and_the_vision_map_one_way() -> None:
    assert CATALOG.raw("de", "agreement.steps.meeting_rhythm.choices.other") == "Etwas anderes"
    assert "Visionskarte" in CATALOG.raw("de", "common.commands.vision")
    assert "Visionskarte" in CATALOG.raw("de", "vision.title")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_help_says_resume_continues_now(service: ConversationService, lang: str) -> None:
    chat = Chat(service, language=lang)
    shown = chat.texts(await chat.send("/help"))
    [line] = [line for line in shown.splitlines() if line.startswith("/resume")]
    assert not re.search(r"later|später", line), line
    assert re.search(r"[Cc]ontinue|fortsetzen|weitermachen", line), line
    assert re.search(r"pause|Pause", line), line  # it ends a pause too, with no dialog paused


@pytest.mark.parametrize(("lang", "done"), [("en", "That's all"), ("de", "Das war's")])
def test_a_pick_step_names_that_s_all_only_with_its_button(lang: str, done: str) -> None:
    from dialogs.engine import Ask
    from dialogs.registry import default_scripts
    from service.render import Renderer

    grow = default_scripts().get("grow")
    render = Renderer(CATALOG, lang)
    for collected in ((), ("Ask Sam",)):
        message = render.ask(grow, Ask("chosen_options", options=("Ask Sam", "Read"),
                                       collected=collected), 1, {})
        labels = [b.label for row in message.buttons for b in row]
        tap = {"en": "Then tap “That's all”", "de": "Dann tippe auf „Das war's“"}[lang]
        assert (tap in message.text) is (done in labels), (message.text, labels)
    assert done in labels  # after a first choice the button is there


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("en", "1 of 19 answers to “T” is shared; the others stay private.",
     "18 of 19 answers to “T” are shared; the other one stays private."),
    ("de", "1 von 19 Antworten zu „T“ ist geteilt; die anderen bleiben privat.",
     "18 von 19 Antworten zu „T“ sind geteilt; die andere bleibt privat.")])
def test_the_shared_count_agrees_with_its_number(lang: str, one: str, many: str) -> None:
    assert CATALOG.render(lang, "sharing.settled", shared=1, total=19, mentor=None,
                          title="T").startswith(one)
    assert CATALOG.render(lang, "sharing.settled", shared=18, total=19, mentor=None,
                          title="T").startswith(many)


EXAMPLE = re.compile(r"<code>/(checkins|digest|pause|meeting) ([^<{]*(?:\{\{ word \}\})?[^<{]*)</code>")
PARSERS = {"checkins": parse_rhythm, "digest": parse_rhythm, "pause": parse_pause,
           "meeting": parse_meeting}
LOWER_NOUNS = re.compile(r"\b(?:woche|wochen|monat|monate|uhr|montag|dienstag|mittwoch|donnerstag|"
                         r"freitag|samstag|sonntag|mo|di|mi|do|fr|sa|so)\b")


def test_german_examples_write_nouns_as_german_does_and_are_understood_as_shown() -> None:
    """"/meeting nächsten Dienstag 17:00", not "nächsten dienstag": typed as shown, it works."""
    examples = [(key, found.group(1), found.group(2).replace("{{ word }}", ""))
                for key, text in GERMAN.items() for found in EXAMPLE.finditer(text)]
    assert len(examples) > 10
    for key, name, example in examples:
        assert not LOWER_NOUNS.search(example), f"{key}: /{name} {example}"
        if example not in ("aus", ""):
            assert PARSERS[name](example, date(2026, 11, 21)) is not None, f"{key}: {example}"


def grow_options(lang: str, lines: list[str]) -> list[str]:
    """The GROW options question as shown after each typed message (plain text, with its
    buttons' labels after it)."""
    from dialogs.engine import Text, advance
    from dialogs.registry import default_scripts
    from dialogs.state import RunState
    from service.render import Renderer
    from tests.test_engine import context

    grow = default_scripts().get("grow")
    render = Renderer(CATALOG, lang)
    state, shown = RunState(step="options"), []
    for line in lines:
        outcome = advance(grow, state, Text(line), context(lang))
        state = outcome.state
        messages = render.replies(grow, outcome.replies, 1, {})
        shown.append("\n".join(to_plain(m.text) + "".join(f"\n[{b.label}]" for b in m.choices)
                               for m in messages))
    return shown


@pytest.mark.parametrize(("lang", "one_more", "full", "not_added", "left_out"), [
    ("en", "One more fits in this list. Tap “That's all” when you're done.",
     "That's as many as this list can hold. Tap “That's all” to go on.",
     "This list is full, so I haven't added that.",
     "That fills the list, so I've left out the last 2 lines."),
    ("de", "Ein Punkt passt noch in diese Liste. Tippe auf „Das war's“, wenn du fertig bist.",
     "Mehr Punkte passen nicht in diese Liste. Tippe auf „Das war's“, um weiterzumachen.",
     "Diese Liste ist voll, deshalb habe ich das nicht hinzugefügt.",
     "Damit ist die Liste voll, deshalb habe ich die letzten 2 Zeilen weggelassen.")])
def test_a_list_says_when_one_more_fits_and_when_it_is_full(
        lang: str, one_more: str, full: str, not_added: str, left_out: str) -> None:
    """Ten GROW options at most: the ninth's reply says one more fits, the tenth's that the list
    is full (with “That's all” to go on), and an eleventh line is said not added."""
    shown = grow_options(lang, [f"Option {n}" for n in range(1, 12)])
    done = {"en": "[That's all]", "de": "[Das war's]"}[lang]
    assert one_more not in shown[7]
    assert one_more in shown[8]
    assert full in shown[9]
    assert done in shown[9]
    assert shown[10].startswith(not_added)
    assert full in shown[10]
    assert shown[10].count("Option 11") == 0
    another = to_plain(CATALOG.render(lang, "grow.steps.options.text", collected=["x"]))
    assert another in shown[8]
    assert another not in shown[9]  # full: the list is not asked to grow
    pasted = grow_options(lang, ["\n".join(f"Option {n}" for n in range(1, 13))])[0]
    assert pasted.startswith(left_out)
    assert "Option 10" in pasted
    assert "Option 11" not in pasted
    many = CATALOG.render(lang, "common.notes.list_full", value=3)
    assert many == {"en": "This list is full, so I haven't added those 3 lines.",
                    "de": "Diese Liste ist voll, deshalb habe ich diese 3 Zeilen nicht hinzugefügt."
                    }[lang]
    assert CATALOG.render(lang, "common.notes.list_cut", value=1) == {
        "en": "That fills the list, so I've left out the last line.",
        "de": "Damit ist die Liste voll, deshalb habe ich die letzte Zeile weggelassen."}[lang]


@pytest.mark.parametrize(("lang", "one", "two", "pick"), [
    ("en", "Please add at least one item before we go on.",
     "Please add at least 2 items before we go on.",
     "Please choose at least one before we go on."),
    ("de", "Bitte nenne mindestens einen Punkt, bevor wir weitermachen.",
     "Bitte nenne mindestens 2 Punkte, bevor wir weitermachen.",
     "Bitte wähle mindestens einen Punkt aus, bevor wir weitermachen.")])
def test_a_list_too_short_says_its_minimum_in_words_for_one(
        lang: str, one: str, two: str, pick: str) -> None:
    from dialogs.engine import Ask
    from dialogs.registry import default_scripts
    from service.render import Renderer

    grow = default_scripts().get("grow")
    render = Renderer(CATALOG, lang)
    assert render.ask(grow, Ask("options", problem="list_too_short"), 1, {}).text.startswith(one)
    chosen = Ask("chosen_options", problem="list_too_short", options=("Ask Sam", "Read"))
    assert render.ask(grow, chosen, 1, {}).text.startswith(pick)
    assert CATALOG.render(lang, "common.problems.list_too_short", min_items=2, pick=False) == two
