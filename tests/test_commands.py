"""The command table and button data: what each person can use, and what a button may say."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.schema import Audience
from service import callbacks
from service.commands import COMMANDS, Kind, Scope, command, command_for_dialog, menu
from service.conversation import ConversationService
from service.routing import ACTIONS
from storage.users import get_user, update_user
from storage.vocabulary import Role
from tests.support.chat import Chat
from tests.support.mentoring import pair


def test_every_action_and_look_up_of_the_table_has_a_use_case() -> None:
    assert set(ACTIONS) == {c.name for c in COMMANDS if c.kind in (Kind.ACTION, Kind.LOOK_UP)}
    for spec in COMMANDS:
        assert (spec.kind is Kind.DIALOG) == bool(spec.dialogs)
        assert (spec.kind is Kind.NAVIGATION) == (spec.navigation is not None)


def test_menus_hold_what_each_person_can_use() -> None:
    mentee = [c.name for c in menu({Scope.MENTEE})]
    mentor = [c.name for c in menu({Scope.MENTOR})]
    assert mentee[:3] == ["start", "help", "journey"]
    assert "grow" in mentee
    assert "grow" not in mentor
    assert {"story", "reflect", "settings", "export", "delete"} <= set(mentor)
    assert "done" not in mentee  # works in a list step, but is not a menu entry
    assert command("GROW") is command("grow")
    assert command_for_dialog("mentor_reflection", Audience.MENTOR) == "reflect"
    assert command_for_dialog("reflection", Audience.MENTEE) == "reflect"
    assert command_for_dialog("grow", Audience.MENTEE) == "grow"


async def test_help_lists_the_commands_of_the_persons_menu(service: ConversationService) -> None:
    mentee = Chat(service, user_id=61)
    text = mentee.texts(await mentee.send("/help"))
    assert "/grow: Shape a goal with GROW" in text
    assert "/skip: Skip an optional question" in text.split("Inside a dialog")[1]
    assert "/askmentor" not in text  # nobody to ask yet: listed once a mentor is paired
    await pair(Chat(service, user_id=63), mentee)
    assert "/askmentor" in mentee.texts(await mentee.send("/help"))

    mentor = Chat(service, user_id=62, language="de")
    await mentor.send("/start")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 62)
        assert user is not None
        await update_user(session, user.id, service.clock(), role=Role.MENTOR)
    text = mentor.texts(await mentor.send("/help"))
    assert text.startswith("Was ich kann")
    assert "/story: Dein eigener Weg als Mentorin oder Mentor" in text  # not the mentee's story
    assert "/grow" not in text
    answer = mentor.texts(await mentor.send("/grow"))
    assert answer == "Dieser Dialog ist für Mentees gedacht. Als Mentorin oder Mentor startest " \
        "du mit /story und /reflect deine eigenen Dialoge."  # said, not started


BUILT = [
    callbacks.answer_data(7, 2, 0, callbacks.KEEP),
    callbacks.summary_data(7, "confirm"),
    callbacks.continue_data(7),
    callbacks.dialog_data("grow"),
    callbacks.dialog_data("grow", pause_open=True),
    callbacks.stage_data(+1),
    callbacks.stage_data(-1),
    callbacks.DISMISS_DATA,
    callbacks.setting_data("tz", "3"),
    callbacks.delete_data(True),
    callbacks.delete_data(False),
    callbacks.GOALS_DATA,
    callbacks.goal_data(callbacks.MAX_ID),
    callbacks.goal_data(callbacks.MAX_ID, "achieved"),
    callbacks.step_data(callbacks.MAX_ID),
    *(callbacks.step_data(callbacks.MAX_ID, op) for op in callbacks.StepOp),
    callbacks.revise_data("mentor_reflection", callbacks.MAX_ID),
    callbacks.revise_data("grow", None),
]


@pytest.mark.parametrize("data", BUILT)
def test_every_kind_of_button_data_built_here_parses_back(data: str) -> None:
    assert callbacks.parse(data) is not None
    assert len(data.encode()) <= 64


def test_button_data_parses_to_what_was_built() -> None:
    assert callbacks.parse(callbacks.dialog_data("vision", pause_open=True)) == \
        callbacks.DialogPress("vision", pause=True)
    assert callbacks.parse(callbacks.stage_data(-1)) == callbacks.StagePress(-1)
    assert callbacks.parse(callbacks.delete_data(False)) == callbacks.DeletePress(confirmed=False)
    assert callbacks.parse(callbacks.goal_data(7, "dropped")) == callbacks.GoalPress(7, "dropped")
    assert callbacks.parse(callbacks.step_data(7, callbacks.StepOp.DELETE_SURE)) == \
        callbacks.StepPress(7, callbacks.StepOp.DELETE_SURE)
    assert callbacks.parse(callbacks.revise_data("grow", None)) == callbacks.RevisePress("grow", None)
    for forged in ("go:7:partly", "as:7:erase", "rv:grow:0x1", "gl:1"):
        assert callbacks.parse(forged) is None, forged


@given(st.integers(min_value=callbacks.MAX_ID + 1, max_value=10**12 - 1))
def test_ids_beyond_the_database_columns_are_refused_as_forged(run_id: int) -> None:
    for data in (f"r:{run_id}", f"a:{run_id}:0:0:k", f"s:{run_id}:confirm", f"go:{run_id}",
                 f"as:{run_id}:done", f"rv:grow:{run_id}"):
        assert callbacks.parse(data) is None
    assert callbacks.parse(f"r:{callbacks.MAX_ID}") == callbacks.ContinuePress(callbacks.MAX_ID)
