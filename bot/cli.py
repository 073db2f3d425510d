"""The `coachbot` command: run, chat, dialogs check, db upgrade, export, schedule, broadcast,
stats, programme safety, report."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import NoReturn

from bot.failures import DatabaseProblem
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from prompts.catalog import LANGUAGES
from storage.users import user_id_of
from storage.vocabulary import ItemStatus

log = logging.getLogger("coachbot")

#: The status a shell reports for a command killed by SIGPIPE (128 + 13), as `cat big | head` has.
EXIT_BROKEN_PIPE = 141


class _OneLineParser(argparse.ArgumentParser):
    """A wrong argument is one line that says what is wrong and where help is, not the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _telegram_id(text: str) -> int:
    """A --user-id that is a person's Telegram id: 0, a group chat's negative id or one beyond
    the column is a typo, said in one line rather than an empty result or a driver's overflow."""
    value = user_id_of(text)
    if value is None:
        shown = text if text.lstrip("-").isascii() and text.lstrip("-").isdigit() else repr(text)
        raise argparse.ArgumentTypeError(f"{shown} is not a Telegram id")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="coachbot", description=(
        "A mentoring companion between meetings, on Telegram and in the terminal."))
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="the bot on Telegram (long polling, or a webhook)")
    run.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to")
    run.add_argument("--listen", default="127.0.0.1", help="address the webhook server binds")
    run.add_argument("--port", type=int, default=8443, help="port the webhook server binds")

    chat = commands.add_parser("chat", help="the same dialogs in this terminal, no token needed")
    chat.add_argument("--user-id", type=_telegram_id, default=1, help="whose journey (a Telegram user id)")
    chat.add_argument("--lang", choices=LANGUAGES, help="language of the texts")
    chat.add_argument("--dialog", help="start this dialog right away (e.g. grow, mentor_story)")
    chat.add_argument("--role", choices=("mentee", "mentor"),
                      help="rehearse this side: a new user starts as it, a known one adds it "
                           "(a mentor's dialog implies mentor)")

    dialogs = commands.add_parser("dialogs", help="content tools")
    dialogs_commands = dialogs.add_subparsers(dest="dialogs_command", required=True)
    check = dialogs_commands.add_parser("check", help="validate every script and every language")
    check.add_argument("--scripts", type=Path, help="folder of dialog scripts (default: shipped)")
    check.add_argument("--prompts", type=Path, help="folder with en/ and de/ texts (default: shipped)")

    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the schema migrations")

    export = commands.add_parser("export", help="one user's data, as JSON or as a page to read")
    export.add_argument("--user-id", type=_telegram_id, required=True, help="the user's Telegram id")
    export.add_argument("--format", choices=("json", "html"), default="json",
                        help="json (default) for tools, html for people")
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")

    schedule = commands.add_parser("schedule", help="what the bot sends on its own")
    schedule_commands = schedule.add_subparsers(dest="schedule_command", required=True)
    listing = schedule_commands.add_parser("list", help="upcoming and recent scheduled items")
    listing.add_argument("--user-id", type=_telegram_id, help="only this user's (a Telegram id)")
    listing.add_argument("--status", choices=[status.value for status in ItemStatus],
                         help="only items with this status")
    listing.add_argument("--limit", type=int, default=200, help="at most this many rows")
    schedule_commands.add_parser(
        "run-due", help="one dispatch pass: send what is due now (for a cron job instead of `run`)")

    broadcast = commands.add_parser(
        "broadcast", help="a dialog for a whole programme at one local time in each member's zone")
    broadcast.add_argument("--programme", required=True, help="the programme's name")
    broadcast.add_argument("--dialog", default="checkin", help="the dialog (default: checkin)")
    broadcast.add_argument("--at", required=True,
                           help='local date and time of day, e.g. "2027-01-12 18:00"; the same '
                                'broadcast is set only once')
    broadcast.add_argument("--to", choices=("mentees", "mentors", "all"),
                           help="who gets it: only the dialog's own side, the default (mentees "
                                "for checkin, mentors for mentor_checkin); all is refused, as each "
                                "side opens only its own: broadcast both, one after the other")

    stats = commands.add_parser("stats", help="a programme's health figures (counts, never answers)")
    stats.add_argument("--programme", required=True, help="the programme's name")
    stats.add_argument("--csv", type=Path,
                       help="also write one row per pair into this file (-: to stdout, the "
                            "figures then to stderr)")
    stats.add_argument("--lang", choices=LANGUAGES,
                       help="language of the stage names (default: the programme's)")

    programme = commands.add_parser("programme", help="a programme's settings (coordinators)")
    programme_commands = programme.add_subparsers(dest="programme_command", required=True)
    create = programme_commands.add_parser("create", help="a new programme and its defaults")
    create.add_argument("name", help="the programme's name")
    create.add_argument("--checkin", help='each mentee\'s check-in rhythm, e.g. "mon 18:00"')
    create.add_argument("--length", help="how long a pairing lasts: 6mo or 1y (calendar months and "
                        "years), 26w or 180d")
    create.add_argument("--digest", help='each mentor\'s digest rhythm, e.g. "fri 16:00"')
    create.add_argument("--lang", choices=LANGUAGES, help="the language new members start in")
    create.add_argument("--timezone", help="the time zone new members start in (Europe/Berlin)")
    create.add_argument("--cohort-checkin", metavar="RULE",
                        help='a check-in for all mentees at once, e.g. "every 2 weeks mon 18:00"')
    change = programme_commands.add_parser(
        "set", help="change its defaults or name (members keep their own rhythms)")
    change.add_argument("name", help="the programme's name")
    change.add_argument("--checkin", help='each new mentee\'s check-in rhythm, e.g. "mon 18:00"')
    change.add_argument("--length", help="how long a new pairing lasts: 6mo, 1y, 26w or 180d")
    change.add_argument("--digest", help='each new mentor\'s digest rhythm, e.g. "fri 16:00"')
    change.add_argument("--lang", choices=LANGUAGES, help="the language new members start in")
    change.add_argument("--timezone", help="the time zone new members start in (Europe/Berlin)")
    change.add_argument("--cohort-checkin", metavar="RULE|off",
                        help='the check-in for all mentees at once, e.g. "mon 18:00"; off ends it')
    change.add_argument("--rename", metavar="NEW", help="the programme's new name")
    programme_commands.add_parser("list", help="every programme with its counts")
    show = programme_commands.add_parser("show", help="a programme's defaults and counts")
    show.add_argument("name", help="the programme's name")
    grant = programme_commands.add_parser("grant", help="make someone a coordinator of it")
    grant.add_argument("name", help="the programme's name")
    grant.add_argument("--user-id", type=_telegram_id, required=True, help="their Telegram id")
    revoke = programme_commands.add_parser("revoke", help="end someone's coordination of it")
    revoke.add_argument("name", help="the programme's name")
    revoke.add_argument("--user-id", type=_telegram_id, required=True, help="their Telegram id")
    move = programme_commands.add_parser(
        "move", help="move a member (on their side, unpaired) from their programme into this one")
    move.add_argument("name", help="the programme they move to")
    move.add_argument("--user-id", type=_telegram_id, required=True, help="their Telegram id")
    safety = programme_commands.add_parser(
        "safety", help="help contacts, own phrases and coordinator alerts of safety signposting")
    safety.add_argument("name", help="the programme's name")
    safety.add_argument("--contacts", type=Path, help="a text file with the help contacts")
    safety.add_argument("--alert", choices=("on", "off"),
                        help="tell coordinators when a member who agreed may need support")
    safety.add_argument("--alert-hours", type=int, metavar="N",
                        help="at most one alert per member every N hours (default 24; 0: each "
                             "match); matches in between are counted")
    safety.add_argument("--keywords", type=Path,
                        help="YAML with the programme's own phrases: en: [...], de: [...]")

    invite = commands.add_parser("invite", help="a programme's invite link (and QR code)")
    invite.add_argument("--programme", help="the programme's name (required unless --revoke)")
    invite.add_argument("--role", choices=("mentor", "mentee"),
                        help="which side the link makes its openers (required unless --revoke)")
    invite.add_argument("--uses", type=int, help="how many people may use it (a cohort; default 1)")
    invite.add_argument("--expires", help="how long it works: 14d, 2w, 1mo (default 14d)")
    invite.add_argument("--qr", type=Path, help="also write the link as a QR code into this .png file")
    invite.add_argument("--bot-username", help="the bot's username (else COACHBOT_BOT_USERNAME)")
    invite.add_argument("--revoke", metavar="CODE_OR_LINK",
                        help="end an invite at once: its link, its code or its number (as "
                             "programme show lists them); takes no other option")

    pair = commands.add_parser("pair", help="pair a mentor and a mentee of a programme (or a CSV)")
    pair.add_argument("--programme", required=True, help="the programme's name")
    pair.add_argument("--mentor", help="the mentor's Telegram id, or first name in the programme")
    pair.add_argument("--mentee", help="the mentee's Telegram id, or first name in the programme")
    pair.add_argument("--csv", type=Path,
                      help="one pair a line: mentor,mentee or mentor;mentee (Telegram ids or "
                           "members' first names); -: read them from standard input")

    unpair = commands.add_parser("unpair", help="end a mentee's pairing in a programme")
    unpair.add_argument("--programme", required=True, help="the programme's name")
    unpair.add_argument("--mentee", required=True,
                        help="the mentee's Telegram id, or first name in the programme")

    report = commands.add_parser("report", help="a programme's health as one page to print")
    report.add_argument("--programme", required=True, help="the programme's name")
    report.add_argument("-o", "--output", type=Path, required=True,
                        help="the HTML file to write (-: to stdout)")
    report.add_argument("--lang", choices=LANGUAGES,
                        help="language of the page (default: the programme's)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code. Whatever the command (--help
    too), a reader of its output gone early (`| head`) ends it quietly: see `_reader_gone`."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader gone shows here, not at exit as "Exception ignored"
    except BrokenPipeError:
        return _reader_gone()


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "dialogs":
        return _dialogs_check(args.scripts, args.prompts)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"coachbot: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return _command(settings, args)
    except KeyboardInterrupt:
        return 130
    except DatabaseProblem as problem:
        print(f"coachbot: {problem}", file=sys.stderr)
        return 1


