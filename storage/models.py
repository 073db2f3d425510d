"""The tables. Programmes and pairings hang off `users` by foreign keys later."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from typing_extensions import override

from storage.vocabulary import (
    ActionStatus,
    GoalStatus,
    ItemStatus,
    PairingStatus,
    Role,
    RunStatus,
    Visibility,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with named constraints, so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, Any: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)  # SQLite: see bind_processor

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else stored_moment(value)

    # On SQLite a datetime is text: written and read in one step each, with the standard
    # library's own ISO conversions, in SQLAlchemy's format (microseconds always shown, so that
    # text order is time order). Measured: half the cost of the two layered conversions, and a
    # dispatched item passes a dozen datetimes through them.

    @override
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            return None if value is None else sqlite_text(value)

        return process

    @override
    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | datetime | None) -> datetime | None:
            return None if value is None else stored_moment(value)

        return process


def utc(value: datetime) -> datetime:
    """An aware datetime as UTC; a naive one is refused (whose clock would it be on?)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return value.astimezone(UTC)


def sqlite_text(value: datetime) -> str:
    """A moment as SQLite keeps it: UTC text in SQLAlchemy's format, microseconds always written,
    so that text order is time order."""
    return utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def stored_moment(value: str | datetime) -> datetime:
    """A moment read back, aware and in UTC: SQLite's text (or any ISO form), or a driver's
    datetime (naive ones are UTC)."""
    read = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return read.replace(tzinfo=UTC) if read.tzinfo is None else read.astimezone(UTC)


def _utc_datetime() -> UTCDateTime:
    return UTCDateTime()


class User(Base):
    """A person who talks to the bot: mentee or mentor (coordinators are users with rights)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[str] = mapped_column(String(16), default=Role.MENTEE.value)
    stage: Mapped[str] = mapped_column(String(16), default="initiation")
    share_by_default: Mapped[bool] = mapped_column(Boolean, default=False)
    relationship_ends_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # The goal step whose new wording or date the next typed message is ({action, field}).
    pending_edit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Scheduling: nothing is sent before `paused_until`; items due in the quiet hours ("21:00-08:00"
    # local; None = the default) wait for their end.
    paused_until: Mapped[datetime | None] = mapped_column(_utc_datetime())
    quiet_hours: Mapped[str | None] = mapped_column(String(16))
    # What the person's next typed text is for, outside any dialog: a note to their mentor, a
    # mentor's reply to one ({"for": "help_note"} | {"for": "help_reply", "request": id}).
    awaiting: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Whether they also work as a mentor (someone may be a mentee in one pairing and a mentor in
    # another); `role` is the side they came in as.
    mentors: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The programme they joined through (None: on their own).
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"), index=True)
    # Whether they chose their language themselves (/settings): a programme's language then does not
    # replace it; until then it is only Telegram's guess, and a programme's default wins.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=text("false"))
    # When a typed text of theirs was last refused as too long ({"at": ISO UTC, "rest": whether
    # a rest of it came since}): text within seconds of it is the rest of the same paste, which
    # Telegram split (service.long_text).
    long_text: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())


_ACTIVE_ONLY = text(f"status = '{RunStatus.ACTIVE.value}'")


class DialogRun(Base):
    """One pass through a dialog; its `state` (plain JSON) is all the engine needs to resume."""

    __tablename__ = "dialog_runs"
    __table_args__ = (
        Index("ix_dialog_runs_user_status", "user_id", "status"),
        Index("uq_dialog_runs_one_active", "user_id", unique=True,
              sqlite_where=_ACTIVE_ONLY, postgresql_where=_ACTIVE_ONLY),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dialog: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The run's current question is the question last shown to its person: typed text answers it.
    shown: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    started_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())
    completed_at: Mapped[datetime | None] = mapped_column(_utc_datetime())


class Answer(Base):
    """One saved answer, filed under its journey stage and dialog, with who may see it."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("run_id", "step_key", name="uq_answers_run_step"),
        Index("ix_answers_user_stage_dialog", "user_id", "stage", "dialog"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("dialog_runs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    dialog: Mapped[str] = mapped_column(String(40))
    step_key: Mapped[str] = mapped_column(String(48))
    value: Mapped[Any] = mapped_column(JSON)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE.value)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())


class Goal(Base):
    """A goal the mentee chose (GROW, vision map), with its SMART details."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("dialog_runs.id", ondelete="SET NULL"))
    dialog: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=GoalStatus.OPEN.value)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE.value)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())


class ActionStep(Base):
    """A concrete step towards a goal; check-ins move its status."""

    __tablename__ = "action_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())


class ProcessedUpdate(Base):
    """Telegram update ids already handled, so a redelivered update is processed once."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(_utc_datetime(), index=True)


