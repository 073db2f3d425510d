"""What a mentee sees outside the dialogs: journey, goals, answers, and reminders mid-dialog."""

from __future__ import annotations

from html.parser import HTMLParser

from typing_extensions import override

from service.conversation import ConversationService
from tests.support.chat import Chat


async def test_a_look_up_mid_dialog_says_the_dialog_is_still_open(chat: Chat) -> None:
    await chat.send("/agreement")
    response = await chat.send("/journey")
    assert "Your mentoring journey" in chat.texts(response)
    assert "Still open: Mentoring agreement." in chat.last_text
    await chat.send("To grow into a team lead role")  # still answers the open question
    assert "success" in chat.last_text.lower()


async def test_journey_shows_stages_progress_and_moves_on_request(
    service: ConversationService,
) -> None:
    chat = Chat(service, user_id=55, language="de")
    response = await chat.send("/journey")
    text = chat.texts(response)
    for stage in ("Ankommen", "Richtung finden", "Vorankommen", "Zurückblicken"):
        assert stage in text
    assert "▶ Ankommen" in text
    await chat.press("Weiter zu")
    assert "Richtung finden" in chat.texts(chat.log[-1])
    response = await chat.send("/journey")
    assert "▶ Richtung finden" in chat.texts(response)
    await chat.press("Zurück zu")
    response = await chat.send("/journey")
    assert "▶ Ankommen" in chat.texts(response)


async def test_goals_and_answers_are_listed_after_a_vision_map(service: ConversationService) -> None:
    chat = Chat(service, user_id=56)
    assert "No goals yet" in chat.texts(await chat.send("/goals"))
    await chat.send("/vision")
    for typed in ("Finished my apprenticeship",  # milestones, a list ...
                  "done",  # ... ended with "done"
                  "Technician in a small workshop",  # present
                  "/skip",  # future_picture, optional
                  "Lead the maintenance team",  # future: the goal
                  "No management experience yet",  # obstacles
                  "Call Sam about the team lead role",  # steps, a list ...
                  "done",
                  "Ask for a small project",  # first_step
                  "in 3 weeks",  # first_step_date
                  "We look at it at every meeting"):  # work_together
        await chat.send(typed)

    # At the summary: every answered step, the skipped one left out, with a save button.
    summary = chat.last_text
    assert summary.startswith("Vision map\nHere is what you wrote:")
    for shown in ("Finished my apprenticeship", "Lead the maintenance team",
                  "Call Sam about the team lead role", "Ask for a small project", "12 December 2026"):
        assert shown in summary
    for line in ("1. Milestones so far: Finished my apprenticeship", "6. My first step: Ask for a "
                 "small project", "8. How we'll work on it together: We look at it at every meeting"):
        assert line in summary.splitlines()
    assert [[b.label for b in row] for row in chat.last.buttons] == [
        ["✅ Looks good, save it"], ["✏️ 1", "✏️ 2", "✏️ 3", "✏️ 4", "✏️ 5"], ["✏️ 6", "✏️ 7", "✏️ 8"]]

    assert "Your vision map is saved" in chat.texts(await chat.send("yes"))
    goals = chat.texts(await chat.send("/goals"))
    assert "Your goals" in goals
    assert "Lead the maintenance team" in goals
    assert "Call Sam about the team lead role" in goals
    answers = chat.texts(await chat.send("/answers"))
    assert "Finding direction" in answers
    assert "Call Sam about the team lead role" in answers


class _Page(HTMLParser):
    """What a browser shows of the export page: the text of each element, by tag name."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.shown: dict[str, list[str]] = {}
        self.tags: list[str] = []
        self.feed(page)
        self.close()

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("meta", "br"):
            self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.tags.pop() == tag

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.shown.setdefault(self.tags[-1], []).append(data)


async def _export_page(chat: Chat) -> str:
    _, page = (await chat.send("/export")).messages
    assert page.document is not None
    assert page.document.filename == "coachbot-export-2026-11-21.html"
    return page.document.content.decode()


async def test_the_export_page_shows_markup_and_template_syntax_literally(chat: Chat) -> None:
    typed = '<script>alert("hi")</script> {{ 7*7 }} & {% if 1 %}x{% endif %}'
    await chat.send("/agreement")
    await chat.send(typed)

    page = await _export_page(chat)

    assert page.startswith("<!doctype html>")
    for outside in ("<script", "<link", "src=", "href="):  # self-contained, nothing runs
        assert outside not in page
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; {{ 7*7 }} &amp; {% if 1 %}" in page
    shown = _Page(page).shown
    assert shown["title"] == ["Your coachbot data"]
    assert shown["h3"] == ["Getting started"]
    assert shown["dt"] == ["Purpose"]
    assert shown["dd"] == [typed]


async def test_the_export_page_speaks_the_mentees_language(service: ConversationService) -> None:
    chat = Chat(service, user_id=57, language="de")
    await chat.send("/agreement")
    await chat.send("Ich möchte ein Team leiten")

    page = await _export_page(chat)

    assert '<html lang="de">' in page
    shown = _Page(page).shown
    assert shown["title"] == ["Deine coachbot-Daten"]
    assert shown["h3"] == ["Ankommen"]
    assert shown["dd"] == ["Ich möchte ein Team leiten"]


async def test_the_export_page_reads_like_a_document(service: ConversationService) -> None:
    chat = Chat(service, user_id=58)
    await chat.send("/agreement")
    for text in ("Grow into a lead role", "A team of five", "Honest feedback", "Come prepared",
                 "No calls after 7pm", "Only what I choose"):
        await chat.send(text)
    await chat.press("Yes, share")
    await chat.press("No, please don't")  # the programme team need not know
    await chat.press("Every two weeks")
    await chat.press(0)  # in person
    for text in ("Ten sessions", "2027-06-30", "We compare notes each month"):
        await chat.send(text)

    page = await _export_page(chat)

    shown = _Page(page).shown
    assert "Every two weeks" in shown["dd"]
    assert "30 June 2027" in shown["dd"]
    for internal in ("fortnightly", "share", "2027-06-30", "mentor_sees", "meeting_rhythm"):
        assert internal not in shown["dd"] + shown["dt"]
    assert any(text.startswith("Exported on 21 November 2026") for text in shown["p"])
