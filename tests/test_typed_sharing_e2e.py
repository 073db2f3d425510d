"""In Telegram (the real Application over the Bot API stub), en and de: a mentee who shares by
default ends a check-in and types "Keep private" / "Privat lassen" instead of tapping it; the
answers become private and their mentor's /mentees shows none of them. Text that is none of the
choices gets a hint and the same buttons, and changes nothing."""

from __future__ import annotations

import pytest

from storage.rows import ANSWERS
from storage.users import get_user, update_user
from tests.telegram.harness import E2E, say
from tests.test_mentor_view_e2e import paired

TYPED = {"en": ("yes", "Keep private"), "de": ("ja", "Privat lassen")}


@pytest.mark.parametrize("e2e", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_mentee_types_keep_private_after_a_checkin(e2e: E2E, lang: str) -> None:
    confirm, keep_private = TYPED[lang]
    mentor = e2e.client(5101, lang=lang, first_name="Maria")
    mentee = e2e.client(5102, lang=lang, first_name="Ana")
    pairing = await paired(e2e, mentor, mentee)
    async with e2e.service.sessionmaker.begin() as session:
        user = await get_user(session, mentee.user_id)
        assert user is not None
        await update_user(session, user.id, e2e.clock(), share_by_default=True)

    async def visibilities() -> set[str]:
        return {row["visibility"] for row in await e2e.rows(ANSWERS, user_id=user.id)}

    await mentee.send("/checkin")
    for text in ("helpedmarker", "inwaymarker", "6", "/skip", "/skip", confirm):
        await mentee.send(text)
    buttons = mentee.last_buttons
    assert say(lang, "sharing.buttons.none", chosen=False) in buttons
    assert await visibilities() == {"shared"}  # the mentee's default

    said = await mentee.send("perhaps")
    assert said[0] == say(lang, "sharing.typed.question", text="perhaps")
    assert mentee.last_buttons == buttons
    assert await visibilities() == {"shared"}  # nothing chosen yet
    assert "helpedmarker" in "\n".join(await mentor.send(f"/mentees {pairing}"))

    said = await mentee.send(keep_private)
    assert said[0] == say(lang, "sharing.settled", shared=0, total=4, mentor="Maria",
                          title=say(lang, "checkin.title"))
    assert await visibilities() == {"private"}
    seen = "\n".join(await mentor.send(f"/mentees {pairing}"))
    assert "helpedmarker" not in seen
    assert "inwaymarker" not in seen
    assert e2e.errors == []
