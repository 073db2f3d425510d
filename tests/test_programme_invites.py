"""Programme invites: a cohort link used by as many people as it allows, then refused; the
programme's defaults flow into whoever joins; /programme and a coordinator's /invite show only
their own programmes (forged button data for another is refused, nothing leaked)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.terminal import to_plain
from dialogs.dates import add_months
from service.callbacks import scheduling_data
from service.conversation import ConversationService
from service.inputs import CommandIn, PressIn
from service.programmes.admin import change_programme, facts_of
from service.programmes.broadcasts import replan_cohort, withdraw_occurrences
from service.programmes.defaults import ProgrammeDefaults, changed_defaults
from service.programmes.invites import programme_invite, revoke_invite
from service.programmes.stats import programme_stats
from storage.invites import find_invite
from storage.pairings import create_pairing, pairing_of_mentee
from storage.programmes import ProgrammeRecord, create_programme, grant
from storage.schedule import pending_items, rules_of
from storage.users import get_user, update_user
from storage.vocabulary import Role
from tests.support.chat import Chat, shown
from tests.support.clock import FakeClock


async def _programme(service: ConversationService, name: str, coordinators: tuple[int, ...] = (),
                     **options: str) -> ProgrammeRecord:
    now = service.clock()
    defaults = ProgrammeDefaults.parse(today=now.date(), **options)
    async with service.sessionmaker.begin() as session:
        made = await create_programme(session, name, defaults.to_json(), {}, now)
        assert made is not None
        for telegram_id in coordinators:
            await grant(session, made.id, telegram_id, now)
    return made


async def _token(service: ConversationService, programme: ProgrammeRecord, role: Role,
                 uses: int) -> str:
    async with service.sessionmaker.begin() as session:
        made = await programme_invite(session, programme, role, uses=uses,
                                      valid_for=timedelta(days=14), created_by=None,
                                      now=service.clock())
    return made.token


async def test_a_cohort_invite_serves_its_uses_then_is_refused(service: ConversationService) -> None:
    spring = await _programme(service, "Spring", checkin="mon 18:00", language="de",
                              timezone="Europe/Berlin")
    token = await _token(service, spring, Role.MENTEE, uses=3)
    for user_id in (11, 12, 13):
        chat = Chat(service, user_id=user_id, name=f"Person{user_id} Long")
        response = await chat.send(f"/start {token}")
        assert "Spring" in chat.texts(response)
        async with service.sessionmaker.begin() as session:
            user = await get_user(session, user_id)
            assert user is not None
            assert (user.programme_id, user.role, user.language, user.timezone) == (
                spring.id, Role.MENTEE, "de", "Europe/Berlin")
            rules = await rules_of(session, user.id)
            assert rules["checkin"]["weekdays"] == [0]
            assert rules["checkin"]["at"] == "18:00"
            assert await pending_items(session, user.id, ["checkin"])  # planned at once
    late = Chat(service, user_id=14, name="Late")
    response = await late.send(f"/start {token}")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 14)
    assert user is None or user.programme_id is None
    assert "Spring" not in late.texts(response)


async def test_a_mentor_invite_makes_a_mentor_member_with_the_digest_rule(
        service: ConversationService) -> None:
    spring = await _programme(service, "Spring", digest="fri 16:00")
    token = await _token(service, spring, Role.MENTOR, uses=5)
    chat = Chat(service, user_id=21, name="Mia")
    await chat.send(f"/start {token}")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 21)
        assert user is not None
        assert (user.programme_id, user.role, user.mentors) == (spring.id, Role.MENTOR, True)
        assert (await rules_of(session, user.id))["digest"] == {"at": "16:00", "weekdays": [4]}


async def test_a_forged_token_changes_nothing(service: ConversationService) -> None:
    await _programme(service, "Spring")
    chat = Chat(service, user_id=31)
    await chat.send("/start " + "A" * 32)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 31)
    assert user is None or user.programme_id is None


async def test_programme_is_for_coordinators_of_that_programme_only(
        service: ConversationService, clock: FakeClock) -> None:
    spring = await _programme(service, "Spring", coordinators=(41,), length="6mo")
    autumn = await _programme(service, "Autumn secret", coordinators=(42,))
    stranger = Chat(service, user_id=40)
    await stranger.send("/start")
    refused = stranger.texts(await stranger.send("/programme"))
    assert "Spring" not in refused
    assert "Autumn" not in refused

    coordinator = Chat(service, user_id=41)
    await coordinator.send("/start")
    shown = coordinator.texts(await coordinator.send("/programme"))
    assert "Spring" in shown
    assert "Length of a pairing: 6 months" in shown
    assert "Autumn" not in shown
    forged = await coordinator.handle(PressIn(scheduling_data("prog", str(autumn.id))))
    assert "Autumn" not in coordinator.texts(forged)
    assert "Members" not in coordinator.texts(forged)

    await coordinator.handle(CommandIn("invite", ""))
    picked = await coordinator.press("Spring")
    assert "Spring" in coordinator.texts(picked)
    made = await coordinator.press("Mentees")
    assert "/start " in coordinator.texts(made)  # no bot username in this service: the token
    forged = await coordinator.handle(PressIn(scheduling_data("pinv", f"{autumn.id}:mentee")))
    assert "Autumn" not in coordinator.texts(forged)
    assert "/start" not in coordinator.texts(forged)
    del spring, clock


@pytest.mark.parametrize(("lang", "figures", "settings"), [
    ("en", "Spring: how the programme is doing", "Length of a pairing: 6 months"),
    ("de", "Spring: So steht das Programm", "Dauer eines Tandems: 6 Monate")])
async def test_programme_and_stats_show_the_programme_named_as_invite_takes_it(
        service: ConversationService, lang: str, figures: str, settings: str) -> None:
    """`/stats spring` and `/programme SPRING` show that one of a coordinator's programmes
    instead of asking which; a name not theirs is said before the picker (never shown)."""
    await _programme(service, "Spring", coordinators=(61,), length="6mo")
    await _programme(service, "Autumn", coordinators=(61,))
    await _programme(service, "Secret", coordinators=(62,))
    coordinator = Chat(service, user_id=61, language=lang)
    await coordinator.send("/start")
    assert coordinator.texts(await coordinator.send("/stats spring")).startswith(figures)
    shown_now = coordinator.texts(await coordinator.send("/programme  SPRING "))
    assert settings in shown_now
    assert "Autumn" not in shown_now
    refused = coordinator.texts(await coordinator.send("/programme Secret"))
    assert refused.startswith(shown(lang, "programme_admin.programme.typed", text="Secret"))
    assert refused.endswith(shown(lang, "programme_admin.programme.pick"))
    assert "Members" not in refused
    assert "Mitglieder" not in refused


async def test_a_coordinator_s_invite_in_telegram_comes_with_a_qr_code(
        service: ConversationService) -> None:
    spring = await _programme(service, "Spring", coordinators=(51,))
    service.content.bot_username = "coach_test_bot"
    coordinator = Chat(service, user_id=51)
    await coordinator.send("/start")
    await coordinator.send("/invite")
    await coordinator.press("Spring")
    response = await coordinator.press("Mentors")
    link, picture = response.messages
    assert "https://t.me/coach_test_bot?start=" in link.text
    assert picture.photo is not None
    assert picture.photo.content.startswith(b"\x89PNG\r\n\x1a\n")
    del spring


async def _with_a_mentor(service: ConversationService, mentee_id: int) -> None:
    """Mentee `mentee_id` (Ana) paired with a mentor (Max) outside any programme."""
    await Chat(service, user_id=mentee_id, name="Ana").send("/start")
    await Chat(service, user_id=mentee_id + 100, name="Max Long").send("/start")
    now = service.clock()
    async with service.sessionmaker.begin() as session:
        mentee, mentor = await get_user(session, mentee_id), await get_user(session, mentee_id + 100)
        assert mentee is not None
        assert mentor is not None
        await update_user(session, mentor.id, now, role=Role.MENTOR, mentors=True)
        await create_pairing(session, mentor.id, mentee.id, today=now.date(), ends_on=None,
                             now=now)


async def test_someone_with_a_mentor_cannot_join_a_cohort_as_a_mentee(
        service: ConversationService) -> None:
    spring = await _programme(service, "Spring", checkin="mon 18:00")
    token = await _token(service, spring, Role.MENTEE, uses=1)
    await _with_a_mentor(service, 31)
    ana = Chat(service, user_id=31, name="Ana")
    response = await ana.send(f"/start {token}")
    assert ana.texts(response) == shown("en", "programme_admin.already_paired", mentor="Max",
                                        programme="Spring")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 31)
        assert user is not None
        assert (user.programme_id, user.role, user.mentors) == (None, Role.MENTEE, False)
        assert "checkin" not in await rules_of(session, user.id)  # no default taken either
        invite = await find_invite(session, token)
        assert invite is not None
        assert invite.uses_left == 1  # its use is not consumed: the next person joins
    ben = Chat(service, user_id=32, name="Ben")
    assert "Spring" in ben.texts(await ben.send(f"/start {token}"))


async def test_the_refusal_is_said_in_german(service: ConversationService) -> None:
    spring = await _programme(service, "Frühjahr")
    token = await _token(service, spring, Role.MENTEE, uses=2)
    await _with_a_mentor(service, 41)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 41)
        assert user is not None
        await update_user(session, user.id, service.clock(), language="de")
    lena = Chat(service, user_id=41, name="Ana", language="de")
    assert lena.texts(await lena.send(f"/start {token}")) == shown(
        "de", "programme_admin.already_paired", mentor="Max", programme="Frühjahr")


async def test_a_mentee_with_a_mentor_may_join_a_cohort_as_a_mentor(
        service: ConversationService) -> None:
    """Asked first (a mentee's tap on the mentors' link may be a slip): nothing changes and no
    place is taken until they say yes."""
    spring = await _programme(service, "Spring")
    token = await _token(service, spring, Role.MENTOR, uses=1)
    await _with_a_mentor(service, 51)
    ana = Chat(service, user_id=51, name="Ana")
    asked = await ana.send(f"/start {token}")
    assert ana.texts(asked) == shown("en", "mentors.invite.side_question", mentor="Max",
                                     programme="Spring")
    assert await _joined(service, 51) == (Role.MENTEE, False, "en")
    assert "Spring" in ana.texts(await ana.press(shown("en", "mentors.invite.side_yes")))
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 51)
        assert user is not None
        assert (user.programme_id, user.role, user.mentors) == (spring.id, Role.MENTEE, True)
        assert await pairing_of_mentee(session, user.id) is not None  # still Max's mentee
        invite = await find_invite(session, token)
        assert invite is not None
        assert invite.uses_left == 0


async def _joined(service: ConversationService, user_id: int) -> tuple[Role, bool, str]:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, user_id)
    assert user is not None
    return user.role, user.mentors, user.language


async def test_a_mentor_link_after_a_first_start_makes_a_mentor_in_the_programme_s_language(
        service: ConversationService) -> None:
    """Someone who sent /start first (answered the side question as a mentee, or not at all) and
    then opens a German programme's mentor link is a mentor (not a mentee too), in German, greeted
    as a mentor; /help and the programme's counts say so."""
    fruehling = await _programme(service, "Frühling", language="de", coordinators=(900,))
    token = await _token(service, fruehling, Role.MENTOR, uses=5)
    answered = Chat(service, user_id=61, name="Mia")
    await answered.send("/start")
    await answered.press(shown("en", "mentors.roles.mentee_button"))
    silent = Chat(service, user_id=62, name="Max")
    await silent.send("/start")  # the side question is left unanswered
    for chat in (answered, silent):
        text = chat.texts(await chat.send(f"/start {token}"))
        assert "Als Mentorin oder Mentor findest du hier zweierlei" in text
        assert "Frühling" in text
        assert await _joined(service, chat.user_id) == (Role.MENTOR, True, "de")
        chat.language = "de"
        help_text = chat.texts(await chat.send("/help"))  # the mentor's side only
        assert help_text.endswith("Der Einladungslink deiner Mentorin oder deines Mentors fügt "
                                  "die Seite als Mentee hinzu.")
    coordinator = Chat(service, user_id=900, name="Cora")
    await coordinator.send("/start")
    shown_programme = coordinator.texts(await coordinator.send("/programme"))
    assert "Members: 2 (2 mentors, 0 mentees)" in shown_programme


