"""The `coachbot` command as a newcomer and a script use it: real processes on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.chat import shown

GROW_IN_GERMAN = [
    "Ich möchte ein Team leiten",
    "Bis Ende Juni leite ich ein Team von fünf Leuten",
    "Die Rolle ist offiziell und das Team arbeitet mit mir",
    "Ich habe schon zwei Projekte geleitet",
    "Es ist mein nächster Schritt im Beruf",
    "Ende Juni",
    "Ich leite ein kleines Projekt",
    "Einen Kurs besucht",
    "/skip",
    "5",
    "Mit meiner Chefin reden",
    "Einen Führungskurs machen",
    "fertig",
    "Zu wenig Zeit",
    "fertig",
    "Ich hätte mehr Ruhe",
    "/skip",
    "1",  # the first of the options listed above is the one to pursue
    "fertig",
    "Gespräch mit der Chefin führen",
    "Führungskurs buchen",
    "fertig",
    "nächsten Freitag",
    "in 3 Wochen",
    "in 2 Wochen",  # the checkpoint
    "Feedback von meiner Mentorin",
    "6",
    "Ein fester Termin mit der Chefin",
    "passt",
]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "COACHBOT_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}"
    env.update(extra)
    return env


def coachbot(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Run the command the way a user would, in tmp_path."""
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin,
                          capture_output=True, text=True, cwd=tmp_path, env=_env(tmp_path, **env),
                          timeout=120, check=False)


