"""A coordinator's /delete: their own data is erased, while coordinating a programme (the
organisation's grant, not their data) stays, and both the question and the confirmation say so and
who can remove it (`coachbot programme revoke`), in en and de."""

from __future__ import annotations

import pytest

from service.conversation import ConversationService
from storage.programmes import coordinators_of
from tests.support.chat import Chat, shown
from tests.support.cohort import programme

SAYS = {
    "en": ("Coordinating Spring is not part of your data: that role stays until whoever runs the "
           "bot removes it.",
           "You still coordinate Spring: that role is the programme's, not your data, so it "
           "stays. Whoever runs the bot can remove it (coachbot programme revoke)."),
    "de": ("Die Koordination von Spring gehört nicht zu deinen Daten: Diese Rolle bleibt, bis die "
           "Person, die den Bot betreibt, sie entfernt.",
           "Die Koordination von Spring liegt weiter bei dir: Diese Rolle vergibt das Programm, "
           "sie gehört nicht zu deinen Daten und bleibt deshalb. Entfernen kann sie, wer den Bot "
           "betreibt (coachbot programme revoke)."),
}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_coordinator_s_delete_says_the_role_stays(service: ConversationService,
                                                          lang: str) -> None:
    spring = await programme(service, "Spring", coordinators=(900,))
    cora = Chat(service, user_id=900, name="Cora", language=lang)
    await cora.send("/start")
    question = cora.texts(await cora.send("/delete"))
    assert SAYS[lang][0] in question
    done = cora.texts(await cora.press(shown(lang, "common.delete.yes_button")))
    assert done.endswith(SAYS[lang][1])
    async with service.sessionmaker.begin() as session:
        assert await coordinators_of(session, spring.id) == [900]


async def test_someone_who_coordinates_nothing_is_not_told_about_it(
        service: ConversationService) -> None:
    ana = Chat(service, user_id=21, name="Ana")
    await ana.send("/start")
    assert "coordinat" not in ana.texts(await ana.send("/delete"))
    done = ana.texts(await ana.press(shown("en", "common.delete.yes_button")))
    assert done == "Everything is erased. If you write to me again, we'll start from the beginning."
