"""Polls benchmark: thousands of people voting in one group poll at once, over HTTP.

A `townsquare run` process serves a Bot API emulator that enforces Telegram-like limits (20
messages or edits a minute per group). A single-choice poll is posted in a group; then 5,000
distinct members tap its buttons as fast as the emulator takes them. It prints:

- votes/s: taps answered per second, first tap to last answer;
- bare aiogram's rate for the same taps against the same emulator, measured in the same run
  (`bench/bare_callback_bot.py`, which answers each press and does nothing else), and the ratio
  (target >= 0.5);
- whether every vote was counted exactly once (ballots in the database, per option);
- the edits of the group message (at most 20 in any minute) and 429s (none);
- whether the message shows the exact result after the last vote.

    python bench/polls.py [--voters 5000] [--database-url postgresql+asyncpg://user@host/db]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup  # noqa: E402
from scratch import scratch_database  # noqa: E402 - beside this script
from sqlalchemy import select  # noqa: E402

from bot.emulator import CallRecord, World, start_emulator  # noqa: E402
from bot.emulator.models import Group, User  # noqa: E402
from bot.emulator.views import ChatMessage  # noqa: E402
from flows.config import CommunityConfig  # noqa: E402
from flows.effects import keyboard_to_data  # noqa: E402
from flows.i18n import translator  # noqa: E402
from flows.poll.facts import rules_of  # noqa: E402
from flows.poll.message import poll_buttons, poll_text  # noqa: E402
from flows.poll.tally import tally  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Ballot,
    CommunityChat,
    Poll,
    PollAudience,
    PollStatus,
    PollVisibility,
)
from storage.repositories.outbox import Recipient  # noqa: E402
from storage.repositories.polls import post_batch  # noqa: E402

OPTIONS = [("n1", "Night bus N1"), ("n2", "Night bus N2"), ("n3", "Night bus N3"), ("no", "None")]
SHARES = (4, 3, 2, 1)  # of every ten voters, how many choose each option: distinct counts
QUESTION = "Which night bus should run first?"
GROUP_EDITS_PER_MINUTE = 20
SETTLE_SECONDS = 30.0  # after the last answer, how long the final result may take to show
STALL_SECONDS = 60.0  # no answer for this long: stop waiting


@dataclass
class Side:
    """What one bot did with the taps."""

    seconds: float = float("nan")
    answered: int = 0  # button presses answered (answerCallbackQuery)
    last_answer: float = float("nan")
    edits: list[float] = field(default_factory=list)  # when each edit of the group message landed
    refused: Counter[int] = field(default_factory=Counter)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--database-url", help="a PostgreSQL server to use (SQLite otherwise)")
    return parser.parse_args()


def world_with_group(voters: int) -> tuple[World, Group, list[User], Side]:
    """An emulated Telegram with a group of `voters` members (and the bot in it)."""
    world = World()
    # Telegram's limits on what the bot sends (taps are answered outside them): the group's
    # 20 a minute is what live results meet.
    world.rate_limit(per_second_total=30, per_chat_per_second=1, per_group_per_minute=20)
    people = [world.user(f"Voter {n}") for n in range(voters)]
    group = world.group("Elm Street residents", members=people)
    group.bot_status = "administrator"
    side = Side()
    log_call = world.log_call

    def stamping(record: CallRecord) -> None:
        chat_id = record.params.get("chat_id")
        if record.method == "answerCallbackQuery" and record.ok:
            side.answered += 1
            side.last_answer = time.monotonic()
        elif record.method == "editMessageText" and chat_id == group.id:
            if record.ok:
                side.edits.append(time.monotonic())
            else:
                side.refused[record.error_code or 0] += 1
        log_call(record)

    world.log_call = stamping  # type: ignore[method-assign]
    return world, group, people, side


async def seed_poll(database_url: str, group: Group) -> int:
    """The group as a community chat, an open poll, and its post waiting in the outbox."""
    await upgrade(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    t = translator("en")
    config = CommunityConfig("bench_bot")
    try:
        async with database.unit_of_work() as uow:
            uow.session.add(
                CommunityChat(chat_id=group.id, title=group.title, kind="supergroup", added_at=now)
            )
            poll = await uow.polls.add(
                Poll(
                    question=QUESTION,
                    options=[{"id": key, "text": text} for key, text in OPTIONS],
                    kind="single",
                    visibility=PollVisibility.ALWAYS,
                    audience=PollAudience.GROUPS,
                    status=PollStatus.OPEN,
                    created_at=now,
                    updated_at=now,
                    opened_at=now,
                )
            )
            await uow.polls.add_posts(poll.id, [group.id], now)
            payload = {
                "text": poll_text(poll, tally(rules_of(poll), []), t, config),
                "buttons": keyboard_to_data(poll_buttons(poll, t, config)),
            }
            await uow.outbox.enqueue(
                post_batch(poll.id), [Recipient(group.id, None)], payload, now, now
            )
            await uow.commit()
            return poll.id
    finally:
        await database.dispose()


async def post_plainly(base_url: str, token: str, group: Group) -> None:
    """For the bare bot: a message with the same buttons, sent through the emulator."""
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    buttons = [
        [InlineKeyboardButton(text=text, callback_data=f"1:pl.v:1:{key}")] for key, text in OPTIONS
    ]
    try:
        await bot.send_message(
            group.id, QUESTION, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )
    finally:
        await bot.session.close()


async def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def choice_of(n: int) -> int:
    """The option the n-th voter picks (SHARES of every ten)."""
    slot, option = n % sum(SHARES), 0
    while slot >= SHARES[option]:
        slot -= SHARES[option]
        option += 1
    return option


async def vote(world: World, group: Group, people: list[User], side: Side) -> None:
    """Every person taps one option of the bot's message; time until all are answered."""
    message = world.last_bot_message(group)
    assert message is not None and message.buttons, "the poll message has no buttons"
    data = [b.callback_data for b in message.flat_buttons if b.callback_data]
    started = time.monotonic()
    for n, person in enumerate(people):
        await world.press(person, message, data=data[choice_of(n)])
    last_count, last_change = 0, time.monotonic()
    while side.answered < len(people):
        if side.answered != last_count:
            last_count, last_change = side.answered, time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            break
        await asyncio.sleep(0.05)
    side.seconds = side.last_answer - started


