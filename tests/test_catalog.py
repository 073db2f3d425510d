"""The text catalog (prompts/catalog.py): both languages complete, one sandboxed and
autoescaping Jinja2 environment, dates in each language, and loose matching of typed answers."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError, UndefinedError
from markupsafe import Markup

from dialogs.registry import default_scripts
from prompts.catalog import Catalog, CatalogLexicon, default_catalog, fold


def lexicon(lang: str) -> CatalogLexicon:
    steps = {name: [s.key for s in d.steps] for name, d in default_scripts().by_name.items()}
    return CatalogLexicon(default_catalog(), lang, steps)


def small(text: str) -> Catalog:
    return Catalog({"en": {"t": text}, "de": {}})


# --- both languages ---------------------------------------------------------------------------------


def test_every_key_exists_in_both_languages() -> None:
    texts = default_catalog().texts
    assert set(texts) == {"en", "de"}
    en, de = set(texts["en"]), set(texts["de"])
    assert sorted(en - de) == []
    assert sorted(de - en) == []
    assert len(en) > 100


def test_both_languages_have_the_same_kind_of_value() -> None:
    texts = default_catalog().texts
    for key, value in texts["en"].items():
        other = texts["de"][key]
        assert type(other) is type(value), key
        if isinstance(value, list) and key.startswith("common.months"):
            assert len(other) == len(value) == 12


def test_every_step_has_a_label_and_text_in_both_languages() -> None:
    catalog = default_catalog()
    for script in default_scripts().ordered():
        for step in script.steps:
            for lang in ("en", "de"):
                for part in ("label", "text"):
                    assert catalog.has(lang, f"{script.name}.steps.{step.key}.{part}"), (
                        lang, script.name, step.key, part)


# --- rendering --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_variables_are_autoescaped(lang: str) -> None:
    shown = default_catalog().render(lang, "common.values.bullet", text="<script>alert(1)</script>")
    assert shown == "• &lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>" not in shown


def test_autoescape_also_in_a_small_catalog() -> None:
    assert small("<b>{{ x }}</b>").render("en", "t", x="<i>&") == "<b>&lt;i&gt;&amp;</b>"


def test_a_rendering_kept_for_the_same_variables_is_the_same_text() -> None:
    """Renderings are kept by their variables (a cohort's invitations render once); a Markup of
    the same letters as a str is not escaped like it, and a list may change, so neither is
    answered from what was kept for the other."""
    catalog = small("<b>{{ x }}</b>{% for i in items %}, {{ i }}{% endfor %}")
    assert catalog.render("en", "t", x="<i>", items=()) == "<b>&lt;i&gt;</b>"
    assert catalog.render("en", "t", x="<i>", items=()) == "<b>&lt;i&gt;</b>"
    assert catalog.render("en", "t", x=Markup("<i>"), items=()) == "<b><i></b>"
    assert catalog.render("en", "t", x="<i>", items=()) == "<b>&lt;i&gt;</b>"
    items = ["a"]
    assert catalog.render("en", "t", x=1, items=items) == "<b>1</b>, a"
    items.append("b")
    assert catalog.render("en", "t", x=1, items=items) == "<b>1</b>, a, b"
    assert catalog.render("en", "t", x=True, items=()) == "<b>True</b>"
    assert catalog.render("en", "t", x=1, items=()) == "<b>1</b>"


@pytest.mark.parametrize("payload", ["{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}",
                                     "{{ ''.__class__.__mro__ }}", "{# c #}"])
def test_template_syntax_in_a_variable_is_not_evaluated(payload: str) -> None:
    shown = default_catalog().render("en", "common.values.bullet", text=payload)
    assert shown == f"• {payload}".replace("'", "&#39;")
    assert "49" not in shown


def test_a_variable_that_names_a_template_key_is_not_loaded() -> None:
    shown = default_catalog().render("en", "common.values.bullet", text="common.help")
    assert shown == "• common.help"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ x.__class__.__base__ }}",
    "{{ x.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ x.format.__globals__ }}",
])
def test_the_sandbox_refuses_attribute_tricks(source: str) -> None:
    with pytest.raises(SecurityError, match="unsafe"):
        small(source).render("en", "t", x="text")


def test_the_sandbox_refuses_the_mro_trick_with_security_error() -> None:
    with pytest.raises(SecurityError):
        small("{{ ''.__class__.__mro__ }}").render("en", "t")


def test_the_environment_is_immutable() -> None:
    with pytest.raises(SecurityError):
        small("{% set items = [1] %}{{ items.append(2) }}").render("en", "t")
    with pytest.raises(SecurityError):
        small("{{ x.update(a=1) }}").render("en", "t", x={})


def test_an_unknown_variable_raises() -> None:
    with pytest.raises(UndefinedError):
        small("Hello {{ nobody }}").render("en", "t")
    with pytest.raises(UndefinedError):
        default_catalog().render("en", "common.problems.too_long")  # needs max_length


def test_none_is_a_known_variable() -> None:
    assert small("{% if x %}yes{% else %}no{% endif %}").render("en", "t", x=None) == "no"


def test_a_missing_language_falls_back_to_english() -> None:
    catalog = Catalog({"en": {"t": "Hello {{ name }}"}, "de": {}})
    assert catalog.render("de", "t", name="Kim") == "Hello Kim"
    assert catalog.raw("de", "t") == "Hello {{ name }}"
    assert not catalog.has("de", "t")


def test_shipped_texts_render_in_both_languages() -> None:
    catalog = default_catalog()
    assert catalog.render("en", "common.problems.not_a_number", scale_min=1, scale_max=10) == (
        "Please answer with a number from 1 to 10.")
    assert catalog.render("de", "common.ask.counter", index=2, count=3) == "(2 von 3)"


# --- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "shown"), [("en", "14 March 2027"), ("de", "14. März 2027")])
def test_format_date(lang: str, shown: str) -> None:
    catalog = default_catalog()
    assert catalog.format_date(lang, "2027-03-14") == shown


@pytest.mark.parametrize(("lang", "shown"), [("en", "Sunday, 14 March 2027"),
                                             ("de", "Sonntag, 14. März 2027")])
def test_long_date_names_the_weekday(lang: str, shown: str) -> None:
    assert default_catalog().format_date(lang, "2027-03-14", long=True) == shown
    assert default_catalog().render(lang, "common.notes.date_understood",
                                    value="2027-03-14") == f"→ {shown}"


def test_a_catalog_without_month_names_shows_the_month_number() -> None:
    assert small("{{ d|date }}").render("en", "t", d="2027-03-14") == "14 3 2027"


def test_date_filter_follows_the_language_of_the_text() -> None:
    catalog = default_catalog()
    goal = {"title": "Run", "due": "2027-03-14", "status": "open", "status_label": "open"}
    assert "14. März 2027" in catalog.render("de", "common.goals.goal", **goal)
    assert "14 March 2027" in catalog.render("en", "common.goals.goal", **goal)


@pytest.mark.parametrize(("value", "shown"), [(None, ""), ("", ""), ("not a date", "not a date"),
                                              ("2027-12-01", "1 December 2027")])
def test_format_date_edge_cases(value: str | None, shown: str) -> None:
    assert default_catalog().format_date("en", value) == shown


# --- matching typed answers -------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "text", "lang", "expected"), [
    ("yes", "Ja", "de", True), ("yes", "ja!", "de", True), ("yes", "KLAR", "de", True),
    ("yes", "yes", "de", True), ("yes", "Yes", "en", True), ("yes", "nein", "de", False),
    ("no", "Nein.", "de", True), ("done", "Das war's", "de", True), ("done", "fertig", "en", True),
    ("confirm", "passt", "de", True), ("confirm", "passt", "en", False), ("yes", "", "en", False),
    ("yes", "   ", "de", False), ("yes", "ja ja", "de", False),
    ("confirm", "bestaetigen", "de", True), ("remove", "loeschen", "de", True),
    ("keep", "unveraendert", "de", True), ("confirm", "bestaetigen", "en", False),
])
def test_means(word: str, text: str, lang: str, expected: bool) -> None:
    assert lexicon(lang).means(word, text) is expected


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Persönlich", "de", "in_person"), ("persoenlich", "de", "in_person"), ("personlich", "de", "in_person"),
    ("  PER   video!! ", "de", "video"), ("Video call", "en", "video"), ("video call", "de", "video"),
    ("in person", "en", "in_person"), ("IN PERSON", "de", "in_person"), ("a mix", "en", "mixed"),
    ("mal so mal so", "de", "mixed"), ("fax", "en", None), ("", "en", None), ("!!", "de", None),
])
def test_choices_for_matches_labels_loosely(text: str, lang: str, expected: str | None) -> None:
    found = lexicon(lang).choices_for("agreement", "meeting_mode", text)
    assert found == ([] if expected is None else [expected])


def test_choices_for_is_per_step() -> None:
    assert lexicon("en").choices_for("agreement", "meeting_rhythm", "video call") == []
    assert lexicon("en").choices_for("nonexistent", "meeting_mode", "video call") == []


def test_choices_for_with_accents_and_case() -> None:
    assert lexicon("de").choices_for("checkin", "action_status", "teilweise ERLEDIGT") == ["partly"]
    assert lexicon("de").choices_for("checkin", "action_status", "Noch nicht.") == ["not_yet"]
    assert lexicon("en").choices_for("checkin", "action_status", "no longer RELEVANT") == ["dropped"]


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("every two", "en", ["fortnightly"]), ("EVERY", "en", ["weekly", "fortnightly"]),
    ("some", "en", ["other"]), ("alle", "de", ["fortnightly"]), ("e", "de", ["monthly", "other"]),
    ("every", "de", []),  # beginnings are read in the mentee's language only
])
def test_choices_for_takes_the_beginning_of_a_label(text: str, lang: str, expected: list[str]) -> None:
    assert lexicon(lang).choices_for("agreement", "meeting_rhythm", text) == expected


def test_step_for_label() -> None:
    assert lexicon("en").step_for_label("grow", "what i want") == "goal_wish"
    assert lexicon("de").step_for_label("grow", "Was ich will!") == "goal_wish"
    assert lexicon("en").step_for_label("grow", "nothing like it") is None


@pytest.mark.parametrize(("text", "folded"), [
    ("Persönlich", "personlich"), ("  A   b\tC ", "a b c"), ("Mentor:in", "mentorin"),
    ("ÀÉÎÕÜ", "aeiou"), ("Straße", "strasse"), ("", ""),
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


# --- line breaks ------------------------------------------------------------------------------------


def test_a_block_tag_at_the_end_of_a_line_of_text_keeps_its_line_break() -> None:
    """`{% endif %}` closing a line of text must not join the next line on (trim_blocks would)."""
    catalog = small("<b>{{ label }}</b>{% if shared %} 👥{% endif %}\n{{ value }}\n"
                    "Total: {{ n }}{% for x in xs %}\n· {{ x }}{% endfor %}\n"
                    "  {% if n %}\nalone tags vanish\n  {% endif %}\nend")
    assert catalog.render("en", "t", label="Purpose", shared=True, value="lead", n=2,
                          xs=["a", "b"]) == (
        "<b>Purpose</b> 👥\nlead\nTotal: 2\n· a\n· b\nalone tags vanish\nend")


@pytest.mark.parametrize("lang", ["en", "de"])
def test_answers_digests_and_figures_keep_one_thing_a_line(lang: str) -> None:
    """What the walk-through found run together: an answer's label and its text, a digest's rows,
    the list of mentees, the programme's figures."""
    catalog = default_catalog()
    entry = catalog.render(lang, "common.answers.entry", label="L", shared=True, value="V")
    assert entry.splitlines() == ["<b>L</b> 👥", "V"]
    run = catalog.render(lang, "digest.run", title="T", day="2026-12-01",
                         rows=[("Focus", "slides"), ("Note", "call me")])
    assert run.splitlines()[1:] == ["Focus: slides", "Note: call me"]
    mentees = catalog.render(lang, "mentors.pairing.your_mentees", mentees=[
        {"name": "Ana", "since": "2026-11-01"}, {"name": "Ben", "since": "2026-11-02"}])
    assert len(mentees.splitlines()) == 3
