"""The confidence chart a mentor gets: a PNG a phone shows well, one line per mentee over the
check-ins they shared, German umlauts drawn, nothing drawn without data, and nothing of a mentee
who is not the mentor's own or of an answer that was not shared."""

from __future__ import annotations

import io
import struct
from datetime import date, timedelta

import pytest
from matplotlib.image import imread

from prompts.catalog import default_catalog
from service.conversation import ConversationService
from service.mentors.charts import (
    HEIGHT,
    WIDTH,
    ChartLine,
    confidence_chart,
    confidence_figure,
    confidence_message,
    confidence_series,
)
from storage.answers import save_answers
from storage.pairings import create_pairing, set_pairing_status
from storage.runs import create_run, get_run, set_run_status
from storage.users import UserRecord, create_user
from storage.vocabulary import PairingStatus, Role, RunStatus, Visibility
from tests.support.clock import FakeClock

CATALOG = default_catalog()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DAY = date(2026, 11, 2)


def png_size(picture: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its first chunk, IHDR)."""
    assert picture[:8] == PNG_SIGNATURE, "not a PNG"
    assert picture[12:16] == b"IHDR"
    width, height = struct.unpack(">II", picture[16:24])
    return width, height


def line(name: str, *values: int) -> ChartLine:
    return ChartLine(name, tuple((DAY + timedelta(days=7 * n), v) for n, v in enumerate(values)))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_chart_is_a_png_a_phone_shows_well(lang: str) -> None:
    picture = confidence_chart([line("Ana", 4, 6, 5), line("Ben", 7, 3)], lang, CATALOG)
    assert picture is not None
    assert png_size(picture) == (WIDTH, HEIGHT) == (800, 500)
    pixels = imread(io.BytesIO(picture), format="png")  # it decodes, and is not blank
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    assert pixels.min() < 0.5


def test_one_line_per_mentee_named_by_first_name_in_the_legend() -> None:
    fig = confidence_figure([line("Ana", 4, 6, 5), line("Ben", 7), line("Cleo", 2, 9)], "en", CATALOG)
    assert fig is not None
    [ax] = fig.axes
    assert [plotted.get_label() for plotted in ax.get_lines()] == ["Ana", "Ben", "Cleo"]
    assert [len(plotted.get_xdata()) for plotted in ax.get_lines()] == [3, 1, 2]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Ana", "Ben", "Cleo"]
    assert ax.get_ylim() == (0.5, 10.5)


def test_labels_are_in_the_mentors_language() -> None:
    fig = confidence_figure([line("Ana", 4, 6)], "de", CATALOG)
    assert fig is not None
    [ax] = fig.axes
    assert ax.get_ylabel() == "Zuversicht (1–10)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2. Nov.", "9. Nov."]
    assert "Zuversicht bei jedem geteilten Check-in" in [t.get_text() for t in fig.texts]


def test_umlauts_render_and_what_the_font_lacks_is_left_out_without_a_warning() -> None:
    """pytest turns warnings into errors: a missing glyph would fail here."""
    picture = confidence_chart([line("Größe üben", 3, 5), line("Jürgen 🎉 $x$", 8)], "de", CATALOG)
    assert picture is not None
    fig = confidence_figure([line("Größe üben", 3, 5), line("Jürgen 🎉 $x$", 8)], "de", CATALOG)
    assert fig is not None
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Größe üben",
                                                                           "Jürgen $x$"]


def test_a_single_check_in_is_a_point() -> None:
    picture = confidence_chart([line("Ana", 6)], "en", CATALOG)
    assert picture is not None
    assert png_size(picture) == (WIDTH, HEIGHT)


def test_no_data_no_chart() -> None:
    assert confidence_chart([], "en", CATALOG) is None
    assert confidence_chart([ChartLine("Ana", ())], "en", CATALOG) is None


# --- The data: shared check-ins of the mentor's own open pairings -------------------------------


async def a_user(service: ConversationService, telegram_id: int, name: str,
                 role: Role = Role.MENTEE) -> UserRecord:
    async with service.sessionmaker.begin() as session:
        user, _ = await create_user(session, telegram_id, name=name, language="en",
                                    timezone="Europe/Berlin", now=service.clock(), role=role)
    return user


async def pair(service: ConversationService, mentor: UserRecord, mentee: UserRecord) -> int:
    async with service.sessionmaker.begin() as session:
        pairing = await create_pairing(session, mentor.id, mentee.id, today=DAY, ends_on=None,
                                       now=service.clock())
    return pairing.id


async def check_in(service: ConversationService, clock: FakeClock, mentee: UserRecord,
                   confidence: int, visibility: Visibility) -> None:
    """A completed check-in with this confidence, shared or private; a week later."""
    async with service.sessionmaker.begin() as session:
        run_id = await create_run(session, user_id=mentee.id, dialog="checkin", stage="maturing",
                                  step="confidence", state={}, now=clock())
        run = await get_run(session, run_id)
        assert run is not None
        await save_answers(session, run, {"confidence": confidence, "helped": "a walk"},
                           visibility=visibility, now=clock())
        await set_run_status(session, run_id, RunStatus.COMPLETED, clock())
    clock.advance(days=7)


async def series_of(service: ConversationService, mentor: UserRecord,
                    pairing_id: int | None = None) -> list[ChartLine]:
    async with service.turn_of(mentor.telegram_id) as turn:
        assert turn is not None
        return await confidence_series(turn, pairing_id)


async def test_the_series_hold_exactly_the_mentors_own_mentees_shared_check_ins(
    service: ConversationService, clock: FakeClock
) -> None:
    mentor = await a_user(service, 1, "Maria", Role.MENTOR)
    other_mentor = await a_user(service, 2, "Otto", Role.MENTOR)
    ana, ben, cleo = [await a_user(service, 10 + n, name) for n, name in enumerate(["Ana", "Ben",
                                                                                   "Cleo"])]
    ana_pairing = await pair(service, mentor, ana)
    await pair(service, mentor, ben)
    await pair(service, other_mentor, cleo)
    for mentee, confidence, visibility in [
        (ana, 4, Visibility.SHARED), (ben, 7, Visibility.SHARED), (ana, 9, Visibility.PRIVATE),
        (cleo, 2, Visibility.SHARED), (ana, 6, Visibility.SHARED),
    ]:
        await check_in(service, clock, mentee, confidence, visibility)
    start = date(2026, 11, 21)
    assert await series_of(service, mentor) == [
        ChartLine("Ana", ((start, 4), (start + timedelta(days=28), 6))),
        ChartLine("Ben", ((start + timedelta(days=7), 7),)),
    ]
    assert await series_of(service, mentor, ana_pairing) == [
        ChartLine("Ana", ((start, 4), (start + timedelta(days=28), 6)))]
    assert await series_of(service, other_mentor, ana_pairing) == []  # not theirs
    assert await series_of(service, other_mentor) == [ChartLine("Cleo", ((start + timedelta(days=21),
                                                                          2),))]
    async with service.sessionmaker.begin() as session:
        await set_pairing_status(session, ana_pairing, PairingStatus.ENDED, clock())
    assert [s.name for s in await series_of(service, mentor)] == ["Ben"]  # ended: access ends


async def test_the_message_is_a_photo_with_a_caption_or_nothing(
    service: ConversationService, clock: FakeClock
) -> None:
    mentor = await a_user(service, 1, "Maria", Role.MENTOR)
    ana = await a_user(service, 10, "Ana")
    pairing_id = await pair(service, mentor, ana)
    async with service.turn_of(mentor.telegram_id) as turn:
        assert turn is not None
        assert await confidence_message(turn) is None
    await check_in(service, clock, ana, 5, Visibility.SHARED)
    async with service.turn_of(mentor.telegram_id) as turn:
        assert turn is not None
        message = await confidence_message(turn, pairing_id)
    assert message is not None
    assert message.photo is not None
    assert png_size(message.photo.content) == (WIDTH, HEIGHT)
    assert "How confident Ana felt" in message.text
