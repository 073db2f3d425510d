"""`coachbot report --programme NAME -o report.html` (`-o -`: to stdout): a programme's health as
one self-contained page (counts and first names only), in the coordinator's language."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.app import open_for_reading, utc_now
from bot.outputs import to_stdout, write_output
from bot.settings import Settings
from prompts.catalog import LANGUAGES, default_catalog
from service.programmes.report import report_page
from service.programmes.report_data import report_data
from service.programmes.stats import in_language
from storage.database import create_sessionmaker
from storage.programmes import programme_by_name


async def _page(settings: Settings, name: str, lang: str | None) -> str | None:
    """The page; None (said on stderr) when there is no such programme."""
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        programme = await programme_by_name(session, name)
        if programme is None:
            print(f"coachbot: no programme called {name!r}", file=sys.stderr)
            return None
        default = str(programme.defaults.get("language") or "en")
        lang = lang or (default if default in LANGUAGES else "en")
        data = await report_data(session, programme, utc_now(), in_language(lang))
    return report_page(data, default_catalog(), lang)


def report(settings: Settings, name: str, output: Path, lang: str | None) -> int:
    """Write the report (to stdout for `-o -`); one line on stderr when there is no such
    programme or no such file."""
    page = asyncio.run(_page(settings, name, lang))
    if page is None:
        return 1
    if problem := write_output(output, page):
        print(f"coachbot: {problem}", file=sys.stderr)
        return 1
    if not to_stdout(output):
        print(f"coachbot: wrote {output}", file=sys.stderr)
    return 0