class InboxUpdate(Base):
    """A Telegram update saved before Telegram was told it arrived, so a crash cannot lose it;
    removed once it was handled. `person_id` is the sender's Telegram id (they may be new)."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(_utc_datetime())
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Schedule(Base):
    """A rule that produces scheduled items: a person's check-in rhythm, their next meeting. One
    per person and kind; `rule` is the rhythm's JSON (service.schedule.rhythm)."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_schedules_user_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())


class ScheduledItem(Base):
    """One occurrence of something the bot does on its own: a check-in invitation, a reminder,
    the daily clean-up. `key` (kind + person + occurrence) makes creating it idempotent; a claim
    holds it for `lease_until`, after which another dispatcher may take it."""

    __tablename__ = "scheduled_items"
    __table_args__ = (
        Index("ix_scheduled_items_status_due", "status", "due_at"),
        Index("ix_scheduled_items_user_status_due", "user_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(_utc_datetime())
    status: Mapped[str] = mapped_column(String(12), default=ItemStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    lease_until: Mapped[datetime | None] = mapped_column(_utc_datetime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())
    sent_at: Mapped[datetime | None] = mapped_column(_utc_datetime())


_NOT_ENDED = text("status != 'ended'")


class Pairing(Base):
    """A mentor and a mentee working together; the mentor sees what the mentee shares only while
    it is not ended. A mentee has at most one pairing that is not ended."""

    __tablename__ = "pairings"
    __table_args__ = (
        Index("ix_pairings_mentor_status", "mentor_id", "status"),
        Index("uq_pairings_one_per_mentee", "mentee_id", unique=True,
              sqlite_where=_NOT_ENDED, postgresql_where=_NOT_ENDED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=PairingStatus.ACTIVE.value)
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    rhythm: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())
    ended_at: Mapped[datetime | None] = mapped_column(_utc_datetime())


class Invite(Base):
    """An invite link's token, kept only as its SHA-256: who it makes the opener (`role`), whose
    it is (`created_by`, a mentor inviting a mentee; or a programme), how often and how long."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL"))
    uses_left: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime] = mapped_column(_utc_datetime())
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())


class HelpRequest(Base):
    """A mentee's note to their mentor ("I need help"), and the mentor's one reply."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    replied_at: Mapped[datetime | None] = mapped_column(_utc_datetime())


class Programme(Base):
    """A cohort run by coordinators: its defaults (check-in rhythm, relationship length, digest
    rhythm, language, time zone) flow into each new member and pairing; its safety settings
    (keywords per language, help contacts, whether coordinators are alerted) into signposting."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    defaults: Mapped[dict[str, Any]] = mapped_column(JSON)
    safety: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    updated_at: Mapped[datetime] = mapped_column(_utc_datetime())


class Coordinator(Base):
    """Who coordinates a programme, by Telegram id (they may not have written to the bot yet).
    COACHBOT_ADMINS coordinate every programme without a row here."""

    __tablename__ = "coordinators"
    __table_args__ = (UniqueConstraint("programme_id", "telegram_id",
                                       name="uq_coordinators_programme_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())


class Broadcast(Base):
    """A cohort-wide dialog (a check-in) at one local wall time in every member's own zone."""

    __tablename__ = "broadcasts"
    # One row per occurrence of a programme's recurring rule (get-or-create by this index); NULL
    # rules (one-off broadcasts) never collide.
    __table_args__ = (Index("uq_broadcasts_occurrence", "programme_id", "rule", "local_at",
                            unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"),
                                              index=True)
    dialog: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(16), server_default="all")  # mentees|mentors|all
    rule: Mapped[str | None] = mapped_column(String(40))  # set: an occurrence of this rule
    local_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))  # a wall time, no zone
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())
    reported_at: Mapped[datetime | None] = mapped_column(_utc_datetime())


class Pulse(Base):
    """How one side of a pairing finds the relationship (1-5 and a comment): read by the
    programme's coordinators as figures, never by the other person."""

    __tablename__ = "pulses"
    __table_args__ = (Index("ix_pulses_pairing", "pairing_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(_utc_datetime())


class SafetyMatch(Base):
    """A saved answer (or other words of theirs kept as coaching content: a step's wording, a
    note, a pulse comment) that matched a safety phrase, for a member whose programme alerts its
    coordinators and who agreed to it: when, and whether an alert told of it. No text."""

    __tablename__ = "safety_matches"
    __table_args__ = (Index("ix_safety_matches_user", "user_id", "matched_at"),
                      Index("ix_safety_matches_programme", "programme_id", "matched_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    matched_at: Mapped[datetime] = mapped_column(_utc_datetime())
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
