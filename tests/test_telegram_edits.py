"""Editing the message that answered one item of a per-item step (one action's date in GROW, one
action's status in a check-in) changes that item, and only it; the rest of the list stays. An
answer edited into a crisis phrase is signposted like a new one."""

from __future__ import annotations

from markupsafe import Markup

from prompts.catalog import default_catalog
from tests.telegram.client import ChatClient
from tests.telegram.harness import ACTIONS, E2E, say
from tests.test_telegram_e2e import GROW_TEXTS, Step, Type, confirm_summary, grow_steps, walk

TEXTS = GROW_TEXTS["en"]


async def grow_up_to_the_dates(client: ChatClient) -> list[int]:
    """GROW until the action dates are answered; the ids of the two messages that gave them."""
    await client.send("/grow")
    steps = grow_steps("en")
    first_date = next(i for i, step in enumerate(steps) if step.key == "action_dates")
    await walk(client, "en", "grow", steps[:first_date])
    message_ids = []
    for when in TEXTS["action_dates"]:
        await client.send(when)
        assert client.last_update is not None
        message_ids.append(client.last_update["message"]["message_id"])
    return message_ids


def after_the_dates() -> list[Step]:
    """The GROW steps that follow the action dates."""
    steps = grow_steps("en")
    last_date = max(i for i, step in enumerate(steps) if step.key == "action_dates")
    return steps[last_date + 1:]


def dates(answers: dict[str, object]) -> list[object]:
    entries = answers["action_dates"]
    assert isinstance(entries, list)
    return [entry["value"] for entry in entries]


async def test_editing_one_action_date_changes_that_date_and_the_goal_keeps_both(e2e: E2E) -> None:
    client = e2e.client()
    first, second = await grow_up_to_the_dates(client)
    label = say("en", "grow.steps.action_dates.label")

    sent = await client.edit(first, "20.02.2027")
    assert sent == [say("en", "common.edit.saved", label=label)]
    assert dates(await e2e.answers(client.user_id, "grow")) == ["2027-02-20", "2027-03-01"]
    sent = await client.edit(second, "05.04.2027")
    assert sent == [say("en", "common.edit.saved", label=label)]
    assert dates(await e2e.answers(client.user_id, "grow")) == ["2027-02-20", "2027-04-05"]

    sent = await client.edit(first, "not a date at all")  # refused: the date stays
    assert sent == [say("en", "common.problems.not_a_date")]
    assert dates(await e2e.answers(client.user_id, "grow")) == ["2027-02-20", "2027-04-05"]

    checkpoint, *rest = after_the_dates()
    assert isinstance(checkpoint.action, Type)
    await client.send(checkpoint.action.text)  # its question is still above the edit notes
    await walk(client, "en", "grow", rest)
    await confirm_summary(client, "en", "grow")
    actions = await e2e.rows(ACTIONS)
    assert [(a["text"], a["due_on"].isoformat()) for a in actions] == [
        (TEXTS["actions"][0], "2027-02-20"), (TEXTS["actions"][1], "2027-04-05")]
    assert await client.edit(first, "01.05.2027") == [say("en", "common.edit.closed")]


async def test_editing_one_check_in_status_changes_that_status_only(e2e: E2E) -> None:
    client = e2e.client()
    await grow_up_to_the_dates(client)
    await walk(client, "en", "grow", after_the_dates())
    await confirm_summary(client, "en", "grow")

    await client.send("/checkin")
    statuses = []
    for typed in ("1", "3"):  # done, not yet
        await client.send(typed)
        assert client.last_update is not None
        statuses.append(client.last_update["message"]["message_id"])
    label = say("en", "checkin.steps.action_status.label")

    sent = await client.edit(statuses[0], "2")  # partly, after all
    assert sent == [say("en", "common.edit.saved", label=label)]
    answers = await e2e.answers(client.user_id, "checkin")
    assert [entry["value"] for entry in answers["action_status"]] == ["partly", "not_yet"]
    run = await e2e.run(client.user_id, "checkin")
    assert [entry["value"] for entry in run["state"]["answers"]["action_status"]] == [
        "partly", "not_yet"]

    for typed in ("A talk with my manager", "Too many meetings", "7", "/skip", "/skip"):
        await client.send(typed)
    await confirm_summary(client, "en", "checkin")
    assert [action["status"] for action in await e2e.rows(ACTIONS)] == ["partly", "open"]


async def test_an_answer_edited_into_a_crisis_phrase_gets_the_help_contacts(e2e: E2E) -> None:
    client = e2e.client()
    await client.send("/agreement")
    await client.send("To lead a team")
    assert client.last_update is not None
    answered = client.last_update["message"]["message_id"]
    crisis = "To lead a team, but some days I don't want to live anymore"

    sent = await client.edit(answered, crisis)
    label = say("en", "agreement.steps.purpose.label")
    contacts = Markup(default_catalog().render("en", "safety.default_contacts"))
    assert sent[0] == say("en", "common.edit.saved", label=label)
    assert sent[1:] == [say("en", "safety.signpost", contacts=contacts)]
    assert (await e2e.answers(client.user_id, "agreement"))["purpose"] == crisis
