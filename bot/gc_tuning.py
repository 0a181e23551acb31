"""Garbage collection tuned for a long-running bot that keeps many objects alive.

CPython's cyclic collector runs every 700 allocations and re-examines every object a
generation holds. A running bot holds hundreds of thousands of long-lived objects (modules,
the aiogram and pydantic type machinery, SQLAlchemy's mappers), and handling one update
allocates thousands of short-lived ones, so with the defaults the collector walks the same
long-lived objects again and again: in `bench/surveys.py` that was about a quarter of the
time spent answering.

Freezing what exists after start-up moves it out of the collector's sight (it is never freed
anyway), and a larger first generation lets the short-lived objects of a batch of updates die
by reference counting before a collection looks at them. Cycles are still collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # allocations between collections of the youngest generation
MIDDLE_THRESHOLD = 20  # young collections between collections of the middle one
OLD_THRESHOLD = 100  # middle collections between full ones


def tune_garbage_collection() -> None:
    """Freeze the objects alive now and collect young objects less often.

    Call once, after start-up imports and before serving.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
