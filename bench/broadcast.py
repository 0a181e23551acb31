"""Broadcast benchmark: how close a bulk send comes to the rate Telegram allows.

A broadcast to 20,000 members goes the whole way a real one does: outbox rows in the database,
the outbox worker of a `townsquare run` process, the outbound path and its rate limiter, the
framework's bot (aiogram, or PTB with --framework ptb), HTTP, and the Bot API emulator enforcing
Telegram-like limits scaled up (300 messages/s in total by default, 1/s per chat). The bot's
limit is set to the same total. Target: achieved/allowed >= 0.9, no 429, none lost or repeated.

It runs 16 senders (OUTBOX_CONCURRENCY; 8 by default in production): senders needed is about
rate x (one send + recording it), and 300/s is ten times Telegram's default limit.

    python bench/broadcast.py [--recipients N] [--rate R] [--framework ptb]
                              [--database-url postgresql+asyncpg://user@host/db]

With --database-url, a scratch database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch import scratch_database  # noqa: E402 - beside this script

from bot.emulator import CallRecord, World, start_emulator  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Member, MemberStatus  # noqa: E402
from storage.repositories.outbox import Recipient  # noqa: E402

TEXT = "The park reopens on Saturday."
STALL_SECONDS = 30.0  # no new message for this long: stop waiting, count the rest as lost


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=300, help="messages/s, emulator and bot")
    parser.add_argument("--framework", choices=["aiogram", "ptb"], default="aiogram")
    parser.add_argument("--concurrency", type=int, default=16, help="OUTBOX_CONCURRENCY")
    parser.add_argument("--database-url", help="a PostgreSQL server to use (SQLite otherwise)")
    return parser.parse_args()


async def seed(database_url: str, world: World, count: int) -> None:
    """`count` members who started the bot, and one outbox row each."""
    await upgrade(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    try:
        async with database.unit_of_work() as uow:
            members = []
            for index in range(count):
                person = world.user(f"Member {index}")
                person.started = True
                members.append(
                    Member(
                        telegram_id=person.id,
                        first_name=person.first_name,
                        language="en",
                        status=MemberStatus.ACTIVE,
                        consent_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
            uow.session.add_all(members)
            await uow.flush()
            recipients = [Recipient(m.telegram_id, m.id) for m in members if m.telegram_id]
            payload = {"text": TEXT, "buttons": []}
            await uow.outbox.enqueue("bench:1", recipients, payload, now, now)
            await uow.commit()
    finally:
        await database.dispose()


async def main() -> None:
    args = arguments()
    world = World()
    world.rate_limit(per_second_total=args.rate, per_chat_per_second=1, per_group_per_minute=20)
    sent_at: list[float] = []
    refused = Counter[int]()
    log_call = world.log_call

    def stamping(record: CallRecord) -> None:
        if record.method == "sendMessage":
            if record.ok:
                sent_at.append(time.monotonic())
            else:
                refused[record.error_code or 0] += 1
        log_call(record)

    world.log_call = stamping  # type: ignore[method-assign]
    emulator = await start_emulator(world)
    async with scratch_database(args.database_url) as database_url:
        await seed(database_url, world, args.recipients)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": emulator.token,
            "BOT_FRAMEWORK": args.framework,
            "TELEGRAM_API_URL": emulator.base_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_GLOBAL_PER_SECOND": str(args.rate),
            "OUTBOX_CONCURRENCY": str(args.concurrency),
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from bot.cli import main; main()", "run", env=env
        )
        try:
            last_count, last_change = 0, time.monotonic()
            while len(sent_at) < args.recipients:
                await asyncio.sleep(0.2)
                if len(sent_at) != last_count:
                    last_count, last_change = len(sent_at), time.monotonic()
                elif time.monotonic() - last_change > STALL_SECONDS:
                    break
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
    await emulator.stop()

    copies = Counter(
        call.params["chat_id"]
        for call in world.calls_of("sendMessage")
        if call.ok and call.params.get("text") == TEXT
    )
    seconds = sent_at[-1] - sent_at[0] if len(sent_at) > 1 else float("nan")
    achieved = (len(sent_at) - 1) / seconds
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(f"broadcast via {args.framework} on {where}, {args.concurrency} senders")
    print(f"recipients     {args.recipients}")
    print(f"seconds        {seconds:.2f}  (first message to last)")
    print(f"achieved rate  {achieved:.1f} messages/s")
    print(f"allowed rate   {args.rate} messages/s")
    print(f"ratio          {achieved / args.rate:.3f}  (target >= 0.9)")
    print(f"429s received  {refused[429]}")
    print(f"lost           {args.recipients - len(copies)}")
    print(f"duplicated     {sum(count - 1 for count in copies.values())}")


if __name__ == "__main__":
    asyncio.run(main())
