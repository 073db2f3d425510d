"""Probing the mentor's side as mentors, mentees and attackers would (service level, a SQLite file
and PostgreSQL, the clock moved by hand): a mentor sees only what a mentee shares, only while
they are paired (unshared later, the pairing ended, a second and a former mentor, a mentee who
deleted their data); forged and replayed invite links; stale and forged buttons; /askmentor
with odd text; HTML in names; a German mentor with an English mentee. Every mentor-facing output
is searched for the words the mentee kept private."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.text import Text

from bot.terminal import to_plain
from service import callbacks
from service.callbacks import scheduling_data
from service.conversation import ConversationService
from service.inputs import PressIn
from service.mentors.charts import confidence_figure, confidence_series
from service.messages import Response
from storage.answers import answers_of, set_run_visibility
from storage.help import help_asked_since
from storage.invites import find_invite
from storage.pairings import set_pairing_status
from storage.rows import HELP, INVITES, PAIRINGS
from storage.users import get_user
from storage.vocabulary import PairingStatus, Visibility
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock
from tests.support.mentoring import one_pass, pair, saved_run
from tests.test_digest import FRIDAY_16, checkin
from tests.test_meeting_brief import BRIEF_AT, MEETING, set_meeting

SECRET = "Zebrafinch"  # the words a mentee keeps private: never in anything a mentor gets


class Seen:
    """Everything one person was shown: their replies, what others' actions delivered to them
    and what the scheduler sent them (texts and photo captions, as sent: Telegram HTML); one
    dispatch pass serves everyone, so `dispatched` hands each person their part."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.texts: list[str] = []

    def take(self, *responses: Response) -> str:
        """Note what these responses showed the person; the texts of this batch."""
        batch: list[str] = []
        for response in responses:
            if response in self.chat.log:
                batch += [m.text for m in response.messages]
            batch += [m.text for d in response.deliveries if d.recipient == self.chat.user_id
                      for m in d.messages]
        self.texts += batch
        return to_plain("\n".join(batch))

    def all(self) -> str:
        return "\n".join([*self.texts, *(m.text for r in self.chat.log for m in r.messages)])


async def dispatched(clock: FakeClock, moment: datetime, *people: Seen) -> list[str]:
    """What one dispatch pass at `moment` brought each of these people (plain text each)."""
    clock.now = moment
    sent = Response(deliveries=tuple(await one_pass(people[0].chat.service)))
    return [person.take(sent) for person in people]


async def pairings(service: ConversationService) -> list[tuple[int, str]]:
    async with service.sessionmaker.begin() as session:
        rows = await session.execute(PAIRINGS.select().order_by(PAIRINGS.c.id))
        return [(row.id, row.status) for row in rows]


async def invites(service: ConversationService) -> list[tuple[int, int]]:
    async with service.sessionmaker.begin() as session:
        rows = await session.execute(INVITES.select().order_by(INVITES.c.id))
        return [(row.id, row.uses_left) for row in rows]


async def invite_token(mentor: Chat) -> str:
    """A new invite of the mentor's, as the terminal shows it (`/start <token>`)."""
    text = mentor.texts(await mentor.send("/invite"))
    return text.split("/start ")[1].split()[0]


async def shared_checkin(mentee: Chat, helped: str, confidence: int = 6) -> None:
    await saved_run(mentee, "checkin", checkin(helped, confidence), shared=True)


