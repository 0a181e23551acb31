"""The `townsquare` command: run the bot, migrate, start the emulator, organiser commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from admin.roles import ASSIGNABLE, RoleError, set_role
from admin.topics import TopicError, add_followable, archive_followable, list_followables
from bot.config import Settings, SettingsError, load_settings
from bot.runtime import StartupError, run, setup_logging
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Followable, FollowKind, Role

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
    except (StartupError, TopicError, RoleError) as exc:
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
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as uow:
            now = datetime.now(UTC)
            if args.command == "role":
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
