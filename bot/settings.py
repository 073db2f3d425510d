"""Settings from the environment and `.env`, with the names DESIGN.md promises."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from prompts.catalog import LANGUAGES
from service.mentors.invites import InvitePolicy
from service.schedule.policy import SchedulePolicy
from service.schedule.rhythm import QuietHours
from service.schedule.typed import quiet_same_ends
from storage.users import user_id_of

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///coachbot.sqlite3"
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
                 "postgres": "postgresql+asyncpg"}


class Settings(BaseSettings):
    """Everything an operator can configure; a bad value stops the program with one clear line."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot",
                                       alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    coachbot_admins: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="COACHBOT_ADMINS")
    default_language: str = Field(default="en", alias="COACHBOT_DEFAULT_LANGUAGE")
    default_timezone: str = Field(default="UTC", alias="COACHBOT_DEFAULT_TIMEZONE")
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("COACHBOT_WEBHOOK_SECRET", "webhook_secret"))
    log_level: str = Field(default="INFO", alias="COACHBOT_LOG_LEVEL")
    # Scheduling (see service.schedule.policy.SchedulePolicy).
    dispatch_every: float = Field(default=5.0, gt=0, le=60, alias="COACHBOT_DISPATCH_EVERY_SECONDS")
    grace_hours: float = Field(default=6.0, ge=0, alias="COACHBOT_GRACE_HOURS")
    reminder_hours: float = Field(default=24.0, gt=0, alias="COACHBOT_REMINDER_HOURS")
    answer_window_hours: float = Field(default=72.0, gt=0, alias="COACHBOT_ANSWER_WINDOW_HOURS")
    quiet_hours: str = Field(default="21:00-08:00", alias="COACHBOT_QUIET_HOURS")
    # How long a mentor's invite link works (see service.mentors.invites.InvitePolicy).
    invite_days: float = Field(default=14.0, gt=0, le=365, alias="COACHBOT_INVITE_DAYS")
    # The bot's Telegram username, for links `coachbot invite` prints (the CLI has no Telegram
    # connection; `--bot-username` overrides it).
    bot_username: str | None = Field(default=None, alias="COACHBOT_BOT_USERNAME")

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -."""
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("use 1 to 256 characters: letters, digits, _ and -")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        """Accept plain `postgresql://` and `sqlite://` too, and pick the async driver for them."""
        try:
            url = make_url(value.strip())
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if url.drivername in ASYNC_DRIVERS:
            url = url.set(drivername=ASYNC_DRIVERS[url.drivername])
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("use sqlite+aiosqlite://… or postgresql+asyncpg://…")
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(f"driver {url.drivername!r} is not async; "
                             "use sqlite+aiosqlite or postgresql+asyncpg")
        return url.render_as_string(hide_password=False)

    @field_validator("coachbot_admins", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids: set[int] = set()
        for part in value.replace(";", ",").split(","):
            if part.strip():
                user_id = user_id_of(part)
                if user_id is None:
                    raise ValueError(f"{part.strip()!r} is not a Telegram user id (a positive "
                                     "number)")
                ids.add(user_id)
        return frozenset(ids)

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"choose one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """An IANA name in any case, or a fixed offset ("UTC+2"), as the zone it names."""
        from service.timezones import parse_timezone

        zone = parse_timezone(value)
        if zone is None:
            raise ValueError("not an IANA time zone name such as Europe/Berlin (or UTC+2)")
        return zone

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        """Quiet hours as /settings quiet reads them; a start that is also the end (22:00-22:00)
        is refused as /settings quiet 22-22 is, not taken silently as none (that is "off")."""
        same = quiet_same_ends(value)
        if same is not None:
            raise ValueError(f"they start and end at {same:%H:%M}, which would be no quiet hours at "
                             "all; write off for none, or two different times like 21:00-08:00")
        quiet = QuietHours.parse(value)
        if quiet is None:
            raise ValueError("write them like 21:00-08:00 (or off)")
        return str(quiet)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("choose DEBUG, INFO, WARNING or ERROR")
        return value.upper()


    def schedule_policy(self) -> SchedulePolicy:
        """The scheduling settings as the service uses them."""
        return SchedulePolicy(grace=timedelta(hours=self.grace_hours),
                              reminder_after=timedelta(hours=self.reminder_hours),
                              answer_window=timedelta(hours=self.answer_window_hours),
                              quiet_hours=self.quiet_hours)


    def invite_policy(self) -> InvitePolicy:
        """The invite settings as the service uses them."""
        return InvitePolicy(valid_for=timedelta(days=self.invite_days))


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the setting."""


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one line per bad setting."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"setting {name}: {message}")
        raise SettingsError("; ".join(lines)) from None