def _command(settings: Settings, args: argparse.Namespace) -> int:
    """Run the command the arguments name; its exit code."""
    if args.command == "chat":
        return asyncio.run(_chat(settings, args.user_id, args.lang, args.dialog, args.role))
    if args.command == "db":
        return asyncio.run(_db_upgrade(settings))
    if args.command == "export":
        return _export(settings, args.user_id, args.format, args.output)
    if args.command == "schedule":
        from bot import schedule_cli

        if args.schedule_command == "list":
            return asyncio.run(schedule_cli.list_items(
                settings, user_id=args.user_id,
                status=ItemStatus(args.status) if args.status else None, limit=args.limit))
        return asyncio.run(schedule_cli.run_due(settings))
    if args.command in ("broadcast", "stats"):
        from bot import cohort_cli

        if args.command == "broadcast":
            return asyncio.run(cohort_cli.broadcast(settings, args.programme, args.dialog,
                                                    args.at, args.to))
        return asyncio.run(cohort_cli.stats(settings, args.programme, args.csv, args.lang))
    if args.command in ("programme", "invite", "pair", "unpair"):
        return _programme(settings, args)
    if args.command == "report":
        from bot.report_cli import report

        return report(settings, args.programme, args.output, args.lang)
    from bot.telegram.runner import run_bot

    return run_bot(settings, webhook_url=args.webhook_url, listen=args.listen, port=args.port)


