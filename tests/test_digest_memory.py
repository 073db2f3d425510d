"""Why bench/digest.py's memory stays flat: building and rendering a digest leaves no SQL
expression behind in reference cycles. An alias or condition built per call did (about 250
objects a digest, collected only by the cycle collector), so peak memory over many mentors
followed the collector's timing instead of the work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from service.conversation import ConversationService
from service.mentors.digest import gather, render_digest
from service.render import Renderer
from tests.support.chat import Chat
from tests.support.mentoring import pair, saved_run, user_id


@contextmanager
def cycles_kept() -> Iterator[list[object]]:
    """The objects that only the cycle collector would free, made inside the block."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list[object] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


async def test_a_digest_leaves_no_sql_expression_in_cycles(service: ConversationService) -> None:
    mentor = Chat(service, 2101, name="Maria")
    for number in range(3):
        mentee = Chat(service, 2110 + number, name=f"Mentee {number}")
        await pair(mentor, mentee)
        for week in range(3):
            await saved_run(mentee, "checkin", {"helped": f"week {week}", "confidence": 5 + week},
                            shared=True)
    mentor_id = await user_id(mentor)

    async def one_digest() -> int:
        async with service.sessionmaker.begin() as session:
            news = await gather(session, mentor_id, None, service.clock().date(),
                                service.content.scripts, service.content.goal_parts,
                                Renderer(service.catalog, "en").text)
        messages = render_digest(Renderer(service.catalog, "en"), service.scripts, news, "UTC",
                                 None)
        return len(messages)

    assert await one_digest() == 3  # warm: statements compiled, templates loaded
    with cycles_kept() as kept:
        for _ in range(3):
            await one_digest()
    sql = [type(o).__qualname__ for o in kept if type(o).__module__.startswith("sqlalchemy.sql")]
    assert sql == []
