"""The `townsquare` command: run the bot, migrate, start the emulator, organiser commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from admin.poll_files import (
    PollDefinition,
    draft_poll,
    dump_poll,
    followed,
    parse_poll,
    stored_definition,
)
from admin.roles import ASSIGNABLE, RoleError, set_role
from admin.survey_drafts import SurveyLocked, find_survey, save_draft
from admin.survey_files import DefinitionError, dump_definition, parse_definition
from admin.topics import TopicError, add_followable, archive_followable, list_followables
from bot.config import Settings, SettingsError, load_settings
from bot.runtime import StartupError, run, setup_logging
from flows.survey.definition import SurveyDefinition
from flows.survey.lifecycle import definition_of
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Followable, FollowKind, Role
from storage.uow import UnitOfWork

# What a setting or start-up problem exits with (argparse uses 2 for usage errors too).
EXIT_SETTINGS = 2
EXIT_FAILURE = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="townsquare", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling, or a webhook with WEBHOOK_URL)")
    commands.add_parser("migrate", help="bring the database schema up to date")

    emulator = commands.add_parser("emulator", help="serve the local Bot API emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument("--token", help="the token to accept (a test token by default)")

    topics = commands.add_parser("topics", help="topics and areas residents can follow")
    topic_commands = topics.add_subparsers(dest="topics_command", required=True)
    add = topic_commands.add_parser("add", help="add a topic or an area")
    add.add_argument("kind", choices=[k.value for k in FollowKind])
    add.add_argument("slug", help="short unique id: lower-case letters, digits, dashes")
    add.add_argument("english_name")
    add.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="LANGUAGE=NAME",
        help='the name in another language, e.g. --name zh_Hans="交通"',
    )
    topic_commands.add_parser("list", help="list topics and areas")
    archive = topic_commands.add_parser("archive", help="stop offering a topic or area")
    archive.add_argument("slug")
    archive.add_argument("--kind", choices=[k.value for k in FollowKind])

    survey = commands.add_parser("survey", help="survey definitions (YAML or JSON files)")
    survey_commands = survey.add_subparsers(dest="survey_command", required=True)
    survey_import = survey_commands.add_parser(
        "import", help="check a definition file and save it as a draft (or replace a draft)"
    )
    survey_import.add_argument("file", help="a .yaml, .yml or .json file")
    survey_export = survey_commands.add_parser("export", help="write a survey's definition as YAML")
    survey_export.add_argument("survey", metavar="ID_OR_SLUG", help="the survey's number or id")
    survey_export.add_argument("file", nargs="?", help="where to write it (default: stdout)")

    poll = commands.add_parser("poll", help="poll definitions (YAML or JSON files)")
    poll_commands = poll.add_subparsers(dest="poll_command", required=True)
    poll_import = poll_commands.add_parser(
        "import", help="check a poll file and save it as a draft (publish it from /polls)"
    )
    poll_import.add_argument("file", help="a .yaml, .yml or .json file with a top-level poll:")
    poll_export = poll_commands.add_parser("export", help="write a poll's definition as YAML")
    poll_export.add_argument("poll", metavar="ID", type=int, help="the poll's number")
    poll_export.add_argument("file", nargs="?", help="where to write it (default: stdout)")

    role = commands.add_parser("role", help="give someone a role")
    role_commands = role.add_subparsers(dest="role_command", required=True)
    role_set = role_commands.add_parser("set", help="set a member's role")
    role_set.add_argument("telegram_id", type=int)
    role_set.add_argument("role", choices=sorted(r.value for r in ASSIGNABLE))
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `townsquare` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "emulator":
            _serve_emulator(args)
            return
        settings = load_settings()
        if args.command == "run":
            run(settings)
            return
        setup_logging(settings)
        asyncio.run(_database_command(settings, args))
    except SettingsError as exc:
        _fail(str(exc), EXIT_SETTINGS)
    except DefinitionError as exc:
        for problem in exc.problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        _fail(f"{args.file} was not imported", EXIT_FAILURE)
    except (StartupError, TopicError, RoleError, SurveyLocked, DefinitionFileError) as exc:
        _fail(str(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        pass  # Ctrl-C before the bot's own signal handling is in place


def _fail(message: str, code: int) -> None:
    print(f"townsquare: {message}", file=sys.stderr)
    sys.exit(code)


def _serve_emulator(args: argparse.Namespace) -> None:
    from bot.emulator import serve_forever  # only this command needs the emulator loaded

    asyncio.run(serve_forever(args.host, args.port, args.token))


async def _database_command(settings: Settings, args: argparse.Namespace) -> None:
    await upgrade(settings.database_url)
    if args.command == "migrate":
        print("database is up to date")
        return
    definition = (
        _read_definition(args.file)
        if args.command == "survey" and args.survey_command == "import"
        else None
    )
    poll_definition = (
        _read_poll(args.file) if args.command == "poll" and args.poll_command == "import" else None
    )
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as uow:
            now = datetime.now(UTC)
            if definition is not None:
                saved = await save_draft(uow, definition, None, now)
                verb = "replaced the draft" if saved.replaced else "saved the draft"
                print(f"{verb} {saved.survey.slug} as survey {saved.survey.id}")
            elif args.command == "survey":
                await _export(uow, args.survey, args.file)
            elif poll_definition is not None:
                followable = await followed(uow, poll_definition)
                draft = await uow.polls.add(draft_poll(poll_definition, followable, now))
                print(f"saved poll {draft.id} as a draft: /polls in Telegram publishes it")
            elif args.command == "poll":
                await _export_poll(uow, args.poll, args.file)
            elif args.command == "role":
                change = await set_role(uow, args.telegram_id, Role(args.role), None, now)
                print(f"{args.telegram_id}: {change.previous} -> {args.role}")
            elif args.topics_command == "add":
                names = {"en": args.english_name, **_names(args.name)}
                item = await add_followable(uow, FollowKind(args.kind), args.slug, names, now)
                print(f"added {item.kind} {item.slug}")
            elif args.topics_command == "archive":
                kind = args.kind or _kind_of(await list_followables(uow), args.slug)
                await archive_followable(uow, FollowKind(kind), args.slug, now)
                print(f"archived {kind} {args.slug}")
            else:
                for item in await list_followables(uow):
                    state = " (archived)" if item.archived else ""
                    shown = ", ".join(f"{k}={v}" for k, v in sorted(item.names.items()))
                    print(f"{item.kind}\t{item.slug}\t{shown}{state}")
            await uow.commit()
    finally:
        await database.dispose()


class DefinitionFileError(Exception):
    """A survey or poll file that cannot be read or written, or no such survey or poll."""


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DefinitionFileError(f"cannot read {path}: {exc.strerror}") from exc


async def _write_out(content: bytes, path: str | None, what: str) -> None:
    """Write an exported file to `path`, or to standard output without one."""
    if path is None:
        sys.stdout.write(content.decode())
        return
    try:
        await asyncio.to_thread(Path(path).write_bytes, content)
    except OSError as exc:
        raise DefinitionFileError(f"cannot write {path}: {exc.strerror}") from exc
    print(f"wrote {what} to {path}", file=sys.stderr)


def _read_definition(path: str) -> SurveyDefinition:
    """Read and validate a survey file (before the database is opened).

    Raises:
        DefinitionFileError: the file cannot be read.
        DefinitionError: it is not a valid definition.
    """
    return parse_definition(_read_file(path), path)


async def _export(uow: UnitOfWork, reference: str, path: str | None) -> None:
    survey = await find_survey(uow, reference)
    if survey is None:
        raise DefinitionFileError(f"there is no survey {reference!r}")
    content = dump_definition(definition_of(survey))
    await _write_out(content, path, f"survey {survey.id} ({survey.slug})")


def _read_poll(path: str) -> PollDefinition:
    """Read and validate a poll file (before the database is opened).

    Raises:
        DefinitionFileError: the file cannot be read.
        DefinitionError: it is not a valid poll definition.
    """
    return parse_poll(_read_file(path), path)


async def _export_poll(uow: UnitOfWork, poll_id: int, path: str | None) -> None:
    poll = await uow.polls.get(poll_id)
    if poll is None:
        raise DefinitionFileError(f"there is no poll {poll_id}")
    await _write_out(dump_poll(await stored_definition(uow, poll)), path, f"poll {poll.id}")


def _names(pairs: Sequence[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for pair in pairs:
        language, separator, name = pair.partition("=")
        if not separator:
            raise TopicError(f"--name {pair!r}: expected LANGUAGE=NAME, e.g. zh_Hans=交通")
        names[language.strip()] = name
    return names


def _kind_of(items: Sequence[Followable], slug: str) -> str:
    """Find whether `slug` is a topic or an area when the organiser did not say."""
    kinds = sorted({str(item.kind) for item in items if item.slug == slug})
    if not kinds:
        raise TopicError(f"no topic or area called {slug!r}")
    if len(kinds) > 1:
        raise TopicError(f"both a topic and an area are called {slug!r}: add --kind")
    return kinds[0]