def _programme(settings: Settings, args: argparse.Namespace) -> int:
    """The programme's administration (bot.programme_cli) and its safety (bot.safety_cli)."""
    from bot import programme_cli as cli

    if args.command == "invite":
        making = (args.programme, args.role, args.uses, args.expires, args.qr, args.bot_username)
        if args.revoke is not None:
            if any(option is not None for option in making):
                return cli.fail("--revoke takes no other option: it ends the invite it names")
            return asyncio.run(cli.revoke_link(settings, args.revoke))
        if args.programme is None or args.role is None:
            return cli.fail("give --programme NAME and --role mentor|mentee (or --revoke "
                            "CODE_OR_LINK to end an invite)")
        return asyncio.run(cli.invite(settings, args.programme, args.role,
                                      uses=1 if args.uses is None else args.uses,
                                      expires=args.expires or "14d", qr=args.qr,
                                      bot_username=args.bot_username))
    if args.command == "pair":
        if args.csv is not None:
            if args.mentor is not None or args.mentee is not None:
                return cli.fail("give either --csv or --mentor and --mentee, not both")
            return asyncio.run(cli.pair_file(settings, args.programme, args.csv))
        if args.mentor is None or args.mentee is None:
            return cli.fail("give --mentor and --mentee (Telegram ids or first names), or --csv FILE")
        return asyncio.run(cli.pair_one(settings, args.programme, args.mentor, args.mentee))
    if args.command == "unpair":
        return asyncio.run(cli.unpair_one(settings, args.programme, args.mentee))
    command = args.programme_command
    if command == "create":
        return asyncio.run(cli.create(settings, args.name, checkin=args.checkin, length=args.length,
                                      digest=args.digest, lang=args.lang, timezone=args.timezone,
                                      cohort_checkin=args.cohort_checkin))
    if command == "set":
        return asyncio.run(cli.change(settings, args.name, checkin=args.checkin,
                                      length=args.length, digest=args.digest, lang=args.lang,
                                      timezone=args.timezone, cohort_checkin=args.cohort_checkin,
                                      rename=args.rename))
    if command == "list":
        return asyncio.run(cli.listing(settings))
    if command == "show":
        return asyncio.run(cli.show(settings, args.name))
    if command == "grant":
        return asyncio.run(cli.grant_coordinator(settings, args.name, args.user_id))
    if command == "revoke":
        return asyncio.run(cli.revoke_coordinator(settings, args.name, args.user_id))
    if command == "move":
        return asyncio.run(cli.move_member(settings, args.name, args.user_id))
    from bot.safety_cli import safety

    return safety(settings, args.name, contacts=args.contacts, alert=args.alert,
                  keywords=args.keywords, alert_hours=args.alert_hours)


