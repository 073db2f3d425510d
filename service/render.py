"""Turn the engine's replies into messages: texts from the catalog, buttons with callback data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from dialogs.engine import (
    CONFIRM,
    CONFIRM_NUMBER,
    EDIT_PREFIX,
    Ask,
    Finished,
    Info,
    Note,
    Reply,
    Summary,
)
from dialogs.schema import Dialog, Step, StepKind
from dialogs.state import SUMMARY
from prompts.catalog import Catalog
from service.callbacks import KEEP, LIST_DONE, NO, OFFER, SKIP, YES, answer_data, summary_data
from service.messages import Button, OutMessage, Question, button

ROW_WIDTH = 2
NUMBERS_WIDTH = 5  # the summary's change buttons are numbers, five a row
BUTTON_TEXT = 40  # a mentee's item on a button is cut to this many characters
SUMMARY_TEXT = 100  # the summary shows this much of a text answer (a change shows all of it)
SUMMARY_ITEM = 50  # and of each item of a list
#: The key an item carries in place of its words when they are withheld from a mentor (another
#: answer's words the mentor may not read: service.mentors.quoted); shown as "not shared".
WITHHELD = "withheld"


def withheld(item: object) -> bool:
    """The item's words were withheld (see `WITHHELD`)."""
    return isinstance(item, dict) and item.get(WITHHELD) is True


