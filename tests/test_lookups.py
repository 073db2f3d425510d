"""Looking things up: answers of one dialog, what the goal marks mean, and saying no to /delete."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.goals import add_actions, create_goal
from storage.runs import create_run
from storage.users import get_user
from storage.vocabulary import Visibility
from tests.support.chat import Chat
from tests.support.chat import rendered as say


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_answers_of_one_dialog_by_its_command_or_name(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=81, language=lang)
    await chat.send("/agreement")
    await chat.send("Mehr Klarheit im Beruf")
    await chat.send("/grow")
    await chat.press(1)  # pause the agreement, start GROW
    await chat.send("Ein Team leiten")

    grow = chat.texts(await chat.send("/answers grow"))
    assert "Ein Team leiten" in grow
    assert "Mehr Klarheit im Beruf" not in grow
    assert "Mehr Klarheit im Beruf" in chat.texts(await chat.send("/answers agreement"))
    assert "Ein Team leiten" in chat.texts(await chat.send("/answers"))

    nothing = chat.texts(await chat.send("/answers vision"))
    assert nothing.startswith(say(lang, "common.answers.none_in",
                                  title=say(lang, "vision.title")).replace("&quot;", '"'))
    unknown = chat.texts(await chat.send("/answers recipes"))
    assert "recipes" in unknown
    for name in ("agreement", "grow", "checkin", "agenda", "reflect"):  # what it may be
        assert f"/answers {name}" in unknown, unknown


TITLES = {  # names of the agreement and of GROW as a person writes them, any case
    "en": (["Mentoring agreement", "AGREEMENT", "mentoring Agreement"], ["Set a goal (GROW)", "Set a goal"]),
    "de": (["Vereinbarung", "vereinbarung", "Mentoring-Vereinbarung", "„Mentoring Vereinbarung“"],
           ["Ziel setzen", "ZIEL"])}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_answers_of_one_dialog_by_its_title_in_the_persons_language(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=83, language=lang)
    await chat.send("/agreement")
    await chat.send("Mehr Klarheit im Beruf")
    await chat.send("/grow")
    await chat.press(1)  # pause the agreement, start GROW
    await chat.send("Ein Team leiten")
    agreement, grow = TITLES[lang]
    for typed in agreement:
        shown = chat.texts(await chat.send(f"/answers {typed}"))
        assert "Mehr Klarheit im Beruf" in shown, typed
        assert "Ein Team leiten" not in shown, typed
    for typed in grow:
        shown = chat.texts(await chat.send(f"/answers {typed}"))
        assert "Ein Team leiten" in shown, typed
        assert "Mehr Klarheit im Beruf" not in shown, typed
    unknown = chat.texts(await chat.send("/answers Rezepte"))
    assert unknown.startswith(say(lang, "common.answers.unknown_dialog", name="Rezepte",
                                  names=[])[:30]), unknown


@pytest.mark.parametrize(("lang", "legend"), [
    ("en", "○ open · ◐ partly done · ● done · ✕ dropped"),
    ("de", "○ offen · ◐ teilweise erledigt · ● erledigt · ✕ verworfen")])
async def test_goals_explain_their_marks(service: ConversationService, lang: str, legend: str) -> None:
    chat = Chat(service, user_id=82, language=lang)
    assert legend not in chat.texts(await chat.send("/goals"))  # no goals, nothing to explain
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 82)
        assert user is not None
        run_id = await create_run(session, user_id=user.id, dialog="grow", stage="establishing",
                                  step="goal_wish", state={}, now=now)
        goal_id = await create_goal(session, user_id=user.id, run_id=run_id, dialog="grow",
                                    stage="establishing", title="Lead a team", details={},
                                    due_on=None, visibility=Visibility.PRIVATE, now=now)
        await add_actions(session, goal_id=goal_id, user_id=user.id,
                          actions=[("Talk to Sam", None)], now=now)
    goals_view = chat.texts(await chat.send("/goals"))
    assert legend in goals_view
    assert goals_view.index(legend) < goals_view.index("○ Talk to Sam")


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_keeping_ones_data_shows_the_open_question_again(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=83, language=lang)
    await chat.send("/agreement")
    question = chat.last.text
    await chat.send("/delete")
    response = await chat.press(say(lang, "common.delete.no_button"))
    assert [m.text for m in response.messages] == [say(lang, "common.delete.kept"), question]


@pytest.mark.parametrize(("lang", "typed"), [("en", "yes"), ("de", "ja")])
async def test_erasing_takes_the_button_typed_words_ask_again(
    service: ConversationService, lang: str, typed: str
) -> None:
    chat = Chat(service, user_id=85, language=lang)
    await chat.send("/journey")
    question = chat.texts(await chat.send("/delete"))
    response = await chat.send(typed)
    assert chat.texts(response) == "\n".join((say(lang, "common.delete.tap"), question))
    assert [b.label for b in chat.buttons] == [say(lang, "common.delete.yes_button"),
                                               say(lang, "common.delete.no_button")]
    assert chat.texts(await chat.send("/cancel")) == say(lang, "common.delete.kept")
    await chat.send("/delete")
    await chat.press(say(lang, "common.delete.yes_button"))
    async with service.sessionmaker.begin() as session:
        assert await get_user(session, chat.user_id) is None


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_not_now_gets_a_reply_and_the_next_text_is_no_answer(
    service: ConversationService, lang: str
) -> None:
    chat = Chat(service, user_id=84, language=lang)
    await chat.send("/grow")
    await chat.send("Lead a team")  # the first answer; the next question is shown
    await chat.send("/start")  # days later: the greeting offers to continue
    response = await chat.press(say(lang, "common.buttons.later"))
    assert [m.text for m in response.messages] == [say(lang, "common.service.later")]

    await chat.send("hello, I just want to see my goals")
    answers = chat.texts(await chat.send("/answers grow"))
    assert "Lead a team" in answers
    assert "see my goals" not in answers
    resumed = chat.texts(await chat.send("/resume"))
    assert say(lang, "grow.steps.goal_specific.text").split("\n")[0][:30] in resumed