async def test_a_mentor_sees_an_answer_only_while_shared_and_paired_and_a_second_mentor_never_the_private(
    service: ConversationService, clock: FakeClock,
) -> None:
    maria = Chat(service, 3001, name="Maria Keller")
    ana = Chat(service, 3002, name="Ana Lima")
    seen = Seen(maria)
    first = await pair(maria, ana)
    await shared_checkin(ana, "Joined a running group")
    unshared = await saved_run(ana, "checkin", checkin("Wrote to Kiel harbour", 7), shared=True)
    await saved_run(ana, "checkin", checkin(f"{SECRET} diary", 3), shared=False)
    text = seen.take(await maria.send(f"/mentees {first.id}"))
    assert "Joined a running group" in text
    assert "Kiel harbour" in text

    # Ana takes one check-in back: it is gone from the view and the digest at once.
    async with service.sessionmaker.begin() as session:
        await set_run_visibility(session, unshared, Visibility.PRIVATE)
    text = seen.take(await maria.send(f"/mentees {first.id}"))
    assert "Joined a running group" in text
    assert "Kiel harbour" not in text
    text = seen.take(await maria.send("/digest"))
    assert "Joined a running group" in text
    assert "Kiel harbour" not in text

    # Ana ends the pairing: nothing more, by command, by the old button, or on Friday.
    await ana.send("/settings")
    await ana.press("End the pairing with Maria")
    ended = await ana.press("Yes, end it")
    assert seen.take(ended) == shown("en", "mentors.pairing.ended_other", name="Ana",
                                     as_mentor=True)
    assert "Everything you had shared is private again" in ana.texts(ended)
    async with service.sessionmaker.begin() as session:
        ana_id = (await get_user(session, 3002)).id  # type: ignore[union-attr]
        assert {a.visibility for a in await answers_of(session, ana_id)} == {Visibility.PRIVATE}
    assert seen.take(await maria.send(f"/mentees {first.id}")) == shown("en",
                                                                        "mentor_view.not_yours")
    assert seen.take(await maria.handle(PressIn(callbacks.mentee_data(first.id)))) == shown(
        "en", "mentor_view.not_yours")
    assert seen.take(await maria.send("/mentees")) == shown("en", "mentor_view.none")
    assert "Joined" not in seen.take(await maria.send("/digest"))
    assert await dispatched(clock, FRIDAY_16, seen) == [""]

    # A second mentor: Ben sees what Ana shares now, never what she shared with Maria (withdrawn
    # when that pairing ended), never the private one, never the one she took back; Maria nothing.
    ben = Chat(service, 3003, name="Ben Ott")
    ben_seen = Seen(ben)
    await ben.send("/start mentor")
    joined = await ana.send(f"/start {await invite_token(ben)}")
    assert ana.texts(joined) == shown("en", "mentors.pairing.paired_mentee", mentor="Ben")
    [(_, old), (second, new)] = await pairings(service)
    assert (old, new) == ("ended", "active")
    await shared_checkin(ana, "Ran my first 10 km", 8)
    text = ben_seen.take(await ben.send(f"/mentees {second}"))
    assert "Ran my first 10 km" in text
    assert "Kiel harbour" not in text
    assert "Joined a running group" not in text
    help_sent = await ana.send("/askmentor Can we talk about the race?")
    assert "Can we talk about the race?" in ben_seen.take(help_sent)
    assert seen.take(help_sent) == ""
    assert seen.take(await maria.send(f"/mentees {second}")) == shown("en",
                                                                      "mentor_view.not_yours")
    _, ben_digest = await dispatched(clock, FRIDAY_16 + timedelta(days=7), seen, ben_seen)
    assert "Ran my first 10 km" in ben_digest
    assert "Can we talk about the race?" in ben_digest
    assert "Lima" not in ben_digest
    assert "Ran my first" not in seen.all()
    assert "race" not in seen.all()
    assert SECRET not in seen.all()
    assert SECRET not in ben_seen.all()
    assert "Kiel harbour" not in ben_seen.all()
    assert "Joined a running group" not in ben_seen.all()


async def test_a_mentor_who_deleted_their_data_leaves_the_mentee_s_shares_private_for_the_next(
    service: ConversationService,
) -> None:
    maria = Chat(service, 3021, name="Maria Keller")
    ana = Chat(service, 3022, name="Ana Lima", language="de")
    await pair(maria, ana)
    await shared_checkin(ana, "Shared with Maria only", 6)
    await maria.send("/delete")
    gone = await maria.press(0)
    told = [to_plain(m.text) for d in gone.deliveries if d.recipient == 3022 for m in d.messages]
    assert told == [shown("de", "mentors.pairing.gone", name="Maria", as_mentor=False)]
    assert "wieder privat" in told[0]

    ben = Chat(service, 3023, name="Ben Ott")
    second = await pair(ben, ana)
    assert "Shared with Maria only" not in ben.texts(await ben.send(f"/mentees {second.id}"))
    assert "Shared with Maria only" not in ben.texts(await ben.send("/digest"))
    await shared_checkin(ana, "Shared with Ben", 7)
    assert "Shared with Ben" in ben.texts(await ben.send(f"/mentees {second.id}"))


