"""The report's figures, from the programme's statistics (service/programmes/stats.py): the one
place that turns them into `ReportData`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.programmes.report import ReportData
from storage.programmes import ProgrammeRecord


async def report_data(session: AsyncSession, programme: ProgrammeRecord,
                      now: datetime) -> ReportData:
    """The figures of one programme as of now (filled from the cohort statistics)."""
    raise NotImplementedError("waiting for service.programmes.stats")
