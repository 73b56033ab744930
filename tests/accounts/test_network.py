"""External network access (PERM-09) and client binding by IP or device (SYS-07)."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from conftest import make_account
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.models import DeviceBinding, IpBinding, OnlineSession
from tradeport.accounts.services import DEVICE_COOKIE, device_token_from
from tradeport.audit.models import SystemLogEntry
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db
Event = SystemLogEntry.Event
PASSWORD = "Sesame-2026"
OUTSIDE = "203.0.113.9"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def login(client, username, password=PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def grant(account, codename):
    account.user_permissions.add(Permission.objects.get(codename=codename))


def set_option(key, value):
    SystemOption.objects.update_or_create(key=key, defaults={"value": value})


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def cookie_token(response) -> str:
    """The device token inside the signed cookie, read back the way a request reads it."""
    request = RequestFactory().get("/")
    request.COOKIES[DEVICE_COOKIE] = response.cookies[DEVICE_COOKIE].value
    return device_token_from(request)


# PERM-09: external network access -----------------------------------------------------

def test_login_from_outside_without_external_access_is_refused(client, salesperson):
    """PERM-09, ACC-02: an account without external access cannot log in from an outside address."""
    response = login(client, "lily", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 403
    assert "may be used only from the company network" in response.content.decode()
    assert not OnlineSession.objects.exists()
    entry = SystemLogEntry.objects.get(username="lily")
    assert (entry.event, entry.reason, entry.ip_address) == (Event.REFUSED, f"network: {OUTSIDE}", OUTSIDE)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.20.30.40", "172.16.5.5", "192.168.100.1"])
def test_login_from_private_ranges_is_allowed_by_default(client, salesperson, address):
    """PERM-09, ADM-05: the trusted networks default to the private ranges."""
    assert login(client, "lily", REMOTE_ADDR=address).status_code == 302


def test_login_from_outside_with_external_access_is_allowed(client, salesperson):
    """PERM-09: the holder of external network access may log in from anywhere."""
    grant(salesperson, "external_access")
    assert login(client, "lily", REMOTE_ADDR=OUTSIDE).status_code == 302
    assert OnlineSession.objects.get(account=salesperson).ip_address == OUTSIDE
    assert client.get(reverse("workbench"), REMOTE_ADDR=OUTSIDE).status_code == 200


def test_manager_template_includes_external_access(client, manager):
    """PERM-03, PERM-09: the manager template carries external network access."""
    assert login(client, "boss", REMOTE_ADDR=OUTSIDE).status_code == 302


def test_trusted_networks_follow_the_option(client, salesperson):
    """PERM-09, ADM-05: once the option lists only 10.1.0.0/16, other private addresses count as outside."""
    set_option("trusted_networks", ["10.1.0.0/16"])
    assert login(Client(), "lily", REMOTE_ADDR="192.168.1.5").status_code == 403
    set_option("trusted_networks", ["10.1.0.0/16", "203.0.113.0/24"])
    assert login(client, "lily", REMOTE_ADDR=OUTSIDE).status_code == 302


def test_request_from_outside_during_a_login_is_refused_and_logs_out(client, salesperson):
    """PERM-09 web note: every request is checked; one from outside gets 403 and ends the login."""
    assert login(client, "lily", REMOTE_ADDR="192.168.1.5").status_code == 302
    response = client.get(reverse("workbench"), REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 403
    assert "may be used only from the company network" in response.content.decode()
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    entry = SystemLogEntry.objects.get(username="lily", event=Event.BLOCKED_REQUEST)
    assert entry.ip_address == OUTSIDE
    assert sent_to_login(client.get(reverse("workbench"), REMOTE_ADDR="192.168.1.5"))


def test_forwarded_address_is_trusted_only_behind_a_configured_proxy(salesperson):
    """PERM-09: X-Forwarded-For cannot be forged to look internal, unless a proxy is configured."""
    spoofed = login(Client(), "lily", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="192.168.1.5")
    assert spoofed.status_code == 403
    with override_settings(TRADEPORT_PROXY_COUNT=1):
        proxied = login(Client(), "lily", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"192.168.1.5, {OUTSIDE}")
        assert proxied.status_code == 403
        proxied = login(Client(), "lily", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{OUTSIDE}, 192.168.1.5")
        assert proxied.status_code == 302


def test_admin_may_log_in_from_outside(client, admin_account):
    """SYS-07, PERM-14: the administrator is never locked out by network rules."""
    assert login(client, "admin", REMOTE_ADDR=OUTSIDE).status_code == 302
    assert client.get(reverse("console:home"), REMOTE_ADDR=OUTSIDE).status_code == 200


# SYS-07: IP binding ------------------------------------------------------------------------

def test_ip_binding_restricts_login_to_its_range(salesperson):
    """SYS-07: in IP mode, an account with a binding logs in only from the bound range."""
    set_option("client_binding_mode", "ip")
    IpBinding.objects.create(account=salesperson, network="192.168.5.0/24")
    refused = login(Client(), "lily", REMOTE_ADDR="192.168.6.10")
    assert refused.status_code == 403
    assert "bound to other IP addresses" in refused.content.decode()
    assert login(Client(), "lily", REMOTE_ADDR="192.168.5.20").status_code == 302


def test_ip_binding_is_ignored_when_the_mode_is_off(salesperson):
    """SYS-07: bindings apply only in IP (or both) mode."""
    IpBinding.objects.create(account=salesperson, network="192.168.5.0/24")
    assert login(Client(), "lily", REMOTE_ADDR="192.168.6.10").status_code == 302


def test_ip_mode_leaves_accounts_without_bindings_free(salesperson):
    """SYS-07: an account with no IP binding is not restricted by IP mode."""
    set_option("client_binding_mode", "ip")
    assert login(Client(), "lily", REMOTE_ADDR="192.168.6.10").status_code == 302


def test_ip_binding_does_not_replace_external_access(salesperson):
    """SYS-07, PERM-09: binding an outside address does not give access from outside."""
    set_option("client_binding_mode", "ip")
    IpBinding.objects.create(account=salesperson, network=f"{OUTSIDE}/32")
    assert login(Client(), "lily", REMOTE_ADDR=OUTSIDE).status_code == 403
    grant(salesperson, "external_access")
    assert login(Client(), "lily", REMOTE_ADDR=OUTSIDE).status_code == 302


def test_ip_binding_is_checked_on_every_request(client, salesperson):
    """SYS-07: a logged-in account moving outside its bound range is refused and logged out."""
    set_option("client_binding_mode", "ip")
    IpBinding.objects.create(account=salesperson, network="192.168.5.0/24")
    assert login(client, "lily", REMOTE_ADDR="192.168.5.20").status_code == 302
    assert client.get(reverse("workbench"), REMOTE_ADDR="192.168.9.9").status_code == 403
    assert not OnlineSession.objects.filter(account=salesperson).exists()


def test_admin_is_exempt_from_ip_binding(admin_account):
    """SYS-07: the administrator is exempt, so lockout is impossible."""
    set_option("client_binding_mode", "both")
    IpBinding.objects.create(account=admin_account, network="192.168.5.0/24")
    assert login(Client(), "admin", REMOTE_ADDR="192.168.6.10").status_code == 302
    assert not DeviceBinding.objects.exists()


def test_manager_adds_and_removes_ip_bindings(client, manager, salesperson, signed_in):
    """SYS-07: [Add] records the binding with who approved it; [Revoke] removes it; bad ranges are refused."""
    signed_in(client, manager)
    url = reverse("accounts:binding_list")
    bad = client.post(url, {"account": salesperson.pk, "network": "192.168.300.0/24"})
    assert bad.status_code == 200
    assert "Enter an IP address or a CIDR range" in bad.content.decode()
    assert not IpBinding.objects.exists()
    assert client.post(url, {"account": salesperson.pk, "network": "192.168.5.7/24", "note": "办公室"}).status_code == 302
    binding = IpBinding.objects.get()
    assert (binding.account, binding.network, binding.approved_by) == (salesperson, "192.168.5.0/24", manager)
    assert "192.168.5.0/24" in client.get(url).content.decode()
    assert client.post(reverse("accounts:ip_binding_delete", args=[binding.pk])).status_code == 302
    assert not IpBinding.objects.exists()


def test_ip_bindings_cannot_be_put_on_admin(client, manager, admin_account, signed_in):
    """SYS-07: the binding form offers company accounts only."""
    signed_in(client, manager)
    response = client.post(reverse("accounts:binding_list"), {"account": admin_account.pk, "network": "10.0.0.0/8"})
    assert response.status_code == 200
    assert "account" in response.context["form"].errors
    assert not IpBinding.objects.exists()


# SYS-07: device binding ----------------------------------------------------------------------

def test_device_first_login_registers_the_browser_and_is_refused(client, salesperson):
    """SYS-07: the first login from a browser registers it as pending and sets a long-lived signed cookie."""
    set_option("client_binding_mode", "device")
    response = login(client, "lily", HTTP_USER_AGENT="Edge/130", REMOTE_ADDR="192.168.1.8")
    assert response.status_code == 403
    assert "not an approved device" in response.content.decode()
    assert not OnlineSession.objects.exists()
    morsel = response.cookies[DEVICE_COOKIE]
    assert morsel["httponly"]
    assert int(morsel["max-age"]) >= 365 * 24 * 3600
    device = DeviceBinding.objects.get(account=salesperson)
    assert device.status == DeviceBinding.Status.PENDING
    assert (device.name, device.requested_ip) == ("Edge/130", "192.168.1.8")
    assert device.token_hash == DeviceBinding.hash_token(cookie_token(response))
    assert SystemLogEntry.objects.get(username="lily").reason == "device not approved"


def test_device_login_again_before_approval_reuses_the_registration(client, salesperson):
    """SYS-07: trying again from the same browser stays refused and registers no second device."""
    set_option("client_binding_mode", "device")
    login(client, "lily")
    assert login(client, "lily").status_code == 403
    assert DeviceBinding.objects.filter(account=salesperson).count() == 1


def test_approved_device_logs_in(client, admin_account, salesperson, signed_in):
    """SYS-07: after the administrator approves the device, the same browser logs in."""
    set_option("client_binding_mode", "device")
    assert login(client, "lily").status_code == 403
    device = DeviceBinding.objects.get(account=salesperson)

    console = signed_in(Client(), admin_account)
    response = console.post(reverse("accounts:device_decide", args=[device.pk]), {"decision": "approve"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.status == DeviceBinding.Status.APPROVED
    assert device.approved_by == admin_account
    assert device.approved_at is not None

    assert login(client, "lily").status_code == 302
    assert client.get(reverse("workbench")).status_code == 200
    # Another browser is still a new, unapproved device.
    assert login(Client(), "lily").status_code == 403
    assert DeviceBinding.objects.filter(account=salesperson).count() == 2


def test_device_of_one_account_does_not_admit_another(client, admin_account, salesperson, signed_in):
    """SYS-07: approval is per account and device."""
    set_option("client_binding_mode", "device")
    make_account("mike", template=EMPLOYEE_TEMPLATE)
    login(client, "lily")
    device = DeviceBinding.objects.get(account=salesperson)
    signed_in(Client(), admin_account).post(reverse("accounts:device_decide", args=[device.pk]), {"decision": "approve"})
    assert login(client, "mike").status_code == 403
    assert DeviceBinding.objects.filter(account__username="mike", status="pending").count() == 1


def test_revoked_device_is_refused_again_even_mid_login(client, admin_account, salesperson, signed_in):
    """SYS-07: [Revoke] takes effect at the next request of a logged-in browser."""
    set_option("client_binding_mode", "device")
    login(client, "lily")
    device = DeviceBinding.objects.get()
    console = signed_in(Client(), admin_account)
    console.post(reverse("accounts:device_decide", args=[device.pk]), {"decision": "approve"})
    assert login(client, "lily").status_code == 302
    console.post(reverse("accounts:device_decide", args=[device.pk]), {"decision": "revoke"})
    device.refresh_from_db()
    assert device.status == DeviceBinding.Status.REVOKED
    assert client.get(reverse("workbench")).status_code == 403
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    assert login(client, "lily").status_code == 403


def test_forged_device_cookie_is_not_accepted(client, admin_account, salesperson, signed_in):
    """SYS-07: the cookie is signed; an unsigned token copied from elsewhere does not pass."""
    set_option("client_binding_mode", "device")
    response = login(client, "lily")
    token = cookie_token(response)
    device = DeviceBinding.objects.get()
    signed_in(Client(), admin_account).post(reverse("accounts:device_decide", args=[device.pk]), {"decision": "approve"})
    forger = Client()
    forger.cookies[DEVICE_COOKIE] = token
    assert login(forger, "lily").status_code == 403


def test_device_decisions_need_the_client_binding_function(client, salesperson, signed_in):
    """SYS-07, GEN-01: a salesperson cannot approve devices."""
    set_option("client_binding_mode", "device")
    login(Client(), "lily")
    device = DeviceBinding.objects.get()
    set_option("client_binding_mode", "off")  # so the salesperson's own browser is not what is refused
    signed_in(client, salesperson)
    assert client.get(reverse("workbench")).status_code == 200
    assert client.post(reverse("accounts:device_decide", args=[device.pk]), {"decision": "approve"}).status_code == 403
    device.refresh_from_db()
    assert device.status == DeviceBinding.Status.PENDING


def test_device_mode_refuses_unapproved_browsers_of_logged_in_users(client, manager, signed_in):
    """SYS-07: once device mode is on, a login from an unapproved browser is ended at its next request."""
    signed_in(client, manager)
    set_option("client_binding_mode", "device")
    response = client.get(reverse("workbench"))
    assert response.status_code == 403
    assert "not an approved device" in response.content.decode()
    assert not OnlineSession.objects.filter(account=manager).exists()


def test_device_decide_refuses_get_and_unknown_decisions(client, admin_account, salesperson, signed_in):
    """SYS-07: decisions are POSTs of approve or revoke."""
    set_option("client_binding_mode", "device")
    login(Client(), "lily")
    device = DeviceBinding.objects.get()
    signed_in(client, admin_account)
    url = reverse("accounts:device_decide", args=[device.pk])
    assert client.get(url).status_code == 405
    client.post(url, {"decision": "maybe"})
    device.refresh_from_db()
    assert device.status == DeviceBinding.Status.PENDING


def test_admin_is_exempt_from_device_binding(client, admin_account):
    """SYS-07: the administrator logs in from any browser, and no device is registered for it."""
    set_option("client_binding_mode", "device")
    assert login(client, "admin").status_code == 302
    assert not DeviceBinding.objects.exists()
    assert DEVICE_COOKIE not in client.cookies


def test_device_mode_off_needs_no_device(client, salesperson):
    """SYS-07: with binding off (default), no device is registered."""
    assert login(client, "lily").status_code == 302
    assert not DeviceBinding.objects.exists()


def test_binding_list_shows_devices_and_mode(client, admin_account, salesperson, signed_in):
    """SYS-07: the screen lists devices with account, status, and the current mode."""
    set_option("client_binding_mode", "device")
    login(Client(), "lily", HTTP_USER_AGENT="Safari/18")
    signed_in(client, admin_account)
    html = client.get(reverse("accounts:binding_list")).content.decode()
    assert "Safari/18" in html
    assert "Awaiting approval" in html
    assert "Device binding" in html