def _reader_gone() -> int:
    """The reader of our output stopped early (`| head`): every answer is saved already. Python's
    recipe (signal module docs): point stdout at devnull so the flush at exit cannot fail again,
    and end quietly, reporting the cut as a shell does."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _dialogs_check(scripts: Path | None, prompts: Path | None) -> int:
    from dialogs.registry import SCRIPTS_DIR
    from prompts.catalog import PROMPTS_DIR
    from service.content_check import check
    from service.messages import counted

    problems = check(scripts or SCRIPTS_DIR, prompts or PROMPTS_DIR)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{counted(len(problems), 'problem')} found.", file=sys.stderr)
        return 1
    print("All dialogs and languages are complete.")
    return 0


async def _db_upgrade(settings: Settings) -> int:
    from bot.app import open_database

    async with open_database(settings):
        print("The database schema is up to date.")
    return 0


async def _chat(settings: Settings, user_id: int, lang: str | None, dialog: str | None,
                role: str | None = None) -> int:
    from bot.app import build_service, open_database
    from bot.terminal import POLL_SECONDS, TerminalChat, stdin_lines, to_plain
    from dialogs.schema import Audience
    from service import callbacks
    from service.commands import command_for_dialog
    from service.inputs import CommandIn, Incoming, Person, PressIn
    from service.schedule.dispatch import Dispatcher

    interactive = sys.stdin.isatty()
    async with open_database(settings) as engine:
        service = build_service(engine, settings)
        person = Person(external_id=user_id, language=lang)  # someone new starts in this language
        if lang:
            await service.set_language(person, lang)
        chat = TerminalChat(service, person, sys.stdout, ansi=interactive and sys.stdout.isatty(),
                            dispatcher=Dispatcher(service))
        if dialog and dialog not in service.scripts.by_name:
            print(f"coachbot: no dialog called {dialog!r}; there are: "
                  f"{', '.join(service.scripts.by_name)}", file=sys.stderr)
            return 2
        mentors_dialog = dialog is not None and service.scripts.get(dialog).audience is Audience.MENTOR
        role = role or ("mentor" if mentors_dialog else None)
        first: Incoming = CommandIn("start", role or "")
        if dialog:  # a mentor's dialog by name: /story would start the mentee's for a mentee
            first = (PressIn(callbacks.dialog_data(dialog)) if mentors_dialog
                     else CommandIn(command_for_dialog(dialog, Audience.MENTEE)))
        if interactive:
            banner = service.catalog.render(await service.language_for(person), "common.terminal.banner")
            print(to_plain(banner) + "\n")
        if dialog and role:
            await chat.send(CommandIn("start", role))  # the side first, then the dialog
        await _until_interrupted(chat.run(stdin_lines(interactive), first,
                                          poll_every=POLL_SECONDS if interactive else None,
                                          read_ahead=not interactive))
    return 0


async def _until_interrupted(talk: Awaitable[None]) -> None:
    """Run the chat; Ctrl-C stops it at once. The loop's own signal handler wakes it whichever
    thread the signal reaches (the stdin reader's, too: Python's handler would then wait for the
    main thread's next wake-up); the interruption leaves as KeyboardInterrupt (exit status 130)."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(talk)
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _export_text(settings: Settings, user_id: int, form: str) -> str | None:
    """One user's export as JSON or as the HTML page; None (said on stderr) if there is no such
    user."""
    from bot.app import open_for_reading, utc_now
    from dialogs.registry import default_scripts
    from prompts.catalog import default_catalog
    from service.export import export_user
    from service.export_page import export_page
    from service.inputs import valid_text
    from service.render import Renderer
    from storage.database import create_sessionmaker
    from storage.users import get_user

    scripts, catalog = default_scripts(), default_catalog()
    async with open_for_reading(settings) as engine, create_sessionmaker(engine).begin() as session:
        user = await get_user(session, user_id)
        if user is None:
            print(f"coachbot: no user with id {user_id}", file=sys.stderr)
            return None
        data = await export_user(session, user, scripts, catalog, utc_now())
    # Text saved before inputs were made valid UTF-8 may hold a lone surrogate: shown as U+FFFD.
    return valid_text(export_page(data, scripts, Renderer(catalog, user.language)) if form == "html"
                      else json.dumps(data, ensure_ascii=False, indent=2))


def _export(settings: Settings, user_id: int, form: str, output: Path | None) -> int:
    """`coachbot export`: to stdout (also for `-o -`; a reader that stops early is fine), or
    into a file."""
    from bot.outputs import to_stdout, write_output

    text = asyncio.run(_export_text(settings, user_id, form))
    if text is None:
        return 1
    if output is not None and not to_stdout(output):
        if problem := write_output(output, text + "\n"):
            print(f"coachbot: {problem}", file=sys.stderr)
            return 1
        print(f"coachbot: wrote {output}", file=sys.stderr)
        return 0
    print(text, flush=True)  # a reader that stops early: see `_reader_gone`
    return 0


if __name__ == "__main__":
    sys.exit(main())