async def test_a_newcomer_s_mentor_link_greets_a_mentor_and_a_chosen_language_stays(
        service: ConversationService) -> None:
    fruehling = await _programme(service, "Frühling", language="de")
    mentor_token = await _token(service, fruehling, Role.MENTOR, uses=5)
    mentee_token = await _token(service, fruehling, Role.MENTEE, uses=5)
    new = Chat(service, user_id=64, name="Nia")
    text = new.texts(await new.send(f"/start {mentor_token}"))
    assert "Als Mentorin oder Mentor findest du hier zweierlei" in text
    assert "sobald deine Mentorin oder dein Mentor dazukommt" not in text  # the mentee's welcome
    assert await _joined(service, 64) == (Role.MENTOR, True, "de")

    chose = Chat(service, user_id=65, name="Tom")
    await chose.send("/start")
    await chose.press(shown("en", "mentors.roles.mentee_button"))
    await chose.send("/settings language en")
    text = chose.texts(await chose.send(f"/start {mentee_token}"))
    assert "part of <b>Frühling</b>" in text or "part of Frühling" in text
    assert await _joined(service, 65) == (Role.MENTEE, False, "en")  # their own choice stays
    assert shown("en", "programme_admin.language_offer") not in text  # nothing to switch back


async def test_programme_says_one_mentor_one_mentee_and_one_day_in_the_singular(
        service: ConversationService) -> None:
    """Counts of one read as German and English say them, not "1 Mentorinnen und Mentoren"."""
    spring = await _programme(service, "Frühling", coordinators=(909, 910), length="1d")
    for role, user_id in ((Role.MENTOR, 911), (Role.MENTEE, 912)):
        await Chat(service, user_id=user_id).send(f"/start {await _token(service, spring, role, 1)}")
    for user_id, language, counts, length in (
            (909, "de", "Mitglieder: 2 (1 Mentorin oder Mentor, 1 Mentee)", "Tandems: 1 Tag"),
            (910, "en", "Members: 2 (1 mentor, 1 mentee)", "Length of a pairing: 1 day")):
        coordinator = Chat(service, user_id=user_id, name="Cora", language=language)
        await coordinator.send("/start")
        text = coordinator.texts(await coordinator.send("/programme"))
        assert counts in text
        assert text.endswith(length)