async def run_bot(
    command: list[str], env: dict[str, str], body: Callable[[], Awaitable[None]]
) -> None:
    """Run a bot process around `body`, then stop it as a service manager would."""
    process = await asyncio.create_subprocess_exec(*command, env=env)
    try:
        await body()
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


def base_env(base_url: str, token: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": token,
        "TELEGRAM_API_URL": base_url,
        "LOG_LEVEL": "WARNING",
    }


async def townsquare(voters: int, database_url: str | None) -> tuple[Side, dict[str, int], str]:
    """Townsquare's side: votes/s, ballots stored per option, the message's final text."""
    world, group, people, side = world_with_group(voters)
    emulator = await start_emulator(world)
    stored: dict[str, int] = {}
    final_text = ""
    async with scratch_database(database_url) as url:
        poll_id = await seed_poll(url, group)
        env = {**base_env(emulator.base_url, emulator.token), "DATABASE_URL": url}
        env["BOT_FRAMEWORK"] = "aiogram"

        async def body() -> None:
            nonlocal final_text
            posted = await wait_for(lambda: _has_buttons(world.last_bot_message(group)), 60)
            assert posted, "the poll was never posted"
            await vote(world, group, people, side)
            expected = expected_counts(voters)
            await wait_for(
                lambda: shows(_text(world.last_bot_message(group)), expected), SETTLE_SECONDS
            )
            final_text = _text(world.last_bot_message(group))

        command = [sys.executable, "-c", "from bot.cli import main; main()", "run"]
        await run_bot(command, env, body)
        database = Database(url)
        try:
            async with database.unit_of_work() as uow:
                rows = await uow.session.execute(
                    select(Ballot.choices).where(Ballot.poll_id == poll_id)
                )
                for (choices,) in rows:
                    for option in choices:
                        stored[option] = stored.get(option, 0) + 1
        finally:
            await database.dispose()
    await emulator.stop()
    return side, stored, final_text


async def bare(voters: int) -> Side:
    """Bare aiogram's side: the same taps, answered and nothing else."""
    world, group, people, side = world_with_group(voters)
    emulator = await start_emulator(world)
    await post_plainly(emulator.base_url, emulator.token, group)

    async def body() -> None:
        await asyncio.sleep(1.0)  # let it start polling
        await vote(world, group, people, side)

    script = str(ROOT / "bench" / "bare_callback_bot.py")
    await run_bot([sys.executable, script], base_env(emulator.base_url, emulator.token), body)
    await emulator.stop()
    return side


def _has_buttons(message: ChatMessage | None) -> bool:
    return message is not None and bool(message.buttons)


def _text(message: ChatMessage | None) -> str:
    return message.body if message is not None else ""


def expected_counts(voters: int) -> dict[str, int]:
    """Option label -> the votes it gets."""
    counts = Counter(choice_of(n) for n in range(voters))
    return {text: counts[index] for index, (_key, text) in enumerate(OPTIONS)}


def shows(text: str, expected: dict[str, int]) -> bool:
    """Whether the poll message shows exactly these counts: each label, then "█… N (p%)"."""
    lines = text.splitlines()
    for label, count in expected.items():
        if label not in lines:
            return False
        figures = lines[lines.index(label) + 1] if lines.index(label) + 1 < len(lines) else ""
        if f" {count} (" not in figures:
            return False
    return True


def most_in_a_minute(times: list[float]) -> int:
    """The most edits that landed within any 60 seconds."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 60:
            start += 1
        best = max(best, end - start + 1)
    return best


async def main() -> None:
    args = arguments()
    ours, stored, final_text = await townsquare(args.voters, args.database_url)
    theirs = await bare(args.voters)
    expected = expected_counts(args.voters)
    by_key = {key: expected[text] for key, text in OPTIONS}
    where = "PostgreSQL" if args.database_url else "SQLite"
    ours_rate, bare_rate = ours.answered / ours.seconds, theirs.answered / theirs.seconds
    print(f"{args.voters} people voting in one group poll ({where}, aiogram, over HTTP)")
    print(f"Townsquare:        {ours_rate:8.0f} votes/s  ({ours.answered} answered)")
    print(f"bare aiogram:      {bare_rate:8.0f} taps/s   ({theirs.answered} answered)")
    print(f"ratio (target >= 0.5): {ours_rate / bare_rate:.2f}")
    print(f"ballots stored:    {sum(stored.values())}  (exactly as cast: {stored == by_key})")
    print(
        f"group edits:       {len(ours.edits)}, at most {most_in_a_minute(ours.edits)} in a "
        f"minute (limit {GROUP_EDITS_PER_MINUTE}); 429s: {ours.refused[429]}"
    )
    print(f"final result shown exactly: {shows(final_text, expected)}")


if __name__ == "__main__":
    asyncio.run(main())
