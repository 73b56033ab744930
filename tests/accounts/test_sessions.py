"""Logins, seats and their end: logout, replacement, idle timeout, forced logout (ACC-02..05, ACC-13, PERS-04)."""

import pytest
from django.contrib.auth import get_user
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from conftest import make_account
from tradeport.accounts.models import Account, OnlineSession
from tradeport.accounts.services import expire_idle_logins
from tradeport.audit.models import SystemLogEntry
from tradeport.org.models import Employee
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db
Event = SystemLogEntry.Event
PASSWORD = "Sesame-2026"


def new_employee(code: str, name: str, **fields) -> Employee:
    """An employee row; gives it a department when the model requires one."""
    model_fields = {f.name: f for f in Employee._meta.concrete_fields}
    department = model_fields.get("department")
    if department is not None and not department.null and "department" not in fields:
        fields["department"], _ = department.related_model.objects.get_or_create(
            code="T01", defaults={"name": "测试部"})
    return Employee.objects.create(code=code, name=name, **fields)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def login(client, username, password=PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def logged_in(client, username, password=PASSWORD, **extra) -> Client:
    response = login(client, username, password, **extra)
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def events(username: str) -> list[str]:
    return list(SystemLogEntry.objects.filter(username=username).order_by("created_at", "id")
                .values_list("event", flat=True))


def session_user(session_key: str):
    """Whom a stored session would authenticate as, checked the way Django checks each request."""
    request = RequestFactory().get("/")
    request.session = SessionStore(session_key=session_key)
    return get_user(request)


# ACC-02: a successful login -------------------------------------------------------

def test_login_takes_a_seat_and_is_logged(client, salesperson):
    """ACC-02, ACC-04, ADM-08: a login creates the online row with address and browser, and a log entry."""
    logged_in(client, "lily", REMOTE_ADDR="192.168.1.20", HTTP_USER_AGENT="Firefox/140")
    online = OnlineSession.objects.get(account=salesperson)
    assert online.takes_seat
    assert online.session_key == client.session.session_key
    assert (online.ip_address, online.user_agent) == ("192.168.1.20", "Firefox/140")
    entry = SystemLogEntry.objects.get(username="lily", event=Event.LOGIN)
    assert (entry.account, entry.ip_address, entry.user_agent) == (salesperson, "192.168.1.20", "Firefox/140")


def test_login_follows_a_local_next_and_ignores_a_foreign_one(client, salesperson):
    """ACC-02: after login the user returns to the page asked for, but never to another site."""
    response = client.post(reverse("accounts:login") + "?next=/preferences/",
                           {"username": "lily", "password": PASSWORD})
    assert response["Location"] == "/preferences/"
    other = Client()
    response = other.post(reverse("accounts:login"),
                          {"username": "lily", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("workbench")


def test_admin_login_takes_no_seat(client, admin_account):
    """ACC-04: `admin` never takes a seat."""
    logged_in(client, "admin")
    assert not OnlineSession.objects.get(account=admin_account).takes_seat


# ACC-13: logout ------------------------------------------------------------------------

def test_logout_frees_the_seat_at_once_and_is_logged(client, salesperson):
    """ACC-13, ACC-04: POST logout removes the online row, ends the session and writes 'logout'."""
    logged_in(client, "lily")
    key = client.session.session_key
    response = client.post(reverse("accounts:logout"))
    assert sent_to_login(response)
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    assert not Session.objects.filter(session_key=key).exists()
    assert events("lily") == [Event.LOGIN, Event.LOGOUT]
    assert sent_to_login(client.get(reverse("workbench")))


@override_settings(TRADEPORT_SEATS=1)
def test_logout_lets_the_next_person_in_when_seats_are_full(salesperson):
    """ACC-04, ACC-13: with one seat, a second account gets in right after the first logs out."""
    make_account("mike")
    first = logged_in(Client(), "lily")
    assert login(Client(), "mike").status_code == 403
    first.post(reverse("accounts:logout"))
    assert login(Client(), "mike").status_code == 302


def test_logout_by_get_is_refused(client, salesperson, signed_in):
    """ACC-13: logout only by POST (a link or an image cannot log anyone out)."""
    signed_in(client, salesperson)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert OnlineSession.objects.filter(account=salesperson).exists()
    assert client.get(reverse("workbench")).status_code == 200


def test_logout_shows_a_message_on_the_login_page(client, salesperson):
    """ACC-13: the user returns to the login page with a confirmation."""
    logged_in(client, "lily")
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You have logged out." in response.content.decode()


# ACC-04: a new login replaces the earlier one ------------------------------------------------

def test_second_login_replaces_the_first(salesperson):
    """ACC-04: a login elsewhere ends the earlier one and keeps a single online row."""
    first = logged_in(Client(), "lily", REMOTE_ADDR="192.168.1.10")
    second = logged_in(Client(), "lily", REMOTE_ADDR="192.168.1.11")
    assert OnlineSession.objects.filter(account=salesperson).count() == 1
    assert OnlineSession.objects.get(account=salesperson).session_key == second.session.session_key
    response = first.get(reverse("workbench"))
    assert sent_to_login(response)
    assert second.get(reverse("workbench")).status_code == 200
    replaced = SystemLogEntry.objects.get(username="lily", event=Event.REPLACED)
    assert replaced.ip_address == "192.168.1.10"


def test_replaced_login_is_told_why(salesperson):
    """ACC-04: the replaced browser sees a message explaining the end of its login."""
    first = logged_in(Client(), "lily")
    logged_in(Client(), "lily")
    response = first.get(reverse("workbench"), follow=True)
    assert "your account logged in elsewhere" in response.content.decode()


@override_settings(TRADEPORT_SEATS=1)
def test_replacing_login_does_not_need_a_second_seat(salesperson):
    """ACC-04: with all seats taken by this account, its own new login still succeeds."""
    logged_in(Client(), "lily")
    logged_in(Client(), "lily")
    assert OnlineSession.objects.filter(takes_seat=True).count() == 1


# ACC-04: idle timeout ------------------------------------------------------------------------------

def test_idle_login_is_ended_on_its_next_request(client, salesperson):
    """ACC-04: after the idle timeout the next request goes to login, the row is gone, 'timeout' logged."""
    logged_in(client, "lily")
    OnlineSession.objects.filter(account=salesperson).update(
        last_seen_at=timezone.now() - timezone.timedelta(minutes=31))
    response = client.get(reverse("workbench"))
    assert sent_to_login(response)
    assert "next=/" in response["Location"]
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    assert Event.TIMEOUT in events("lily")
    assert sent_to_login(client.get(reverse("workbench")))


def test_idle_logout_is_explained_on_the_login_page(client, salesperson):
    """ACC-04: the user whose login timed out is told why on the login page."""
    logged_in(client, "lily")
    OnlineSession.objects.filter(account=salesperson).update(
        last_seen_at=timezone.now() - timezone.timedelta(minutes=31))
    response = client.get(reverse("workbench"), follow=True)
    assert "You were logged out after being idle." in response.content.decode()


def test_activity_within_the_timeout_keeps_the_login(client, salesperson):
    """ACC-04: a request inside the timeout keeps the login and moves its last activity."""
    logged_in(client, "lily")
    earlier = timezone.now() - timezone.timedelta(minutes=29)
    OnlineSession.objects.filter(account=salesperson).update(last_seen_at=earlier)
    assert client.get(reverse("workbench")).status_code == 200
    assert OnlineSession.objects.get(account=salesperson).last_seen_at > earlier + timezone.timedelta(minutes=28)


def test_idle_timeout_follows_the_option(client, salesperson):
    """ACC-04, ADM-05: the idle timeout is the system option, not a fixed 30 minutes."""
    SystemOption.objects.create(key="idle_timeout_minutes", value=5)
    logged_in(client, "lily")
    OnlineSession.objects.filter(account=salesperson).update(
        last_seen_at=timezone.now() - timezone.timedelta(minutes=6))
    assert sent_to_login(client.get(reverse("workbench")))


def test_expire_idle_logins_frees_only_idle_seats(salesperson):
    """ACC-04: the periodic job ends idle logins, logs 'timeout', and leaves active ones alone."""
    mike = make_account("mike")
    idle_client = logged_in(Client(), "lily")
    active_client = logged_in(Client(), "mike")
    idle_key = idle_client.session.session_key
    OnlineSession.objects.filter(account=salesperson).update(
        last_seen_at=timezone.now() - timezone.timedelta(minutes=45))
    assert expire_idle_logins() == 1
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    assert OnlineSession.objects.filter(account=mike).exists()
    entry = SystemLogEntry.objects.get(username="lily", event=Event.TIMEOUT)
    assert entry.account == salesperson
    assert sent_to_login(idle_client.get(reverse("workbench")))
    assert not Session.objects.filter(session_key=idle_key).exists()
    assert active_client.get(reverse("workbench")).status_code == 200
    assert expire_idle_logins() == 0


def test_expire_idle_logins_task_runs_the_same_job(salesperson):
    """ACC-04, 26: the background task frees idle seats and reports how many."""
    from tradeport.accounts.tasks import expire_idle_logins as task

    logged_in(Client(), "lily")
    OnlineSession.objects.update(last_seen_at=timezone.now() - timezone.timedelta(hours=2))
    result = task.enqueue()
    assert result.return_value == 1
    assert not OnlineSession.objects.exists()


def test_ended_login_answers_htmx_with_a_redirect_header(client, salesperson):
    """ACC-04: an htmx request of an ended login gets HX-Redirect to the login page, not a page fragment."""
    logged_in(client, "lily")
    OnlineSession.objects.filter(account=salesperson).delete()
    response = client.get(reverse("workbench"), headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response["HX-Redirect"] == reverse("accounts:login")


# ACC-05: forced logout --------------------------------------------------------------------------

def test_online_list_shows_who_is_online(client, admin_account, salesperson, signed_in):
    """ACC-05: account, employee, login time, last activity and IP address of each login."""
    logged_in(Client(), "lily", REMOTE_ADDR="192.168.3.4")
    signed_in(client, admin_account)
    response = client.get(reverse("console:online_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert {o.account.username for o in response.context["listing"].page} == {"lily", "admin"}
    assert "李丽" in html
    assert "192.168.3.4" in html
    assert response.context["seated"] == 1


def test_force_logout_ends_the_other_login(client, admin_account, salesperson, signed_in):
    """ACC-05: the administrator's [Force logout] ends that login at once and writes 'forced_logout'."""
    victim = logged_in(Client(), "lily")
    victim_key = victim.session.session_key
    signed_in(client, admin_account)
    online = OnlineSession.objects.get(account=salesperson)
    response = client.post(reverse("console:online_force_logout", args=[online.pk]), follow=True)
    assert response.status_code == 200
    assert "lily has been logged out." in response.content.decode()
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    entry = SystemLogEntry.objects.get(event=Event.FORCED_LOGOUT)
    assert (entry.username, entry.reason) == ("lily", "by admin")
    assert sent_to_login(victim.get(reverse("workbench")))
    assert not Session.objects.filter(session_key=victim_key).exists()


def test_forced_logout_is_explained_to_the_user(client, admin_account, salesperson, signed_in):
    """ACC-05: the browser whose login the administrator closed is told why on the login page."""
    victim = logged_in(Client(), "lily")
    signed_in(client, admin_account)
    client.post(reverse("console:online_force_logout", args=[OnlineSession.objects.get(account=salesperson).pk]))
    response = victim.get(reverse("workbench"), follow=True)
    assert "the administrator closed it" in response.content.decode()


def test_admin_cannot_force_logout_itself(client, admin_account, signed_in):
    """ACC-05, ACC-13: the administrator's own login is ended with [Secure logout], not [Force logout]."""
    signed_in(client, admin_account)
    online = OnlineSession.objects.get(account=admin_account)
    response = client.post(reverse("console:online_force_logout", args=[online.pk]), follow=True)
    assert "Use [Secure logout] to end your own login." in response.content.decode()
    assert OnlineSession.objects.filter(account=admin_account).exists()
    assert not SystemLogEntry.objects.filter(event=Event.FORCED_LOGOUT).exists()


# PERS-04: password change -------------------------------------------------------------------------

def change_password(client, old=PASSWORD, new="Tea-Garden-88"):
    return client.post(reverse("accounts:password_change"),
                       {"old_password": old, "new_password1": new, "new_password2": new})


def test_password_change_keeps_this_login_and_ends_the_others(salesperson):
    """PERS-04: changing the password keeps the current login and seat; other sessions stop working."""
    elsewhere = Client()
    elsewhere.force_login(salesperson)
    elsewhere_key = elsewhere.session.session_key
    assert session_user(elsewhere_key) == salesperson

    here = logged_in(Client(), "lily")
    response = change_password(here)
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench")
    assert here.get(reverse("workbench")).status_code == 200
    online = OnlineSession.objects.get(account=salesperson)
    assert online.session_key == here.session.session_key
    assert not session_user(elsewhere_key).is_authenticated
    assert sent_to_login(elsewhere.get(reverse("workbench")))
    assert Account.objects.get(pk=salesperson.pk).check_password("Tea-Garden-88")


def test_password_change_checks_the_current_password_and_policy(client, salesperson):
    """PERS-04: a wrong current password or a new password breaking the policy is refused."""
    logged_in(client, "lily")
    response = change_password(client, old="wrong-one")
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    response = change_password(client, new="12345678")
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.context["form"].errors["new_password2"]
    response = change_password(client, new=PASSWORD)
    assert response.status_code == 200
    assert "Choose a password different from the current one." in response.context["form"].errors["new_password1"]
    assert Account.objects.get(pk=salesperson.pk).check_password(PASSWORD)


def test_password_change_needs_the_function(client, outsider):
    """PERS-04, PERM-01: an account without [Change password] cannot open the page (unless forced)."""
    logged_in(client, "nobody")
    assert client.get(reverse("accounts:password_change")).status_code == 403


def test_must_change_password_redirects_every_page(client):
    """ACC-01, ACC-06: until the password is changed, every page leads to the password page."""
    make_account("newbie", must_change_password=True)
    logged_in(client, "newbie")
    for url in (reverse("workbench"), reverse("accounts:preferences"), reverse("console:home")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("accounts:password_change")
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert change_password(client).status_code == 302
    assert not Account.objects.get(username="newbie").must_change_password
    assert client.get(reverse("workbench")).status_code == 200


def test_must_change_password_still_allows_logout(client):
    """ACC-13: a user who must change the password can still log out."""
    make_account("newbie", must_change_password=True)
    logged_in(client, "newbie")
    assert sent_to_login(client.post(reverse("accounts:logout")))
    assert not OnlineSession.objects.exists()


# Failed-login throttling -------------------------------------------------------------------------

def test_account_is_throttled_after_the_failure_limit(salesperson):
    """ACC-02: after 5 failed logins (default) even the right password is refused, with a clear message."""
    for n in range(5):
        assert login(Client(), "lily", "wrong", REMOTE_ADDR=f"192.168.0.{n + 1}").status_code == 403
    response = login(Client(), "lily", REMOTE_ADDR="192.168.0.99")
    assert response.status_code == 403
    assert "Too many failed logins for this account" in response.content.decode()
    assert not OnlineSession.objects.exists()
    entry = SystemLogEntry.objects.filter(username="lily").first()
    assert (entry.event, entry.reason) == (Event.REFUSED, "throttled: account")


def test_four_failures_do_not_throttle(salesperson):
    """ACC-02: below the limit, the right password still gets in."""
    for _ in range(4):
        login(Client(), "lily", "wrong")
    assert login(Client(), "lily").status_code == 302


def test_failure_limit_follows_the_option(salesperson):
    """ACC-02, ADM-05: login_failure_limit=3 throttles after three failures."""
    SystemOption.objects.create(key="login_failure_limit", value=3)
    for _ in range(3):
        login(Client(), "lily", "wrong")
    response = login(Client(), "lily")
    assert response.status_code == 403
    assert "Too many failed logins for this account" in response.content.decode()


def test_throttle_only_counts_the_last_15_minutes(salesperson):
    """ACC-02: failures older than the 15-minute window no longer count."""
    old = timezone.now() - timezone.timedelta(minutes=16)
    for _ in range(6):
        SystemLogEntry.objects.create(event=Event.FAILED, username="lily", created_at=old, ip_address="10.0.0.1")
    assert login(Client(), "lily").status_code == 302


def test_throttle_of_one_account_does_not_lock_others(salesperson):
    """ACC-02: the account limit applies to the account that failed."""
    make_account("mike")
    for _ in range(5):
        login(Client(), "lily", "wrong", REMOTE_ADDR="10.0.0.1")
    assert login(Client(), "mike", REMOTE_ADDR="10.0.0.2").status_code == 302


def test_address_is_throttled_after_four_times_the_limit(salesperson):
    """ACC-02: 4 x limit failures from one address refuse every account from it, but not other addresses."""
    SystemOption.objects.create(key="login_failure_limit", value=3)
    for n in range(12):
        assert login(Client(), f"guess{n}", "wrong", REMOTE_ADDR="10.9.9.9").status_code == 403
    response = login(Client(), "lily", REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 403
    assert "Too many failed logins from your address" in response.content.decode()
    assert SystemLogEntry.objects.filter(username="lily", reason="throttled: address").exists()
    assert login(Client(), "lily", REMOTE_ADDR="10.9.9.10").status_code == 302


def test_eleven_failures_from_one_address_do_not_throttle_it(salesperson):
    """ACC-02: below 4 x limit the address is not throttled."""
    SystemOption.objects.create(key="login_failure_limit", value=3)
    for n in range(11):
        login(Client(), f"guess{n}", "wrong", REMOTE_ADDR="10.9.9.9")
    assert login(Client(), "lily", REMOTE_ADDR="10.9.9.9").status_code == 302


# ACC-02: who may not log in --------------------------------------------------------------------------

def test_disabled_account_cannot_log_in_and_is_told_so(client, salesperson):
    """ACC-02, ACC-11: a disabled account with the right password is refused with a clear message."""
    salesperson.is_active = False
    salesperson.save()
    response = login(client, "lily")
    assert response.status_code == 403
    assert "This account is disabled." in response.content.decode()
    assert not OnlineSession.objects.exists()
    entry = SystemLogEntry.objects.get(username="lily")
    assert (entry.event, entry.reason) == (Event.REFUSED, "disabled")


def test_disabled_account_cannot_log_in_at_all(client, salesperson):
    """ACC-02, ACC-11: whatever the message, a disabled account gets no session and no seat."""
    salesperson.is_active = False
    salesperson.save()
    assert login(client, "lily").status_code == 403
    assert not OnlineSession.objects.exists()
    assert sent_to_login(client.get(reverse("workbench")))


def test_employee_who_left_cannot_log_in(client):
    """ACC-02: an account linked to an employee marked 'left' is refused with a clear message."""
    make_account("oldhand", employee_code="0301")
    new_employee("0301", "老员工", status=Employee.Status.LEFT)
    response = login(client, "oldhand")
    assert response.status_code == 403
    assert "The employee linked to this account has left the company." in response.content.decode()
    assert not OnlineSession.objects.exists()
    assert SystemLogEntry.objects.get(username="oldhand").reason == "employee left"


def test_active_employee_can_log_in(client):
    """ACC-02, ACC-12: an account linked to an active employee logs in normally."""
    make_account("current", employee_code="0302")
    new_employee("0302", "在职")
    assert login(client, "current").status_code == 302


def test_employee_leaving_ends_an_existing_login_at_next_login_attempt(client):
    """ACC-02: marking the employee as left blocks the following login."""
    make_account("leaver", employee_code="0303")
    employee = new_employee("0303", "将离职")
    assert login(Client(), "leaver").status_code == 302
    employee.status = Employee.Status.LEFT
    employee.save()
    assert login(client, "leaver").status_code == 403


# Password storage ------------------------------------------------------------------------------------

def test_passwords_are_stored_with_argon2():
    """ACC-08, PERS-04: the installation's hasher is Argon2 (the test settings use a fast one)."""
    import tradeport.settings as production

    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        account = make_account("argon", password="Harbour-Lights-42")
        stored = Account.objects.get(pk=account.pk).password
        assert stored.startswith("argon2")
        assert "Harbour-Lights-42" not in stored
        assert login(Client(), "argon", "Harbour-Lights-42").status_code == 302