@pytest.mark.parametrize(("lang", "words"), [("en", "time zone: UTC+2"), ("de", "Zeitzone: UTC+2")])
async def test_programme_shows_a_fixed_offset_as_it_was_typed(service: ConversationService,
                                                              lang: str, words: str) -> None:
    """A programme created with --timezone UTC+2 (kept as Etc/GMT-2, whose sign reads backwards)
    shows its coordinator UTC+2."""
    await _programme(service, "Offset", coordinators=(913,), timezone="UTC+2")
    coordinator = Chat(service, user_id=913, name="Cora", language=lang)
    await coordinator.send("/start")
    text = coordinator.texts(await coordinator.send("/programme"))
    assert words in text
    assert "Etc/GMT" not in text


async def _language(service: ConversationService, user_id: int) -> tuple[str, bool]:
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, user_id)
    assert user is not None
    return user.language, user.language_chosen


@pytest.mark.parametrize("role", [Role.MENTEE, Role.MENTOR])
async def test_an_english_app_joining_a_german_programme_is_offered_english_back(
        service: ConversationService, role: Role) -> None:
    """The welcome stays in the programme's German, and ends with one line in English with a
    button back to English; tapping it switches (a chosen language, kept by later moves) and
    suggests the welcome's next step again, in English; a second tap of it, the language already
    English, changes nothing."""
    fruehling = await _programme(service, "Frühling", language="de")
    token = await _token(service, fruehling, role, uses=5)
    ana = Chat(service, user_id=71, name="Ana")  # Telegram in English
    response = await ana.send(f"/start {token}")
    *welcome, last = response.messages
    assert "Frühling" in "\n".join(to_plain(m.text) for m in welcome)
    assert "Teil von" in "\n".join(to_plain(m.text) for m in welcome)  # still German
    assert to_plain(last.text) == shown("en", "programme_admin.language_offer")
    assert [b.label for b in last.choices] == [shown("en", "programme_admin.language_button")]
    assert await _language(service, 71) == ("de", False)
    [start] = welcome[-1].choices  # the next step, in German: "Start: …"
    dialog = start.data.removeprefix("g:")
    assert start.label == shown("de", "common.buttons.start", title=shown("de", f"{dialog}.title"))

    switched = await ana.press(shown("en", "programme_admin.language_button"))
    confirmed, again_suggested = switched.messages
    assert to_plain(confirmed.text) == shown("en", "common.settings.language_set")
    assert [(b.label, b.data) for b in again_suggested.choices] == [
        (shown("en", "common.buttons.start", title=shown("en", f"{dialog}.title")), start.data)]
    assert shown("en", f"{dialog}.title") in to_plain(again_suggested.text)
    assert switched.menu is not None  # the command menu follows, in English
    assert await _language(service, 71) == ("en", True)
    again = await ana.handle(PressIn(last.choices[0].data))  # the old button, tapped once more
    assert ana.texts(again) == shown("en", "common.settings.language_set")
    assert await _language(service, 71) == ("en", True)
    assert "Frühling" not in ana.texts(await ana.send("/start"))  # English from now on, no offer
    assert shown("en", "programme_admin.language_offer") not in ana.texts(ana.log[-1])


