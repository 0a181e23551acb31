"""Updates per second: the full Townsquare stack next to bare aiogram, measured in one run.

Both sides get the same updates (residents sending /help in private chats, each answered with a
message) through the same aiogram `Dispatcher.feed_update`, and both answer through an aiogram
`Bot` whose session replies at once without a network, so the difference is exactly what
Townsquare adds: translation, the engine (ordering, update-id dedupe, member and conversation
loaded, one transaction committed), the router and flow, and the outbound path.

    python bench/updates.py [--updates 3000] [--people 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import time

# `inprocess` (beside this script) also puts the checkout on sys.path for the imports after it.
from inprocess import (
    bare_aiogram,
    command_updates,
    feed,
    seed_members,
    townsquare_stack,
)
from scratch import scratch_database

from bot.gc_tuning import tune_garbage_collection
from storage.migrate import upgrade


async def townsquare(count: int, people: int, database_url: str) -> tuple[float, int]:
    async with townsquare_stack(database_url) as stack:
        updates = command_updates(stack.bot, count, people)
        started = time.perf_counter()
        await feed(stack.dispatcher, stack.bot, updates)
        await stack.in_flight.drain()
        return time.perf_counter() - started, stack.session.sent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--database-url", help="a PostgreSQL server to use (SQLite otherwise)")
    args = parser.parse_args()

    async with scratch_database(args.database_url) as url:
        await upgrade(url)
        await seed_members(url, args.people)
        await bare_aiogram(200, args.people)  # warm up (imports, caches)
        bare_seconds, bare_sent = await bare_aiogram(args.updates, args.people)
        ours_seconds, ours_sent = await townsquare(args.updates, args.people, url)

    bare_rate = args.updates / bare_seconds
    ours_rate = args.updates / ours_seconds
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"updates:                 {args.updates} from {args.people} people ({engine})")
    print(f"bare aiogram:            {bare_rate:8.0f} updates/s  ({bare_sent} replies)")
    print(f"Townsquare full stack:   {ours_rate:8.0f} updates/s  ({ours_sent} replies)")
    print(f"ratio (target >= 0.5):   {ours_rate / bare_rate:8.2f}")


if __name__ == "__main__":
    tune_garbage_collection()  # as `townsquare run` does; both sides run under it
    asyncio.run(main())
