from __future__ import annotations

import pytest

from storage.db import Database
from tests.conftest import FakeClock
from tests.flows.harness import Harness


@pytest.fixture
def harness(database: Database, clock: FakeClock) -> Harness:
    return Harness(database, clock, owner_ids=frozenset({42}))