async def test_the_offer_taken_within_a_dialog_asks_its_question_again_in_english(
        service: ConversationService) -> None:
    """The next step was begun in German before the offer was taken: its open question follows
    the confirmation, in English, rather than a suggestion to start it."""
    fruehling = await _programme(service, "Frühling", language="de")
    token = await _token(service, fruehling, Role.MENTEE, uses=5)
    ana = Chat(service, user_id=75, name="Ana")
    offer = (await ana.send(f"/start {token}")).messages[-1]
    await ana.send("/agreement")
    switched = await ana.handle(PressIn(offer.choices[0].data))
    confirmed, *question = switched.messages
    assert to_plain(confirmed.text) == shown("en", "common.settings.language_set")
    start = shown("en", "common.buttons.start", title=shown("en", "agreement.title"))
    assert question
    assert start not in [b.label for m in question for b in m.choices]
    asked = "\n".join(to_plain(m.text) for m in question)
    assert ana.texts(await ana.send("/resume")).endswith(asked)  # the question, in English


@pytest.mark.parametrize("typed", ["Switch to English", "english", "Englisch"])
async def test_typing_the_offer_s_words_switches_too(service: ConversationService,
                                                   typed: str) -> None:
    fruehling = await _programme(service, "Frühling", language="de")
    token = await _token(service, fruehling, Role.MENTEE, uses=5)
    ana = Chat(service, user_id=72, name="Ana")
    await ana.send(f"/start {token}")
    switched = ana.texts(await ana.send(typed))
    assert switched.startswith(shown("en", "common.settings.language_set"))
    assert shown("en", "agreement.title") in switched  # the next step again, in English
    assert await _language(service, 72) == ("en", True)


async def test_a_german_app_joining_an_english_programme_is_offered_german_back(
        service: ConversationService) -> None:
    spring = await _programme(service, "Spring", language="en")
    token = await _token(service, spring, Role.MENTEE, uses=5)
    lena = Chat(service, user_id=73, name="Lena", language="de")
    response = await lena.send(f"/start {token}")
    assert "part of" in lena.texts(response)
    assert to_plain(response.messages[-1].text) == shown("de", "programme_admin.language_offer")
    assert shown("en", "agreement.title") in lena.texts(response)  # next, in the programme's English
    switched = await lena.press(shown("de", "programme_admin.language_button"))
    assert lena.texts(switched) == "\n".join((
        shown("de", "common.settings.language_set"),
        shown("de", "common.service.suggest", title=shown("de", "agreement.title"),
              command="agreement", description=shown("de", "agreement.description"))))
    assert [b.label for b in switched.messages[-1].choices] == [
        shown("de", "common.buttons.start", title=shown("de", "agreement.title"))]
    assert await _language(service, 73) == ("de", True)
    await lena.send("/settings")  # a switch from /settings only confirms it
    back = await lena.press(shown("de", "common.languages.en"))
    assert lena.texts(back) == shown("en", "common.settings.language_set")


@pytest.mark.parametrize(("app", "programme_language", "language"),
                         [("de", "de", "de"), ("fr", "de", "de"), ("", "de", "de"),
                          ("en", None, "en")])
async def test_no_offer_when_the_languages_match_or_the_app_s_is_not_spoken(
        service: ConversationService, app: str, programme_language: str | None,
        language: str) -> None:
    options = {"language": programme_language} if programme_language else {}
    spring = await _programme(service, "Spring", **options)
    token = await _token(service, spring, Role.MENTEE, uses=5)
    chat = Chat(service, user_id=74, name="Nia", language=app)
    text = chat.texts(await chat.send(f"/start {token}"))
    assert "Spring" in text
    for lang in ("en", "de"):
        assert shown(lang, "programme_admin.language_offer") not in text
    assert await _language(service, 74) == (language, False)


async def _programme_mentor(service: ConversationService, programme: ProgrammeRecord,
                            user_id: int, name: str) -> tuple[Chat, str]:
    """A mentor who joined the programme through its mentor link, and their own /invite's token
    (the service has no bot username: the terminal's form)."""
    mentor = Chat(service, user_id=user_id, name=name)
    joined = mentor.texts(await mentor.send(f"/start {await _token(service, programme, Role.MENTOR, 1)}"))
    assert "/invite" in joined  # the programme's mentor may invite their mentee themselves
    invited = mentor.texts(await mentor.send("/invite"))
    assert programme.name in invited  # says where the mentee will be
    found = re.search(r"/start ([A-Za-z0-9_-]{32})", invited)
    assert found is not None
    return mentor, found[1]