async def test_a_mentee_who_deleted_their_data_leaves_the_mentor_nothing_to_open_or_answer(
    service: ConversationService, clock: FakeClock,
) -> None:
    maria = Chat(service, 3011, name="Maria", language="de")
    ana = Chat(service, 3012, name="Ana Lima")
    seen = Seen(maria)
    pairing = await pair(maria, ana)
    await shared_checkin(ana, "Shared before leaving", 4)
    await saved_run(ana, "checkin", checkin(f"{SECRET} plans", 2), shared=False)
    seen.take(await maria.send("/mentees"))  # the list with Ana's button
    alert = await ana.send("/askmentor Please call me")
    seen.take(alert)
    reply_data = next(b.data for d in alert.deliveries for m in d.messages for b in m.choices)

    await ana.send("/delete")
    gone = await ana.press(0)
    assert seen.take(gone) == shown("de", "mentors.pairing.gone", name="Ana", as_mentor=True)
    assert ana.texts(gone).strip() != ""
    assert await pairings(service) == []
    async with service.sessionmaker.begin() as session:
        assert (await session.execute(HELP.select())).first() is None

    assert seen.take(await maria.handle(PressIn(callbacks.mentee_data(pairing.id)))) == shown(
        "de", "mentor_view.not_yours")
    pressed = await maria.handle(PressIn(reply_data))
    assert pressed.toast == to_plain(shown("de", "common.notes.stale_button"))
    assert pressed.deliveries == ()
    assert seen.take(await maria.send("/mentees")) == shown("de", "mentor_view.none")
    assert "Shared before leaving" not in seen.take(await maria.send("/digest"))
    assert await dispatched(clock, FRIDAY_16, seen) == [""]
    assert SECRET not in seen.all()


async def test_forged_and_replayed_invite_links_are_refused_and_leave_the_link_as_it_was(
    service: ConversationService,
) -> None:
    maria = Chat(service, 3021, name="Maria")
    await maria.send("/start mentor")
    token = await invite_token(maria)
    before = await invites(service)

    # Maria opens her own link; someone with a mentor opens it: refused, the link still works.
    assert maria.texts(await maria.send(f"/start {token}")) == shown("en", "mentors.invite.own")
    ben, taken = Chat(service, 3022, name="Ben"), Chat(service, 3023, name="Cleo")
    await ben.send("/start mentor")
    await taken.send(f"/start {await invite_token(ben)}")
    refused = await taken.send(f"/start {token}")
    assert taken.texts(refused) == shown("en", "mentors.invite.already_paired", mentor="Ben")
    assert refused.deliveries == ()
    assert (await invites(service))[0] == before[0]

    # Malformed or forged payloads: each refused as unknown, nothing looked up or changed.
    stranger = Chat(service, 3024, name="Dora")
    await stranger.send("/start")
    await stranger.press(0)
    rows = await pairings(service)
    for payload in (token[:-1], token + "x", token.upper() if token.upper() != token else "A" * 32,
                    "x" * 65, "<b>hi</b>", "{{ 7*7 }}", "' OR 1=1 --", "🙂" * 20,
                    "../../etc/passwd", "-" * 32, "a\x00" * 16):
        answer = stranger.texts(await stranger.send(f"/start {payload}"))
        assert answer == shown("en", "mentors.invite.unknown"), payload
    assert await pairings(service) == rows

    # The link does what it says, once: the mentee, again, and someone else are refused.
    ana = Chat(service, 3025, name="Ana")
    first = await ana.send(f"/start {token}")
    assert shown("en", "mentors.pairing.paired_mentee", mentor="Maria") in ana.texts(first)
    assert [to_plain(m.text) for d in first.deliveries for m in d.messages] == [
        shown("en", "mentors.pairing.paired_mentor", mentee="Ana")]
    again = await ana.send(f"/start {token}")
    assert ana.texts(again) == shown("en", "mentors.invite.used", mentor="Maria")
    assert stranger.texts(await stranger.send(f"/start {token}")) == shown(
        "en", "mentors.invite.used", mentor="Maria")
    assert len([row for row in await pairings(service) if row[1] == "active"]) == len(rows) + 1

    # Maria deletes her account: her unused link no longer leads anywhere.
    spare = await invite_token(maria)
    await maria.send("/delete")
    await maria.press(0)
    async with service.sessionmaker.begin() as session:
        assert await find_invite(session, spare) is None
    late = Chat(service, 3026, name="Emil")
    answer = late.texts(await late.send(f"/start {spare}"))
    assert answer.startswith(shown("en", "mentors.invite.unknown"))
    assert all(status == "active" for _, status in await pairings(service))
    assert len(await pairings(service)) == 1  # Ben and Cleo's alone