def into_a_gone_reader(tmp_path: Path, *args: str, unbuffered: str = "") -> tuple[int, str]:
    """Run the command into a pipe whose reader is gone before a line is printed (`| head`
    that already quit), its output written at once (unbuffered) or at exit: exit code, stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with subprocess.Popen([sys.executable, "-m", "bot.cli", *args], stdout=write_end,
                          stderr=subprocess.PIPE, cwd=tmp_path,
                          env=_env(tmp_path, PYTHONUNBUFFERED=unbuffered)) as process:
        os.close(write_end)
        _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr.decode()


def test_chat_completes_grow_in_german_and_export_shows_the_goal(tmp_path: Path) -> None:
    chat = coachbot(tmp_path, "chat", "--user-id", "42", "--lang", "de", "--dialog", "grow",
                    stdin="\n".join(GROW_IN_GERMAN) + "\n")
    assert chat.returncode == 0, chat.stderr
    assert "Traceback" not in chat.stdout + chat.stderr
    assert "damit daraus eine 8 wird" in chat.stdout  # the low-commitment branch was asked
    assert "/goals" in chat.stdout  # the closing text points to the goals

    export = coachbot(tmp_path, "export", "--user-id", "42")
    assert export.returncode == 0, export.stderr
    data = json.loads(export.stdout)
    assert data["user"]["language"] == "de"
    [goal] = data["goals"]
    assert goal["title"] == "Bis Ende Juni leite ich ein Team von fünf Leuten"
    assert goal["due_on"].endswith("-06-30")
    assert [a["text"] for a in goal["actions"]] == ["Gespräch mit der Chefin führen",
                                                     "Führungskurs buchen"]
    assert all(a["due_on"] for a in goal["actions"])
    assert goal["details"]["chosen_options"] == ["Mit meiner Chefin reden"]
    assert goal["details"]["checkpoint"] > goal["actions"][0]["due_on"]
    grow_runs = data["answers"]["establishing"]["grow"]
    answers = {a["step"]: a["value"] for a in grow_runs[0]["answers"]}
    assert grow_runs[0]["status"] == "completed"
    assert answers["reality_position"] == 5
    assert answers["commitment"] == 6
    assert answers["options"] == ["Mit meiner Chefin reden", "Einen Führungskurs machen"]
    assert "reality_missing" not in answers


async def _read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen = ""
    async with asyncio.timeout(30):
        while marker not in seen:
            chunk = await stream.read(4096)
            if not chunk:
                raise AssertionError(f"output ended before {marker!r}: {seen[-2000:]}")
            seen += chunk.decode()
    return seen


async def test_a_killed_process_resumes_at_the_next_step_in_a_new_process(tmp_path: Path) -> None:
    answers = GROW_IN_GERMAN[:4]  # four answers given, the fifth question is open
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "chat", "--user-id", "7", "--lang", "de",
        "--dialog", "grow", cwd=tmp_path, env=_env(tmp_path), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdin is not None
    assert process.stdout is not None
    fifth_question = "Warum ist dir dieses Ziel gerade jetzt wichtig"
    process.stdin.write(("\n".join(answers) + "\n").encode())
    await process.stdin.drain()
    await _read_until(process.stdout, "Warum")
    process.send_signal(signal.SIGKILL)  # no chance to clean up
    await process.wait()

    resumed = coachbot(tmp_path, "chat", "--user-id", "7", stdin="1\n")
    assert resumed.returncode == 0, resumed.stderr
    continue_at = resumed.stdout.index("Weiter geht")
    assert fifth_question[:20] in resumed.stdout[continue_at:]

    data = json.loads(coachbot(tmp_path, "export", "--user-id", "7").stdout)
    saved = {a["step"]: a["value"] for a in data["answers"]["establishing"]["grow"][0]["answers"]}
    assert saved == {"goal_wish": answers[0], "goal_specific": answers[1],
                     "goal_measurable": answers[2], "goal_achievable": answers[3]}


def test_end_of_input_ends_chat_cleanly_with_the_position_saved(tmp_path: Path) -> None:
    first = coachbot(tmp_path, "chat", "--dialog", "agreement", stdin="Mehr Klarheit im Beruf\n")
    assert first.returncode == 0, first.stderr
    second = coachbot(tmp_path, "chat", stdin="/resume\n")
    assert "Mehr Klarheit im Beruf" not in second.stdout  # nothing repeated back unasked
    assert "success" in second.stdout.lower()  # the second question of the agreement


@pytest.mark.parametrize(("variable", "value"), [
    ("DATABASE_URL", "not a url at all"),
    ("DATABASE_URL", "mysql://localhost/x"),
    ("COACHBOT_ADMINS", "12,abc"),
    ("COACHBOT_DEFAULT_TIMEZONE", "Mars/Olympus"),
])
def test_a_bad_setting_stops_with_one_clear_line(tmp_path: Path, variable: str, value: str) -> None:
    result = coachbot(tmp_path, "db", "upgrade", **{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ("broadcast", "--programme", "x", "--at", "2027-01-12 18:00", "--to", "everyone"),
    ("chat", "--colour", "red"),
    ("schedule",),
    (),
])
def test_a_wrong_argument_is_one_line_that_says_where_help_is(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    result = coachbot(tmp_path, *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--help" in result.stderr
    assert "usage:" not in result.stderr


def test_db_upgrade_creates_the_sqlite_file_and_is_repeatable(tmp_path: Path) -> None:
    assert coachbot(tmp_path, "db", "upgrade").returncode == 0
    assert (tmp_path / "coachbot.sqlite3").exists()
    again = coachbot(tmp_path, "db", "upgrade")
    assert again.returncode == 0, again.stderr


def test_export_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    long_answer = "🌱" * 4000  # 16 kB each: the export is larger than a pipe holds (64 kB)
    chat = coachbot(tmp_path, "chat", "--user-id", "7", "--dialog", "agreement",
                    stdin=f"{long_answer}\n" * 5)
    assert chat.returncode == 0, chat.stderr
    assert len(coachbot(tmp_path, "export", "--user-id", "7").stdout.encode()) > 80_000

    read_end, write_end = os.pipe()
    with subprocess.Popen([sys.executable, "-m", "bot.cli", "export", "--user-id", "7"],
                          stdout=write_end, stderr=subprocess.PIPE, cwd=tmp_path,
                          env=_env(tmp_path)) as process:  # `coachbot export … | head -1`
        os.close(write_end)
        first_line = b""
        while not first_line.endswith(b"\n"):
            first_line += os.read(read_end, 1)
        os.close(read_end)
        _, stderr = process.communicate(timeout=120)

    assert first_line == b"{\n"
    assert stderr.decode() == ""  # no traceback, no "Exception ignored" at exit
    assert process.returncode == 141  # as a shell reports `cat big | head -1`: cut short


@pytest.mark.parametrize("unbuffered", ["", "1"])
@pytest.mark.parametrize("args", [("dialogs", "check"), ("programme", "list")])
def test_any_command_into_a_reader_gone_early_ends_quietly(
        tmp_path: Path, args: tuple[str, ...], unbuffered: str) -> None:
    """`coachbot dialogs check | head -1` and the like: cut short, said as a shell says it (141),
    never a traceback or an "Exception ignored" at exit."""
    assert coachbot(tmp_path, "db", "upgrade").returncode == 0
    assert into_a_gone_reader(tmp_path, *args, unbuffered=unbuffered) == (141, "")


def test_chat_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    typed = tmp_path / "typed.txt"
    typed.write_text("/help\n" * 300)  # far more output than a pipe holds (64 kB)
    read_end, write_end = os.pipe()
    with typed.open("rb") as stdin, subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat", "--user-id", "7"], stdin=stdin,
            stdout=write_end, stderr=subprocess.PIPE, cwd=tmp_path, env=_env(tmp_path)) as process:
        os.close(write_end)  # `… | coachbot chat | head -1`
        first_line = b""
        while not first_line.endswith(b"\n"):
            first_line += os.read(read_end, 1)
        os.close(read_end)
        _, stderr = process.communicate(timeout=120)

    assert first_line.startswith(b"Hello")
    assert stderr.decode() == ""  # no traceback, no "Exception ignored" at exit
    assert process.returncode == 141


def test_export_of_an_unknown_user_says_so(tmp_path: Path) -> None:
    assert coachbot(tmp_path, "db", "upgrade").returncode == 0
    result = coachbot(tmp_path, "export", "--user-id", "999")
    assert result.returncode == 1
    assert "no user" in result.stderr


def test_a_new_user_chatting_in_german_is_welcomed_as_new(tmp_path: Path) -> None:
    chat = coachbot(tmp_path, "chat", "--lang", "de", "--user-id", "9", stdin="")
    assert chat.returncode == 0, chat.stderr
    first = chat.stdout.splitlines()[0]
    assert first.startswith("Hallo!")
    assert "wieder da" not in chat.stdout


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_new_user_typing_start_first_is_asked_their_side_once(tmp_path: Path, lang: str) -> None:
    chat = coachbot(tmp_path, "chat", "--lang", lang, "--user-id", "8", stdin="/start\n2\n")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.count(shown(lang, "mentors.roles.mentee_button")) == 1
    assert shown(lang, "mentors.roles.mentor_welcome", name=None) in chat.stdout  # 2: a mentor


def test_export_in_the_chat_writes_both_files_where_it_runs(tmp_path: Path) -> None:
    chat = coachbot(tmp_path, "chat", "--user-id", "9", stdin="/agreement\nMore clarity\n/export\n")
    assert chat.returncode == 0, chat.stderr
    [json_file] = tmp_path.glob("coachbot-export-*.json")
    [html_file] = tmp_path.glob("coachbot-export-*.html")
    assert f"→ {json_file.resolve()}" in chat.stdout
    assert f"→ {html_file.resolve()}" in chat.stdout
    assert json.loads(json_file.read_text())["user"]["telegram_id"] == 9
    assert "More clarity" in html_file.read_text()

    again = coachbot(tmp_path, "chat", "--user-id", "9", stdin="/export\n")
    assert again.returncode == 0, again.stderr
    assert len(list(tmp_path.glob("coachbot-export-*.json"))) == 2  # nothing overwritten


def test_export_as_a_page_into_a_file(tmp_path: Path) -> None:
    coachbot(tmp_path, "chat", "--user-id", "9", "--lang", "de", stdin="/agreement\nKlarheit\n")
    result = coachbot(tmp_path, "export", "--user-id", "9", "--format", "html", "-o", "page.html")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    page = (tmp_path / "page.html").read_text()
    assert '<html lang="de">' in page
    assert "Klarheit" in page
    failed = coachbot(tmp_path, "export", "--user-id", "9", "-o", "no/such/folder/x.json")
    assert failed.returncode == 1
    assert failed.stderr.startswith("coachbot: cannot write no/such/folder/x.json")
    assert len(failed.stderr.splitlines()) == 1