async def test_a_programme_mentor_s_invite_pairs_the_mentee_into_the_programme(
        service: ConversationService, clock: FakeClock) -> None:
    """The mentee joins the mentor's programme with its defaults, as its own link would have them
    join, and the pair is the programme's: on its terms and in its figures."""
    spring = await _programme(service, "Spring", coordinators=(79,), checkin="mon 18:00",
                              length="6mo", language="de", timezone="Europe/Berlin")
    mia, token = await _programme_mentor(service, spring, 71, "Mia")
    ana = Chat(service, user_id=72, name="Ana")
    opened = await ana.send(f"/start {token}")
    assert shown("de", "mentors.pairing.paired_mentee", mentor="Mia",
                 programme="Spring") in ana.texts(opened)
    assert ana.texts(opened).endswith(shown("en", "programme_admin.language_offer"))  # as its link
    [told] = opened.deliveries
    assert shown("de", "mentors.pairing.paired_mentor", mentee="Ana",
                 programme="Spring") in "\n".join(to_plain(m.text) for m in told.messages)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 72)
        assert user is not None
        assert (user.programme_id, user.role, user.language, user.timezone) == (
            spring.id, Role.MENTEE, "de", "Europe/Berlin")
        assert (await rules_of(session, user.id))["checkin"]["weekdays"] == [0]
        pairing = await pairing_of_mentee(session, user.id)
        assert pairing is not None
        assert (pairing.programme_id, pairing.rhythm) == (spring.id, "weekly")
        assert pairing.ends_on == add_months(pairing.started_on, 6)
        figures = await programme_stats(session, spring, clock())
    assert (figures.pairs, [(row.mentor, row.mentee) for row in figures.rows]) == (
        1, [("Mia", "Ana")])
    coordinator = Chat(service, user_id=79, name="Cora")
    await coordinator.send("/start")
    assert "2 members, 1 pair" in coordinator.texts(await coordinator.send("/stats"))
    del mia


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_programme_mentor_s_invite_leaves_a_member_of_another_programme_as_they_are(
        service: ConversationService, lang: str) -> None:
    spring = await _programme(service, "Spring")
    autumn = await _programme(service, "Autumn", checkin="mon 18:00")
    mia, token = await _programme_mentor(service, spring, 73, "Mia")
    ana = Chat(service, user_id=74, name="Ana", language=lang)
    await ana.send(f"/start {await _token(service, autumn, Role.MENTEE, 1)}")
    opened = await ana.send(f"/start {token}")
    assert ana.texts(opened) == shown(lang, "mentors.invite.other_programme", mentor="Mia",
                                      programme="Spring", member_of="Autumn")
    assert opened.deliveries == ()  # the mentor hears nothing: nothing happened
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 74)
        assert user is not None
        assert user.programme_id == autumn.id
        assert await pairing_of_mentee(session, user.id) is None
        invite = await find_invite(session, token)
        assert invite is not None
        assert invite.uses_left == 1  # not used up: the mentor may send it on
    del mia


async def _uses_left(service: ConversationService, token: str) -> int:
    async with service.sessionmaker.begin() as session:
        invite = await find_invite(session, token)
    assert invite is not None
    return invite.uses_left


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_member_opening_their_programme_s_mentee_link_again_hears_where_they_stand(
        service: ConversationService, lang: str) -> None:
    """Not "you're now part of it, the team will pair you": paired, they hear with whom; not
    paired yet, that the team pairs them. Nothing changes, and no place is taken."""
    spring = await _programme(service, "Spring", language=lang)
    token = await _token(service, spring, Role.MENTEE, uses=5)
    mia, mia_token = await _programme_mentor(service, spring, 81, "Mia Long")
    ana = Chat(service, user_id=82, name="Ana", language=lang)
    await ana.send(f"/start {token}")
    await ana.send(f"/start {mia_token}")  # paired with Mia, in Spring
    ben = Chat(service, user_id=83, name="Ben", language=lang)
    await ben.send(f"/start {token}")  # not paired yet
    assert await _uses_left(service, token) == 3

    again = await ana.send(f"/start {token}")
    assert ana.texts(again) == shown(lang, "programme_admin.already_in", as_mentor=False,
                                     paired=True, mentor="Mia", programme="Spring")
    assert again.deliveries == ()
    again = await ben.send(f"/start {token}")
    assert ben.texts(again) == shown(lang, "programme_admin.already_in", as_mentor=False,
                                     paired=False, mentor=None, programme="Spring")
    assert await _uses_left(service, token) == 3
    mia_again = await mia.send(f"/start {await _token(service, spring, Role.MENTOR, 1)}")
    assert mia.texts(mia_again) == shown(lang, "programme_admin.already_in", as_mentor=True,
                                         paired=False, mentor=None, programme="Spring")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 82)
        assert user is not None
        pairing = await pairing_of_mentee(session, user.id)
    assert pairing is not None  # still Mia's mentee
    assert await _joined(service, 82) == (Role.MENTEE, False, lang)


@pytest.mark.parametrize(("lang", "paired"), [("en", "paired with your mentor"),
                                               ("de", "im Tandem mit deiner Mentorin oder deinem Mentor")])
