"""Failed-login throttling that an outsider cannot turn against the real user (ACC-02, ADM-05): the pause
per account grows with every failure, an address that fails for many accounts is locked, and a browser
that logged in successfully before gets in despite both."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.test_sessions import PASSWORD, login
from conftest import make_account
from tradeport.audit.models import SystemLogEntry
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db
Event = SystemLogEntry.Event


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def lily(db):
    SystemOption.objects.create(key="login_failure_limit", value=3)
    return make_account("lily", template="employee", employee_name="李丽", password=PASSWORD)


def refused_for_account(response) -> bool:
    return response.status_code == 403 and "Too many failed logins for this account" in response.content.decode()


def test_the_pause_doubles_with_every_failure_past_the_limit(lily):
    """ACC-02: at the limit 1 minute, after one more failure 2 minutes, then 4; the message names the wait."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert login(Client(), "lily", "wrong").status_code == 403
        response = login(Client(), "lily")
        assert refused_for_account(response)
        assert "Try again in 1 minute" in response.content.decode()
        clock.shift(dt.timedelta(seconds=61))
        assert login(Client(), "lily", "wrong").status_code == 403  # a try is allowed again: fails (4)
        clock.shift(dt.timedelta(seconds=61))
        response = login(Client(), "lily")
        assert refused_for_account(response)
        assert "Try again in 1 minute" in response.content.decode()  # 59 seconds of 2 minutes are left
        clock.shift(dt.timedelta(seconds=60))
        assert login(Client(), "lily", "wrong").status_code == 403  # (5): now 4 minutes
        clock.shift(dt.timedelta(minutes=3))
        assert refused_for_account(login(Client(), "lily"))
        clock.shift(dt.timedelta(minutes=1, seconds=1))
        assert login(Client(), "lily").status_code == 302


def test_the_pause_never_exceeds_thirty_minutes(lily):
    """ACC-02: however many failures, half an hour later the right password gets in."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(20):
            SystemLogEntry.objects.create(event=Event.FAILED, username="lily", reason="wrong username or password",
                                          created_at=timezone.now())
        assert refused_for_account(login(Client(), "lily"))
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        assert login(Client(), "lily").status_code == 302


def test_a_browser_that_logged_in_before_is_not_locked_out_by_someone_else(lily):
    """ACC-02: an outsider fails five times for lily; lily's own browser, which logged in yesterday,
    still gets in with the right password, and a new browser is held up."""
    own_browser = Client()
    assert login(own_browser, "lily").status_code == 302
    own_browser.post(reverse("accounts:logout"))
    for n in range(5):
        assert login(Client(), "lily", "wrong", REMOTE_ADDR=f"10.1.1.{n}").status_code == 403
    assert refused_for_account(login(Client(), "lily"))
    assert login(own_browser, "lily").status_code == 302


def test_a_known_browser_is_throttled_by_its_own_failures(lily):
    """ACC-02: the cookie is no master key: failures made from the known browser pause it too."""
    own_browser = Client()
    assert login(own_browser, "lily").status_code == 302
    own_browser.post(reverse("accounts:logout"))
    for _ in range(3):
        assert login(own_browser, "lily", "wrong").status_code == 403
    assert refused_for_account(login(own_browser, "lily"))


def test_a_known_browser_passes_the_lock_of_its_address(lily):
    """ACC-02: twelve failures from the office's one address lock it; lily's known browser behind the
    same address still logs in, a new browser there does not."""
    own_browser = Client(REMOTE_ADDR="10.9.9.9")
    assert login(own_browser, "lily").status_code == 302
    own_browser.post(reverse("accounts:logout"))
    for n in range(12):
        assert login(Client(), f"guess{n}", "wrong", REMOTE_ADDR="10.9.9.9").status_code == 403
    stranger = login(Client(), "lily", REMOTE_ADDR="10.9.9.9")
    assert "Too many failed logins from your address" in stranger.content.decode()
    assert login(own_browser, "lily").status_code == 302


def test_a_forged_known_device_cookie_counts_for_nothing(lily):
    """ACC-02: the cookie is signed; one written by hand is ignored."""
    for _ in range(3):
        login(Client(), "lily", "wrong")
    forged = Client()
    forged.cookies["tp_known"] = "lily"
    assert refused_for_account(login(forged, "lily"))
