"""The clock-moved leg (`make test-clock`): with TRADEPORT_TEST_CLOCK_DAYS=N every test runs with the
clock N days ahead, so a date written into a test or into the code fails there before it goes stale.
TRADEPORT_TEST_CLOCK_UTC=HH:MM also sets the time of day (UTC) the run starts at.

The travel starts when pytest is configured: after Django and the product are imported (a date frozen
at import time then differs from the moved today and shows up), but before collection and before any
fixture, session-scoped ones included. It ticks, so time still passes during a test.

Tests marked `external` (applied here from the fixtures they use: a server in another process, whose
clock cannot be moved) and `browser` tests are deselected in that leg.
"""

import datetime
import os

import pytest
import time_machine

CLOCK_DAYS = "TRADEPORT_TEST_CLOCK_DAYS"
CLOCK_UTC = "TRADEPORT_TEST_CLOCK_UTC"
# Fixtures whose server runs in another process (Dovecot) or behind a browser (live_server).
EXTERNAL_FIXTURES = frozenset({"dovecot", "dovecot_user", "live_server"})

_travel = pytest.StashKey[time_machine.travel]()


def clock_days() -> int:
    value = os.environ.get(CLOCK_DAYS, "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_DAYS} must be a whole number of days, not {value!r}") from None


def destination(days: int) -> datetime.datetime:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    at = os.environ.get(CLOCK_UTC, "").strip()
    if at:
        try:
            moment = datetime.datetime.combine(moment.date(), datetime.time.fromisoformat(at), datetime.UTC)
        except ValueError:
            raise pytest.UsageError(f"{CLOCK_UTC} must be a time like 16:30, not {at!r}") from None
    return moment


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    days = clock_days()
    if days:
        travel = time_machine.travel(destination(days), tick=True)
        travel.start()
        config.stash[_travel] = travel


def pytest_unconfigure(config):
    travel = config.stash.get(_travel, None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    if _travel in config.stash:
        return f"clock moved {clock_days()} days ahead: now is {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if EXTERNAL_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.external)
    if _travel not in config.stash:
        return
    keep, dropped = [], []
    for item in items:
        real_clock = item.get_closest_marker("external") or item.get_closest_marker("browser")
        (dropped if real_clock else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