async def test_a_mentee_of_a_nameless_mentor_opening_the_link_again_hears_they_are_paired(
        service: ConversationService, lang: str, paired: str) -> None:
    """A mentor without a first name (Telegram's is optional) is a mentor all the same: their
    mentee is not told they have none yet and that the team will pair them."""
    spring = await _programme(service, "Spring", language=lang)
    token = await _token(service, spring, Role.MENTEE, uses=5)
    _, mentor_token = await _programme_mentor(service, spring, 91, "")
    ana = Chat(service, user_id=92, name="Ana", language=lang)
    await ana.send(f"/start {token}")
    await ana.send(f"/start {mentor_token}")  # paired, with a mentor who has no name

    again = ana.texts(await ana.send(f"/start {token}"))
    assert paired in again
    assert again == shown(lang, "programme_admin.already_in", as_mentor=False, paired=True,
                          mentor=None, programme="Spring")


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_programme_mentor_opening_its_mentee_link_is_told_it_is_for_mentees(
        service: ConversationService, lang: str) -> None:
    """Not "you're now part of it, the team will pair you with a mentor" with no mentee side
    given: the link is for mentees, nothing changes, no place is taken, and the team can pair
    them (`coachbot pair` takes a mentor as someone's mentee)."""
    spring = await _programme(service, "Spring", language=lang)
    token = await _token(service, spring, Role.MENTEE, uses=5)
    mia, _ = await _programme_mentor(service, spring, 86, "Mia")
    opened = await mia.send(f"/start {token}")
    assert mia.texts(opened) == shown(lang, "programme_admin.mentee_link_for_mentor",
                                      programme="Spring")
    assert shown(lang, "programme_admin.joined", programme="Spring", as_mentor=False,
                 name="Mia") not in mia.texts(opened)
    assert opened.menu is None
    assert await _joined(service, 86) == (Role.MENTOR, True, lang)
    assert await _uses_left(service, token) == 5


@pytest.mark.parametrize(("lang", "no", "yes"), [("en", "no", "Yes, as a mentor too"),
                                                 ("de", "nein", "ja")])
async def test_a_programme_mentee_opening_its_mentor_link_is_asked_before_becoming_a_mentor(
        service: ConversationService, lang: str, no: str, yes: str) -> None:
    """A paired mentee taps the programme's mentor link: asked, with buttons that may be typed;
    no leaves everything as it was (no place taken), yes adds the mentor side and keeps the
    mentee's (a place taken); a forged answer changes nothing."""
    spring = await _programme(service, "Spring", language=lang)
    mentee_token = await _token(service, spring, Role.MENTEE, uses=5)
    token = await _token(service, spring, Role.MENTOR, uses=5)
    _, mia_token = await _programme_mentor(service, spring, 91, "Mia")
    ana = Chat(service, user_id=92, name="Ana", language=lang)
    await ana.send(f"/start {mentee_token}")
    await ana.send(f"/start {mia_token}")

    asked = await ana.send(f"/start {token}")
    assert ana.texts(asked) == shown(lang, "mentors.invite.side_question", mentor="Mia",
                                     programme="Spring")
    assert [b.label for b in ana.buttons] == [shown(lang, "mentors.invite.side_yes"),
                                              shown(lang, "mentors.invite.side_no")]
    assert await _joined(service, 92) == (Role.MENTEE, False, lang)
    assert await _uses_left(service, token) == 5
    kept = await ana.send(no)
    assert ana.texts(kept) == shown(lang, "mentors.invite.side_kept")
    assert await _joined(service, 92) == (Role.MENTEE, False, lang)
    assert await _uses_left(service, token) == 5

    await ana.send(f"/start {token}")
    forged = ana.buttons[0].data.rsplit(":", 1)[0] + ":" + "0" * 16
    assert (await ana.handle(PressIn(forged))).toast is not None  # a stale press: nothing done
    assert await _joined(service, 92) == (Role.MENTEE, False, lang)
    await ana.send(f"/start {token}")
    became = await ana.send(yes)
    assert shown(lang, "programme_admin.joined", programme="Spring", as_mentor=True,
                 name="Ana") in ana.texts(became)
    assert became.menu is not None  # the mentor's commands join the menu
    assert await _joined(service, 92) == (Role.MENTEE, True, lang)
    assert await _uses_left(service, token) == 4
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 92)
        assert user is not None
        assert await pairing_of_mentee(session, user.id) is not None  # still Mia's mentee
    again = await ana.send(f"/start {token}")
    assert ana.texts(again) == shown(lang, "programme_admin.already_in", as_mentor=True,
                                     paired=False, mentor=None, programme="Spring")
    assert await _uses_left(service, token) == 4


async def test_a_revoked_link_is_refused_as_a_used_up_one_and_leaves_the_list(
        service: ConversationService) -> None:
    """A leaked cohort link ended by its link (or code, or number): whoever opens it afterwards
    hears what a used-up link says, joins nothing, and the programme's list no longer holds it."""
    spring = await _programme(service, "Spring")
    token = await _token(service, spring, Role.MENTEE, uses=40)
    kept = await _token(service, spring, Role.MENTOR, uses=5)
    async with service.sessionmaker.begin() as session:
        ended = await revoke_invite(session, f"https://t.me/coach_bot?start={token}",
                                    service.clock())
        assert (ended.programme, ended.was_working) == ("Spring", True)
        listed = await facts_of(session, spring, service.clock())
    assert [(i.role, i.uses_left) for i in listed.invites] == [(Role.MENTOR, 5)]
    late = Chat(service, user_id=61, name="Leak")
    await late.send("/start")
    refused = await late.send(f"/start {token}")
    assert late.texts(refused) == shown("en", "mentors.invite.used", cohort=True, mentor=None)
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 61)
        assert user is not None
        assert user.programme_id is None
        again = await revoke_invite(session, str(ended.invite.id), service.clock())
    assert not again.was_working
    joined = Chat(service, user_id=62, name="Mia")
    assert "Spring" in joined.texts(await joined.send(f"/start {kept}"))  # the other still works