async def test_askmentor_passes_odd_text_as_written_and_refuses_without_a_mentor(
    service: ConversationService, clock: FakeClock,
) -> None:
    lonely = Chat(service, 3031, name="Lia")
    assert lonely.texts(await lonely.send("/askmentor help me <b>now</b>")) == shown(
        "en", "alerts.unpaired")
    maria, ana = Chat(service, 3032, name="Maria"), Chat(service, 3033, name="Ana")
    seen = Seen(maria)
    pairing = await pair(maria, ana)
    odd = ("Ich 🙂 brauche <b>Rat</b> & {{ 7*7 }} {% if x %}y{% endif %} "
           "\x00\x01\x7f\ufffe ‮reversed")
    sent = seen.take(await ana.send(f"/askmentor {odd}"))
    assert "<b>Rat</b> & {{ 7*7 }} {% if x %}y{% endif %}" in sent  # as written, not run
    assert "49" not in sent
    assert "&lt;b&gt;Rat&lt;/b&gt; &amp; {{ 7*7 }}" in seen.texts[-1]  # escaped for Telegram
    assert "\x00" not in seen.texts[-1]

    long = "ABCDEFGHIJ" * 500  # too long for one note: asked again, shorter, nothing sent
    assert seen.take(await ana.send(f"/askmentor {long}")) == ""
    assert ana.last_text == shown("en", "alerts.too_long", limit=2000)
    shorter = long[:2000]
    clock.advance(minutes=1)  # written anew: not the rest of the long one
    alert = seen.take(await ana.send(shorter))  # the next text is the note
    assert shorter in alert
    async with service.sessionmaker.begin() as session:
        notes = await help_asked_since(session, pairing.mentor_id, pairing.id, None)
    # kept as answers are: the control characters dropped, everything else as written
    assert [n.note for n in notes][1:] == [shorter]
    kept = notes[0].note
    assert kept.startswith("Ich 🙂 brauche <b>Rat</b> & {{ 7*7 }} {% if x %}y{% endif %} ")
    assert kept.endswith("\u202ereversed")
    assert not any(c in kept for c in "\x00\x01\x7f")
    assert "\x00" not in notes[0].note
    assert ana.last_text == shown("en", "alerts.sent", mentor="Maria")


