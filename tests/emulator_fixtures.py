"""Pytest plugin: an ``emulator`` fixture serving a fresh emulated Telegram per test.

Enable it with ``pytest_plugins = ["tests.emulator_fixtures"]`` in a conftest, or import the
fixture into one. The fixture yields a :class:`~bot.emulator.RunningEmulator` with ``.world``,
``.base_url`` and ``.token``.

At teardown every Bot API call the emulator received is checked against the official spec
(see :mod:`tests.spec_conformance`) and the test fails listing what broke it. A test that sends
wrong calls on purpose, to check the emulator's error answers, is marked
``@pytest.mark.spec_violations_expected``: then only the calls the emulator accepted are checked.
Without the spec file the check is skipped with a warning, except in CI (``$CI`` set), where that
is an error.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest

from bot.emulator import CallRecord, RunningEmulator, World, start_emulator
from tests.spec_conformance import SPEC_ENV, in_ci, load_spec, spec_path, violations

OPT_OUT_MARKER = "spec_violations_expected"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OPT_OUT_MARKER}: the test sends Bot API calls that break the spec on purpose, "
        "to check the emulator's error answers; only the calls it accepted are checked",
    )


@pytest.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[RunningEmulator]:
    """A Bot API emulator on a free local port, stopped after the test."""
    running = await start_emulator(World())
    try:
        yield running
    finally:
        await running.stop()
    marked = request.node.get_closest_marker(OPT_OUT_MARKER) is not None
    check_spec_conformance(running.world.calls, skip_rejected=marked)


def check_spec_conformance(calls: Sequence[CallRecord], skip_rejected: bool = False) -> None:
    """Fails the current test if any call breaks the Bot API spec.

    Args:
        calls: The calls the emulator received, in order.
        skip_rejected: Leave out the calls the emulator answered with an error (a test marked
            ``spec_violations_expected`` sends those on purpose).
    """
    path = spec_path()
    if not path.is_file():
        message = f"Bot API spec not found at {path} (set {SPEC_ENV} to its path)"
        if in_ci():
            pytest.fail(f"{message}; the spec conformance check cannot run", pytrace=False)
        warnings.warn(f"{message}; spec conformance not checked", pytest.PytestWarning, 2)
        return
    spec = load_spec(path)
    found = Counter(
        f"{call.method}: {problem}"
        for call in calls
        if call.ok or not skip_rejected
        for problem in violations(call.method, call.params, spec)
    )
    if found:
        lines = [
            f"  {line}" + (f"  (x{count})" if count > 1 else "") for line, count in found.items()
        ]
        pytest.fail(
            f"Bot API calls break the spec ({spec.version}, {path}):\n"
            + "\n".join(lines)
            + f"\nIf the test sends them on purpose, mark it @pytest.mark.{OPT_OUT_MARKER}.",
            pytrace=False,
        )