async def test_a_changed_cohort_check_in_replaces_the_occurrence_nobody_got_yet(
        service: ConversationService) -> None:
    """`programme set --cohort-checkin`: the mentees are planned on the new rule at once (one
    with nothing else scheduled too), the occurrence set under the old one goes with its
    coordinator's report, and `off` leaves none."""
    spring = await _programme(service, "Spring", coordinators=(70,), cohort_checkin="mon 18:00")
    await Chat(service, user_id=70, name="Cora").send("/start")
    for user_id in (71, 72):
        chat = Chat(service, user_id=user_id, name=f"M{user_id}")
        await chat.send(f"/start {await _token(service, spring, Role.MENTEE, uses=1)}")
        await chat.send("/settings timezone Europe/Berlin")
    await Chat(service, user_id=72).send("/checkins off")  # nothing of her own to replan her

    async def planned(user_id: int) -> list[str]:
        async with service.sessionmaker.begin() as session:
            user = await get_user(session, user_id)
            assert user is not None
            items = await pending_items(session, user.id, ["broadcast"])
        return [f"{i.due_at.astimezone(ZoneInfo('Europe/Berlin')):%a %H:%M}" for i in items]

    async def reports() -> int:
        async with service.sessionmaker.begin() as session:
            coordinator = await get_user(session, 70)
            assert coordinator is not None
            return len(await pending_items(session, coordinator.id, ["broadcast_report"]))

    assert await planned(71) == ["Mon 18:00"]
    assert await reports() == 1

    async def change(rule: str) -> int:
        now = service.clock()
        async with service.sessionmaker.begin() as session:
            defaults = changed_defaults(spring.defaults, today=now.date(), cohort_checkin=rule)
            changed = await change_programme(session, spring, defaults=defaults, rename=None,
                                             now=now)
            withdrawn = await withdraw_occurrences(session, changed, now)
        assert await replan_cohort(service, spring.id) == 2
        return withdrawn

    assert await change("tue 19:00") == 1
    assert await planned(71) == await planned(72) == ["Tue 19:00"]
    assert await reports() == 1  # the new occurrence's, not the withdrawn one's
    assert await change("off") == 1
    assert await planned(71) == await planned(72) == []
    assert await reports() == 0
    coordinator = Chat(service, user_id=70)
    assert "Cohort check-in for all mentees: none" in coordinator.texts(
        await coordinator.send("/programme"))


async def test_programme_shows_the_cohort_check_in(service: ConversationService) -> None:
    await _programme(service, "Spring", coordinators=(75,), cohort_checkin="every 2 weeks mon 18:00")
    coordinator = Chat(service, user_id=75)
    await coordinator.send("/start")
    text = coordinator.texts(await coordinator.send("/programme"))
    assert "Cohort check-in for all mentees: every other Monday at 18:00" in text


async def test_a_coordinator_of_two_programmes_may_type_the_picker_s_words(
        service: ConversationService) -> None:
    """At /invite's pickers a programme's name and a side's word (English or German) work as
    their buttons do; other text gets a hint and the picker again, not the greeting."""
    await _programme(service, "Spring cohort", coordinators=(81,))
    await _programme(service, "Fri2", coordinators=(81,))
    coordinator = Chat(service, user_id=81)
    await coordinator.send("/start")
    await coordinator.send("/invite")
    asked = coordinator.texts(await coordinator.send("fri2"))
    assert asked == shown("en", "programme_admin.invite.pick_role", programme="Fri2")
    made = coordinator.texts(await coordinator.send("Mentoren"))
    assert "Mentors of Fri2" in made
    assert "/start " in made

    await coordinator.send("/invite")
    missed = await coordinator.send("Autumn")
    assert coordinator.texts(missed) == "\n".join([
        shown("en", "programme_admin.invite.typed.programme", text="Autumn"),
        shown("en", "programme_admin.invite.pick_programme")])
    assert [b.label for row in missed.messages[-1].buttons for b in row] == ["Fri2",
                                                                            "Spring cohort"]
    await coordinator.send("Mentees")  # the side first: the programme is still asked
    made = coordinator.texts(await coordinator.send("Spring Cohort"))
    assert "Mentees of Spring cohort" in made

    await coordinator.send("/programme")
    assert "Members: 0" in coordinator.texts(await coordinator.send("FRI2"))


