"""`coachbot report`: a programme's health as one page to look at and to print. The figures come in
as `ReportData` (counts and first names only, never what anyone answered: the cohort's statistics
fill it); this module decides what the page shows, and `prompts/pages/report.html.j2` how."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dialogs.stages import Stage
from prompts.catalog import Catalog
from service.messages import plain
from service.programmes.report_charts import Chart, horizontal_bars, percent_columns, scale_line
from service.programmes.stats import LOW_PULSE as STATS_LOW_PULSE
from service.programmes.stats import STREAK

#: A pair needs attention from this many missed check-ins in a row, or a pulse at most this low
#: (the statistics' own rule: the report, /stats and `coachbot stats` count the same pairs).
MISSED_STREAK, LOW_PULSE = STREAK, STATS_LOW_PULSE


@dataclass(frozen=True)
class WeekRate:
    """One week's check-ins: how many invitations went out, how many were started."""

    starts_on: date
    sent: int
    started: int

    @property
    def rate(self) -> float | None:
        """Started per sent (None when nothing was sent)."""
        return self.started / self.sent if self.sent else None


@dataclass(frozen=True)
class PulsePoint:
    """The relationship pulse's average (1–5) over the answers of one period."""

    starts_on: date
    average: float
    count: int


@dataclass(frozen=True)
class PairAttention:
    """A pair that needs a look, and why: days without activity when stalled, check-ins missed in
    a row, a low pulse, the first names of who cannot be reached."""

    mentee: str
    mentor: str
    stalled_days: int | None = None
    missed_streak: int = 0
    pulse: float | None = None
    unreachable: tuple[str, ...] = ()

    @property
    def needs_attention(self) -> bool:
        """Whether any reason holds."""
        return (self.stalled_days is not None or self.missed_streak >= MISSED_STREAK
                or (self.pulse is not None and self.pulse <= LOW_PULSE) or bool(self.unreachable))


@dataclass(frozen=True)
class Ending:
    """A pairing's planned end coming up."""

    mentee: str
    mentor: str
    ends_on: date


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows: counts and first names, never answer text. `stages` counts
    pairs per journey stage (by `Stage` value); `completed` the check-ins the mentees of open
    pairs completed in the last four weeks, invited or begun on their own (/checkin), beside the
    invitations' response rate (the stats' figure, the CSV's column summed)."""

    programme: str
    today: date
    members: int
    pairs: int
    stages: Mapping[str, int] = field(default_factory=dict)
    weeks: tuple[WeekRate, ...] = ()
    pulse: tuple[PulsePoint, ...] = ()
    attention: tuple[PairAttention, ...] = ()
    endings: tuple[Ending, ...] = ()
    completed: int = 0


def report_page(data: ReportData, catalog: Catalog, lang: str) -> str:
    """The report as one self-contained HTML page in this language."""
    say = _Say(catalog, lang)
    sent = sum(week.sent for week in data.weeks)
    started = sum(week.started for week in data.weeks)
    answers = sum(point.count for point in data.pulse)
    page: dict[str, Any] = {
        "programme": data.programme,
        "today": catalog.format_date(lang, data.today.isoformat()),
        "members": data.members, "pairs": data.pairs,
        "rate": None if not sent else round(100 * started / sent),
        "completed": data.completed,
        "pulse": None if not answers else
        _decimal(lang, sum(p.average * p.count for p in data.pulse) / answers),
        "stages": horizontal_bars(say("report.stages.title"),
                                  [(say(f"common.stages.{stage.value}.name"),
                                    data.stages.get(stage.value, 0)) for stage in Stage]),
        "weeks": _weeks(data, say) if data.weeks else None,
        "trend": _trend(data, say) if data.pulse else None,
        "attention": [_attention(pair, say, lang) for pair in data.attention
                      if pair.needs_attention],
        "endings": [{"mentee": e.mentee, "mentor": e.mentor,
                     "ends_on": catalog.format_date(lang, e.ends_on.isoformat()),
                     "days": (e.ends_on - data.today).days}
                    for e in sorted(data.endings, key=lambda e: (e.ends_on, e.mentee))],
    }
    return catalog.page(lang, "report.html.j2", page=page)


class _Say:
    """Catalog texts of one language as plain strings for the charts (the template escapes)."""

    def __init__(self, catalog: Catalog, lang: str) -> None:
        self.catalog, self.lang = catalog, lang

    def __call__(self, key: str, **variables: Any) -> str:
        return plain(self.catalog.render(self.lang, key, **variables))

    def month(self, day: date) -> str:
        """The month's short name."""
        months = self.catalog.raw(self.lang, "report.short_months") or []
        return str(months[day.month - 1]) if len(months) == 12 else str(day.month)

    def short_date(self, day: date) -> str:
        """Day and month, the way the language writes them briefly."""
        month = self.month(day)
        pattern = str(self.catalog.raw(self.lang, "report.short_date") or "{day} {month}")
        return pattern.format(day=day.day, month=month, number=day.month, year=day.year)


def _decimal(lang: str, value: float) -> str:
    """One decimal, with the language's decimal mark."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "de" else text


def _weeks(data: ReportData, say: _Say) -> Chart:
    return percent_columns(say("report.weeks.title"),
                           [(say.short_date(week.starts_on), week.rate) for week in data.weeks])


def _trend(data: ReportData, say: _Say) -> Chart:
    return scale_line(say("report.pulse.title"),
                      [(say.month(p.starts_on), p.average, _decimal(say.lang, p.average))
                       for p in data.pulse])


def _attention(pair: PairAttention, say: _Say, lang: str) -> dict[str, Any]:
    reasons = []
    if pair.stalled_days is not None:
        reasons.append(say("report.attention.stalled", days=pair.stalled_days))
    if pair.missed_streak >= MISSED_STREAK:
        reasons.append(say("report.attention.missed", count=pair.missed_streak))
    if pair.pulse is not None and pair.pulse <= LOW_PULSE:
        reasons.append(say("report.attention.low_pulse", average=_decimal(lang, pair.pulse)))
    if pair.unreachable:
        reasons.append(say("report.attention.unreachable", names=", ".join(pair.unreachable)))
    return {"mentee": pair.mentee, "mentor": pair.mentor, "reasons": reasons}
