"""Settings read from the environment and .env, with one clear line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "COACHBOT_ADMINS",
                 "COACHBOT_DEFAULT_LANGUAGE", "COACHBOT_DEFAULT_TIMEZONE", "COACHBOT_WEBHOOK_SECRET",
                 "COACHBOT_LOG_LEVEL", "COACHBOT_QUIET_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.telegram_bot_token is None
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.coachbot_admins == frozenset()


def test_dotenv_file_is_read_and_the_token_stays_secret(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:ABC\nCOACHBOT_ADMINS=5, 7\n")
    settings = load_settings()
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:ABC"
    assert "123:ABC" not in repr(settings)
    assert settings.coachbot_admins == frozenset({5, 7})


def test_the_example_file_is_a_valid_configuration(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    settings = load_settings()
    assert settings.telegram_bot_token is None
    assert settings.webhook_secret is None


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:p@db/coach", "postgresql+asyncpg://u:p@db/coach"),
    ("postgres://u@db/coach", "postgresql+asyncpg://u@db/coach"),
    ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
])
def test_plain_database_urls_get_their_async_driver(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url == expected


@pytest.mark.parametrize(("typed", "zone"), [("UTC+2", "Etc/GMT-2"), ("GMT-5", "Etc/GMT+5"),
                                           ("europe/berlin", "Europe/Berlin")])
def test_the_default_time_zone_is_read_as_people_write_it(
    monkeypatch: pytest.MonkeyPatch, typed: str, zone: str
) -> None:
    """A fixed offset becomes its Etc zone (inverted sign); new users start in a zone that loads."""
    monkeypatch.setenv("COACHBOT_DEFAULT_TIMEZONE", typed)
    assert load_settings().default_timezone == zone


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "::nonsense::"),
    ("DATABASE_URL", "postgresql+psycopg2://db/x"),
    ("COACHBOT_ADMINS", "1,two"),
    ("COACHBOT_ADMINS", "5,-100123"),  # a group chat's id
    ("COACHBOT_DEFAULT_LANGUAGE", "fr"),
    ("COACHBOT_DEFAULT_TIMEZONE", "Europe/Atlantis"),
    ("COACHBOT_WEBHOOK_SECRET", "has spaces!"),
    ("COACHBOT_LOG_LEVEL", "LOUD"),
    ("COACHBOT_QUIET_HOURS", "later"),
    ("COACHBOT_QUIET_HOURS", "22:00-22:00"),
])
def test_a_bad_value_names_its_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"setting {name}:")
    assert "\n" not in message


@pytest.mark.parametrize("value", ["22:00-22:00", "22-22", "10pm-22:00", "00:00-00:00"])
def test_quiet_hours_that_start_when_they_end_are_refused_not_taken_as_none(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """As /settings quiet 22-22 is: the line says why and how to write none (off)."""
    monkeypatch.setenv("COACHBOT_QUIET_HOURS", value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("setting COACHBOT_QUIET_HOURS: they start and end at ")
    assert "write off for none" in message
    assert "\n" not in message


@pytest.mark.parametrize(("value", "kept"), [("22:00-07:00", "22:00–07:00"), ("off", "00:00–00:00"),
                                             ("aus", "00:00–00:00"), ("9pm-8am", "21:00–08:00")])
def test_quiet_hours_are_read_as_settings_quiet_reads_them(
    monkeypatch: pytest.MonkeyPatch, value: str, kept: str
) -> None:
    monkeypatch.setenv("COACHBOT_QUIET_HOURS", value)
    assert load_settings().quiet_hours == kept