async def test_invite_with_a_name_and_a_side_asks_only_what_they_leave_open(
        service: ConversationService) -> None:
    await _programme(service, "Spring cohort", coordinators=(82,))
    await _programme(service, "Fri2", coordinators=(82,))
    coordinator = Chat(service, user_id=82)
    await coordinator.send("/start")
    asked = coordinator.texts(await coordinator.send("/invite Spring cohort"))
    assert asked == shown("en", "programme_admin.invite.pick_role", programme="Spring cohort")
    made = coordinator.texts(await coordinator.send("/invite spring cohort mentee"))
    assert "Mentees of Spring cohort" in made
    made = coordinator.texts(await coordinator.send("/invite Fri2 Mentorinnen und Mentoren"))
    assert "Mentors of Fri2" in made
    unknown = coordinator.texts(await coordinator.send("/invite Autumn mentors"))
    assert shown("en", "programme_admin.invite.typed.programme", text="Autumn") in unknown
    assert shown("en", "programme_admin.invite.pick_programme",
                 role=shown("en", "programme_admin.invite.mentor")) in unknown
    made = coordinator.texts(await coordinator.send("Fri2"))
    assert "Mentors of Fri2" in made


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_someone_who_only_said_mentor_joins_a_cohort_s_mentee_link_as_a_mentee(
        service: ConversationService, lang: str) -> None:
    """A first answer to the side question is no settled side: someone who tapped "mentor" and
    then opens the cohort's mentee link is a mentee of the programme, greeted as one (not a
    mentor member told the team will find them a mentor)."""
    spring = await _programme(service, "Spring", language=lang)
    token = await _token(service, spring, Role.MENTEE, uses=5)
    ana = Chat(service, user_id=87, name="Ana")
    await ana.send("/start")
    await ana.press(shown("en", "mentors.roles.mentor_button"))
    ana.language = lang
    opened = ana.texts(await ana.send(f"/start {token}"))
    assert shown(lang, "programme_admin.joined", programme="Spring", as_mentor=False,
                 name="Ana") in opened
    assert (await _joined(service, 87))[:2] == (Role.MENTEE, False)
    assert await _uses_left(service, token) == 4


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentor_of_no_programme_opening_a_cohort_s_mentee_link_is_told_it_is_for_mentees(
        service: ConversationService, lang: str) -> None:
    """A mentor with a mentee of their own (in no programme) stays as they are: the link is for
    the programme's mentees, its place stays free, and the team can take them in."""
    spring = await _programme(service, "Spring", language=lang)
    token = await _token(service, spring, Role.MENTEE, uses=5)
    mia = Chat(service, user_id=88, name="Mia", language=lang)
    await mia.send("/start mentor")
    invited = mia.texts(await mia.send("/invite"))
    found = re.search(r"/start ([A-Za-z0-9_-]{32})", invited)
    assert found is not None
    ben = Chat(service, user_id=89, name="Ben", language=lang)
    await ben.send(f"/start {found[1]}")
    async with service.sessionmaker.begin() as session:
        mentee = await get_user(session, 89)
        assert mentee is not None
        assert await pairing_of_mentee(session, mentee.id) is not None
    opened = mia.texts(await mia.send(f"/start {token}"))
    assert opened == shown(lang, "programme_admin.mentee_link_for_independent_mentor",
                           programme="Spring")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 88)
    assert user is not None
    assert (user.role, user.programme_id) == (Role.MENTOR, None)
    assert await _uses_left(service, token) == 5


@pytest.mark.parametrize(("lang", "lines"), [
    ("en", ["Coordinators: 1 · invites with uses left: 2",
            "· invite 1 (mentees): 5 uses left, until 6 December 2026",
            "· invite 2 (mentors): 1 use left, until 6 December 2026"]),
    ("de", ["Koordination: 1 · Einladungen mit freien Plätzen: 2",
            "· Einladung 1 (Mentees): noch 5 Plätze, bis 6. Dezember 2026",
            "· Einladung 2 (Mentorinnen und Mentoren): noch 1 Platz, bis 6. Dezember 2026"]),
])
async def test_programme_lists_the_invites_that_work_as_programme_show_does(
        service: ConversationService, clock: FakeClock, lang: str, lines: list[str]) -> None:
    """Not just how many: each invite that still works by its number (what `coachbot invite
    --revoke` takes), its side, uses left and last day in the programme's zone (Auckland: a day
    later than in UTC), as `coachbot programme show` lists them; an ended one is not listed."""
    spring = await _programme(service, "Spring", coordinators=(930,), timezone="Pacific/Auckland")
    clock.advance(hours=6)  # 15:00 UTC: the links end on 5 December in UTC, 6 December there
    await _token(service, spring, Role.MENTEE, uses=5)
    await _token(service, spring, Role.MENTOR, uses=1)
    ended = await _token(service, spring, Role.MENTEE, uses=9)
    async with service.sessionmaker.begin() as session:
        await revoke_invite(session, ended, service.clock())
    coordinator = Chat(service, user_id=930, name="Cora", language=lang)
    await coordinator.send("/start")
    text = to_plain(coordinator.texts(await coordinator.send("/programme")))
    at = text.splitlines().index(lines[0])
    assert text.splitlines()[at:at + 3] == lines
    assert "invite 3" not in text
    assert "Einladung 3" not in text


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_coordinator_s_invite_shows_its_last_day_in_the_programme_s_zone(
        service: ConversationService, lang: str) -> None:
    """A Berlin programme's link ends on 5 December there, while it is still 4 December for its
    coordinator in Honolulu: /invite says 5 December, as /programme and `programme show` do."""
    await _programme(service, "Berlin", coordinators=(914,), timezone="Europe/Berlin")
    coordinator = Chat(service, user_id=914, name="Cora", language=lang)
    await coordinator.send("/start")
    async with service.sessionmaker.begin() as session:
        user = await get_user(session, 914)
        assert user is not None
        await update_user(session, user.id, service.clock(), timezone="Pacific/Honolulu")
    ends = service.clock() + timedelta(days=14)  # the link works two weeks
    assert ends.astimezone(ZoneInfo("Pacific/Honolulu")).date().isoformat() == "2026-12-04"
    catalog = service.content.catalog

    await coordinator.send("/invite")
    await coordinator.press("Berlin")
    made = coordinator.texts(await coordinator.press(shown(lang, "programme_admin.invite.mentee")))
    assert catalog.format_date(lang, "2026-12-05", long=True) in made
    assert catalog.format_date(lang, "2026-12-04", long=True) not in made
    listed = coordinator.texts(await coordinator.send("/programme"))
    assert catalog.format_date(lang, "2026-12-05") in listed