async def test_reply_counts_once_for_the_mentor_it_was_sent_to_while_paired(
    service: ConversationService,
) -> None:
    maria, ana = Chat(service, 3041, name="Maria"), Chat(service, 3042, name="Ana")
    otto, eve = Chat(service, 3043, name="Otto"), Chat(service, 3044, name="Eve")
    pairing = await pair(maria, ana)
    await pair(otto, eve)
    alert = await ana.send("/askmentor First question")
    reply = next(b.data for d in alert.deliveries for m in d.messages for b in m.choices)

    # Someone else presses forged Reply data: a notice, and their next text goes nowhere.
    for intruder in (ana, otto):
        pressed = await intruder.handle(PressIn(reply))
        assert pressed.toast == to_plain(shown("en", "common.notes.stale_button"))
        assert (await intruder.send("I am not Maria")).deliveries == ()
    for forged in ("reply:", "reply:x", "reply:-1", "reply:99999999999", "reply:1:2", "nope"):
        pressed = await maria.handle(PressIn(scheduling_data("help", forged)))
        assert pressed.toast is not None, forged

    # Maria presses Reply twice: one reply reaches Ana, once; a third press is stale.
    await maria.handle(PressIn(reply))
    await maria.handle(PressIn(reply))
    replied = await maria.send("See you <i>Thursday</i> {{ x }}")
    [delivery] = replied.deliveries
    assert delivery.recipient == ana.user_id
    assert "See you &lt;i&gt;Thursday&lt;/i&gt; {{ x }}" in delivery.messages[0].text
    assert (await maria.send("And one more thing")).deliveries == ()
    assert (await maria.handle(PressIn(reply))).toast is not None

    # Reply pressed, then the pairing ends before Maria writes: nothing reaches Ana.
    second = await ana.send("/askmentor Second question")
    data = next(b.data for d in second.deliveries for m in d.messages for b in m.choices)
    await maria.handle(PressIn(data))
    await ana.send("/settings")
    await ana.press("End the pairing with Maria")
    await ana.press("Yes, end it")
    late = await maria.send("Sorry for the wait")
    assert maria.texts(late) == shown("en", "alerts.reply_gone")
    assert late.deliveries == ()
    assert (await maria.handle(PressIn(data))).toast is not None
    async with service.sessionmaker.begin() as session:
        notes = await help_asked_since(session, pairing.mentor_id, pairing.id, None)
    assert [(n.note, n.reply) for n in notes] == [
        ("First question", "See you <i>Thursday</i> {{ x }}"), ("Second question", None)]


async def test_a_german_mentor_reads_german_and_an_english_mentee_english_with_html_names(
    service: ConversationService, clock: FakeClock,
) -> None:
    maria = Chat(service, 3051, name="Maria", language="de")
    ana = Chat(service, 3052, name="<b>Ana</b> Lopez", language="en")
    quiet = Chat(service, 3053, name="<i>Bo&amp;", language="en")
    seen = Seen(maria)
    await maria.send("/start mentor")
    joined = await ana.send(f"/start {await invite_token(maria)}")
    assert shown("en", "mentors.pairing.paired_mentee", mentor="Maria") in ana.texts(joined)
    assert seen.take(joined) == shown("de", "mentors.pairing.paired_mentor", mentee="<b>Ana</b>")
    await pair(maria, quiet)
    await saved_run(ana, "checkin", checkin("<script>alert(1)</script>", 7, "Tempo!"),
                    shared=True)
    await saved_run(ana, "checkin", checkin(f"{SECRET} notes", 2), shared=False)

    [digest] = await dispatched(clock, FRIDAY_16, seen)
    assert "Dein Überblick" in digest
    assert "<script>alert(1)</script>" in digest
    assert "Tempo!" in digest
    sent = "\n".join(seen.texts)
    assert "<b>Ana</b>" not in sent  # the name as text, never as markup
    assert "&lt;b&gt;Ana&lt;/b&gt;" in sent
    assert "&lt;script&gt;" in sent
    assert "&lt;i&gt;Bo&amp;amp;" in sent  # the quiet one, named as she is
    assert "Lopez" not in digest

    mentees = await maria.send("/mentees")
    assert "&lt;b&gt;Ana&lt;/b&gt;" in mentees.messages[0].text
    assert "<b>Ana</b>" in [b.label for b in maria.buttons]  # labels show the name as is
    opened = await maria.press("<b>Ana</b>")
    caption = next(m.text for m in opened.messages if m.photo is not None)
    assert "Lopez" not in caption
    assert "Zuversicht" in to_plain(caption) or "zuversichtlich" in to_plain(caption)

    # Ana asks in English; Maria reads the alert in German, Ana the reply in English.
    alert = await ana.send("/askmentor Can we meet?")
    assert ana.last_text == shown("en", "alerts.sent", mentor="Maria")
    [delivery] = alert.deliveries
    assert [b.label for m in delivery.messages for b in m.choices] == ["Antworten"]
    assert "Can we meet?" in delivery.messages[0].text
    await maria.handle(PressIn(delivery.messages[0].choices[0].data))
    assert maria.last_text == shown("de", "alerts.ask_reply", mentee="<b>Ana</b>")
    back = await maria.send("Ja, gern.")
    assert maria.last_text == shown("de", "alerts.reply_sent", mentee="<b>Ana</b>")
    [reply] = back.deliveries
    assert "Maria replied" in to_plain(reply.messages[0].text)
    assert SECRET not in seen.all()