class Renderer:
    """Renders one dialog's replies in one language."""

    def __init__(self, catalog: Catalog, lang: str) -> None:
        self.catalog = catalog
        self.lang = lang

    def text(self, key: str, **variables: Any) -> str:
        """A catalog text in this renderer's language."""
        return self.catalog.render(self.lang, key, **variables)

    def replies(
        self, script: Dialog, replies: Sequence[Reply], run_id: int, variables: Mapping[str, Any]
    ) -> list[OutMessage]:
        """Every reply as a message; notes and problems are folded into the question they precede."""
        messages: list[OutMessage] = []
        pending: list[str] = []
        for reply in replies:
            if isinstance(reply, Note) and reply.step is not None:  # a step's own note
                pending.append(self.text(note_key(script, reply), **{
                    **variables, "value": reply.value, "known": reply.known}))
            elif isinstance(reply, Note):
                pending.append(self.text(f"common.notes.{reply.code}", value=reply.value))
            elif isinstance(reply, Info):
                messages.append(OutMessage(self._join(
                    *pending, self.text(f"{script.name}.steps.{reply.step}.text", **variables))))
                pending = []
            elif isinstance(reply, Ask):
                messages.append(self.ask(script, reply, run_id, variables, pending))
                pending = []
            elif isinstance(reply, Summary):
                messages.append(self.summary(script, reply, run_id, pending))
                pending = []
            elif isinstance(reply, Finished):
                done = self.text(f"{script.name}.done", **variables)
                messages.append(OutMessage(self._join(*pending, done)))
                pending = []
        if pending:
            messages.append(OutMessage(self._join(*pending)))
        return messages

    def ask(
        self, script: Dialog, ask: Ask, run_id: int, variables: Mapping[str, Any],
        notes: Sequence[str] = (),
    ) -> OutMessage:
        """A question, with the problem of the last input, earlier answer and buttons."""
        step = script.step(ask.step)
        limits = {"max_length": step.max_length, "scale_min": step.scale_min,
                  "scale_max": step.scale_max, "min_items": step.min_items,
                  "pick": step.kind is StepKind.PICK, "items": len(ask.collected)}
        local = {**variables, "item": ask.item, "index": ask.index + 1, "count": ask.count,
                 "collected": list(ask.collected), "offered": ask.offered}
        parts: list[str] = list(notes)
        if ask.problem:
            parts.append(self.text(f"common.problems.{ask.problem}", **limits))
        question = self.text(f"{script.name}.steps.{step.key}.text", **local)
        if step.foreach is not None and ask.count > 1:
            question = self._join(self.text("common.ask.counter", **local), question)
        if not (step.kind is StepKind.LIST and ask.room == 0):  # full: no "anything else?"
            parts.append(question)
        if step.kind is StepKind.SCALE:  # a step's own scale words, or the general ones
            own = f"{script.name}.steps.{step.key}.scale"
            parts.append(self.text(own if self.catalog.has("en", own) else
                                   "common.ask.scale_hint", **limits))
        if step.kind is StepKind.LIST:
            if ask.collected:  # numbered, so "remove 2" says which one
                numbered = "\n".join(self.text("common.ask.list_item", number=number, text=item)
                                      for number, item in enumerate(ask.collected, start=1))
                parts.append(self.text("common.ask.list_so_far", items=Markup(numbered),
                                       count=len(ask.collected)))
            hint = ("list_hint" if ask.room is None
                    else "list_one_more" if ask.room else "list_no_more")
            parts.append(self.text(f"common.ask.{hint}"))
        if step.kind is StepKind.PICK:
            parts.append("\n".join(
                self.text("common.ask.pick_option", number=number, text=option,
                          picked=option in ask.collected)
                for number, option in enumerate(ask.options, start=1)))
            parts.append(self.text("common.ask.pick_hint", single=step.max_items == 1,
                                   allow_new=step.allow_new, done=_done_offered(step, ask)))
        if ask.previous is not None and step.kind is not StepKind.LIST:
            shown = Markup(self.value(script, step, ask.previous))
            parts.append(self.text("common.ask.previous", previous=shown))
        if step.optional:
            parts.append(self.text("common.ask.optional_hint"))
        buttons = self._buttons(script, step, ask, run_id, local)
        typed = step.kind in (StepKind.TEXT, StepKind.LIST, StepKind.DATE) or step.allow_new
        return OutMessage(self._join(*parts), buttons, free_text=typed,
                          question=Question(run_id, step.key))

    def _buttons(
        self, script: Dialog, step: Step, ask: Ask, run_id: int, local: Mapping[str, Any]
    ) -> tuple[tuple[Button, ...], ...]:
        pos = script.position(step.key)

        def answer(label_html: str, token: str) -> Button:
            return button(label_html, answer_data(run_id, pos, ask.index, token))

        rows: list[tuple[Button, ...]] = []
        if step.kind is StepKind.CHOICE:
            labels = [answer(self.text(f"{script.name}.steps.{step.key}.choices.{value}"), str(i))
                      for i, value in enumerate(step.choices)]
            rows.extend(_rows(labels, ROW_WIDTH))
        elif step.kind is StepKind.SCALE:
            numbers = [answer(str(n), str(n)) for n in range(step.scale_min, step.scale_max + 1)]
            rows.extend(_rows(numbers, 5))
        elif step.kind is StepKind.YESNO:
            rows.append((answer(self.text("common.buttons.yes"), YES),
                         answer(self.text("common.buttons.no"), NO)))
        elif step.kind is StepKind.PICK:
            rows.extend((answer(self.text("common.buttons.pick", number=number, text=_short(option),
                                          picked=option in ask.collected), str(number - 1)),)
                        for number, option in enumerate(ask.options, start=1))
        if _done_offered(step, ask):
            rows.append((answer(self.text("common.buttons.done"), LIST_DONE),))
        extra: list[Button] = []
        if ask.offered is not None and ask.offered != ask.previous:  # (the same: keep keeps it)
            extra.append(answer(self.text(f"{script.name}.steps.{step.key}.offer_button", **local),
                                OFFER))
        if ask.previous is not None and step.kind is not StepKind.LIST:
            extra.append(answer(self.text("common.buttons.keep"), KEEP))
        if step.optional:
            extra.append(answer(self.text("common.buttons.skip"), SKIP))
        if extra:
            rows.append(tuple(extra))
        return tuple(rows)

    def summary(
        self, script: Dialog, summary: Summary, run_id: int, notes: Sequence[str] = ()
    ) -> OutMessage:
        """The closing summary: one short numbered line per answer, a confirm button, and a change
        button per answer with its number."""
        title = self.text(f"{script.name}.title")
        parts = list(notes)
        if summary.problem:
            parts.append(self.text(f"common.problems.{summary.problem}"))
        parts.append(self.text("common.summary.header", title=title))
        entries: list[str] = []
        change: list[Button] = []
        for number, (key, value) in enumerate(summary.entries, start=1):
            shown = Markup(self.short_value(script, script.step(key), value))
            entries.append(self.text("common.summary.entry", number=number,
                                     label=self.label(script, key), value=shown))
            change.append(button(self.text("common.buttons.change", number=number),
                                 summary_data(run_id, EDIT_PREFIX + str(script.position(key)))))
        parts.append("\n".join(entries))
        parts.append(self.text("common.summary.footer"))
        confirm = button(self.text("common.buttons.confirm"), summary_data(run_id, CONFIRM))
        # Typed answers are read too: a number picks the entry shown with it, "yes" or the save
        # button's own number confirms.
        return OutMessage(self._join(*parts), ((confirm,), *_rows(change, NUMBERS_WIDTH)),
                          free_text=True, question=Question(run_id, SUMMARY),
                          first_number=int(CONFIRM_NUMBER))

    def label(self, script: Dialog, key: str) -> str:
        """A step's short label."""
        return self.text(f"{script.name}.steps.{key}.label")

    def value(self, script: Dialog, step: Step, value: Any) -> str:
        """An answer as HTML to show back (user text escaped)."""
        if value is None:
            return self.text("common.values.skipped")
        if step.foreach is not None and isinstance(value, list):
            lines = []
            for entry in value:
                inner = self._plain_value(script, step, entry.get("value"))
                lines.append(self.text("common.values.bullet",
                                       text=Markup(f"{self._item(entry.get('item', ''), entry)}: "
                                                   f"{inner}")))
            return "\n".join(lines)
        return self._plain_value(script, step, value)

    def short_value(self, script: Dialog, step: Step, value: Any) -> str:
        """An answer on one line (HTML): a long text cut, the items of a list joined by "; "."""
        if step.foreach is not None and isinstance(value, list):
            return "; ".join(f"{self._item(_short(str(entry.get('item', '')), SUMMARY_ITEM), entry)}: "
                             f"{self._plain_value(script, step, entry.get('value'))}"
                             for entry in value if isinstance(entry, dict))
        if step.kind in (StepKind.LIST, StepKind.PICK) and isinstance(value, list):
            return "; ".join(self._item(_short(str(item), SUMMARY_ITEM), item) for item in value)
        if step.kind is StepKind.TEXT and isinstance(value, str):
            return str(escape(_short(" ".join(value.split()), SUMMARY_TEXT)))
        return self._plain_value(script, step, value)

    def _plain_value(self, script: Dialog, step: Step, value: Any) -> str:
        if value is None:
            return self.text("common.values.skipped")
        if step.kind is StepKind.CHOICE:
            key = f"{script.name}.steps.{step.key}.choices.{value}"
            return self.text(key) if self.catalog.has(self.lang, key) else str(escape(value))
        if step.kind is StepKind.YESNO:
            return self.text("common.values.yes" if value else "common.values.no")
        if step.kind is StepKind.SCALE:
            return self.text("common.values.scale", value=value, scale_max=step.scale_max)
        if step.kind is StepKind.DATE:
            return str(escape(self.catalog.format_date(self.lang, value)))
        if step.kind is StepKind.PICK and step.max_items == 1 and isinstance(value, list):
            return ", ".join(self._item(str(item), item) for item in value)
        if step.kind in (StepKind.LIST, StepKind.PICK) and isinstance(value, list):
            return "\n".join(self.text("common.values.bullet", text=Markup(self._item(str(item), item)))
                             for item in value)
        return str(escape(value))

    def _item(self, text: str, item: object) -> str:
        """An item of an answer as HTML: its words escaped, or "not shared" when withheld."""
        return self.text("common.values.withheld") if withheld(item) else str(escape(text))

    @staticmethod
    def _join(*parts: str) -> str:
        return "\n\n".join(part for part in parts if part)




def note_key(script: Dialog, note: Note) -> str:
    """The text of a step's own note (Note.step): `<dialog>.steps.<step>.notes.<code>`."""
    return f"{script.name}.steps.{note.step}.notes.{note.code}"


def _short(text: str, limit: int = BUTTON_TEXT) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _rows(buttons: list[Button], width: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i:i + width]) for i in range(0, len(buttons), width)]


def _done_offered(step: Step, ask: Ask) -> bool:
    """A step of several answers shows "That's all" once enough are given (a list that may stay
    empty at once); the hint says so only when the button is there."""
    several = step.kind is StepKind.LIST or (step.kind is StepKind.PICK and step.max_items > 1)
    least = step.min_items if step.kind is StepKind.LIST else max(step.min_items, 1)
    return several and len(ask.collected) >= least