async def test_the_chart_names_each_mentee_by_first_name_only(service: ConversationService) -> None:
    maria = Chat(service, 3061, name="Maria")
    ana, ben = Chat(service, 3062, name="Ana Lopez Garcia"), Chat(service, 3063, name="Ben")
    first = await pair(maria, ana)
    await pair(maria, ben)
    for confidence in (4, 6):
        await shared_checkin(ana, "steps", confidence)
        await shared_checkin(ben, "steps", confidence + 1)
    await saved_run(ana, "checkin", checkin("private", 1), shared=False)
    opened = await maria.send(f"/mentees {first.id}")
    [caption] = [m.text for m in opened.messages if m.photo is not None]
    assert "How confident Ana felt" in to_plain(caption)
    assert "Lopez" not in caption
    async with service.turn_of(maria.user_id) as turn:
        assert turn is not None
        series = await confidence_series(turn)
    assert [(line.name, [v for _, v in line.points]) for line in series] == [
        ("Ana", [4, 6]), ("Ben", [5, 7])]
    figure = confidence_figure(series, "en", service.content.catalog)
    assert figure is not None
    legend = figure.axes[0].get_legend()
    assert [text.get_text() for text in legend.get_texts() if isinstance(text, Text)] == [
        "Ana", "Ben"]


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_stale_share_press_after_the_pairing_ended_reaches_no_former_mentor(
    service: ConversationService, clock: FakeClock, lang: str,
) -> None:
    maria = Chat(service, 3071, name="Maria", language=lang)
    ana = Chat(service, 3072, name="Ana", language=lang)
    seen = Seen(maria)
    pairing = await pair(maria, ana)
    run = await saved_run(ana, "checkin", checkin(f"{SECRET} thoughts", 5), shared=False)
    async with service.sessionmaker.begin() as session:
        await set_pairing_status(session, pairing.id, PairingStatus.ENDED, clock.now)
    # The sharing question of an earlier dialog, pressed now: Ana's choice is kept for later;
    # Maria, no longer her mentor, sees nothing of it anywhere.
    await ana.handle(PressIn(callbacks.share_data(run, callbacks.ShareOp.ALL)))
    async with service.sessionmaker.begin() as session:
        mine = await get_user(session, ana.user_id)
        assert mine is not None
        assert {a.visibility for a in await answers_of(session, mine.id)} == {Visibility.SHARED}
    seen.take(await maria.send(f"/mentees {pairing.id}"))
    seen.take(await maria.send("/digest"))
    await dispatched(clock, FRIDAY_16, seen)
    assert SECRET not in seen.all()


async def test_the_brief_holds_no_agenda_taken_back_and_goes_to_the_mentor_of_the_day(
    service: ConversationService, clock: FakeClock,
) -> None:
    maria, ana = Chat(service, 3081, name="Maria"), Chat(service, 3082, name="Ana")
    maria_seen = Seen(maria)
    await pair(maria, ana)
    await set_meeting(ana, {"once": MEETING})
    clock.now = datetime(2026, 11, 25, 18, tzinfo=UTC)
    taken_back = await saved_run(ana, "agenda", {"topics": ["Kiel harbour"]}, shared=True)
    await saved_run(ana, "agenda", {"topics": [f"{SECRET} worries"]}, shared=False)
    async with service.sessionmaker.begin() as session:
        await set_run_visibility(session, taken_back, Visibility.PRIVATE)

    # Ana ends the pairing and opens Ben's link: the brief before her meeting is Ben's now.
    await ana.send("/settings")
    await ana.press("End the pairing with Maria")
    await ana.press("Yes, end it")
    ben = Chat(service, 3083, name="Ben")
    ben_seen = Seen(ben)
    await ben.send("/start mentor")
    await ana.send(f"/start {await invite_token(ben)}")
    quiet, brief = await dispatched(clock, BRIEF_AT, maria_seen, ben_seen)
    assert quiet == ""
    assert "Your meeting with Ana today at 17:00" in brief
    assert shown("en", "brief.no_agenda") in brief
    for texts in (maria_seen.all(), ben_seen.all()):
        assert SECRET not in texts
        assert "Kiel harbour" not in texts
