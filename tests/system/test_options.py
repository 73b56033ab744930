"""System options in the admin console (ADM-02..05)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from matrix import check_matrix
from tradeport.audit.models import OperationLogEntry
from tradeport.system import options
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db

# ADM-04, ADM-05 defaults, written out from the specification.
SPEC_DEFAULTS = {
    "attachment_size_limit_mb": 10,
    "message_retention_days": 7,
    "file_transfer_limit_mb": 5,
    "message_char_limit": 500,
    "recent_activity_days": 7,
    "ownership_mode": "non_strict",
    "mail_poll_interval_minutes": 5,
    "idle_timeout_minutes": 30,
    "recycle_bin_retention_days": 30,
    "customer_code_prefix": "",
    "customer_code_width": 6,
    "mass_mail_per_minute": 60,
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def console(client, admin_account, signed_in):
    return signed_in(client, admin_account)


def update(console, key, value):
    return console.post(reverse("console:option_update", args=[key]), {"value": value})


# ADM-02, ADM-05: the list ----------------------------------------------------------------

def test_option_defaults_match_the_specification(db):
    """ADM-04, ADM-05: every option the specification names exists with its default."""
    values = options.get_all()
    for key, default in SPEC_DEFAULTS.items():
        assert values[key] == default, key
    assert "192.168.0.0/16" in values["trusted_networks"]
    assert "10.0.0.0/8" in values["trusted_networks"]
    assert "172.16.0.0/12" in values["trusted_networks"]


def test_option_list_shows_every_option_with_value_and_modify(console):
    """ADM-02: each option shows name, current value and a [Modify] button."""
    response = console.get(reverse("console:option_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert [row["option"].key for row in response.context["rows"]] == [o.key for o in options.OPTIONS]
    for option in options.OPTIONS:
        assert str(option.label) in html
        assert reverse("console:option_update", args=[option.key]) in html
    assert "10 MB" in html
    assert "Non-strict" in html


@override_settings(TRADEPORT_SEATS=12)
def test_option_list_shows_the_seat_count_read_only(console):
    """ACC-03, ADM-05: the licensed seat count is shown, but cannot be modified."""
    response = console.get(reverse("console:option_list"))
    html = response.content.decode()
    assert response.context["seats"] == 12
    assert "Licensed concurrent online users" in html
    assert "<td>12</td>" in html
    assert "TRADEPORT_SEATS" in html
    assert console.get(reverse("console:option_update", args=["seats"])).status_code == 404
    assert update(console, "seats", "999").status_code == 404


def test_option_list_says_unlimited_without_a_seat_limit(console):
    """ACC-03: a licence without limit shows 'unlimited'."""
    assert "unlimited" in console.get(reverse("console:option_list")).content.decode()


def test_option_list_marks_changed_values(console):
    """ADM-02: a value that differs from its default is shown and marked."""
    SystemOption.objects.create(key="attachment_size_limit_mb", value=25)
    response = console.get(reverse("console:option_list"))
    row = next(r for r in response.context["rows"] if r["option"].key == "attachment_size_limit_mb")
    assert (row["value"], row["is_default"]) == ("25 MB", False)


# ADM-03: modify ---------------------------------------------------------------------------

def test_modify_shows_description_current_value_and_default(console):
    """ADM-03: the dialog shows the description, the current value and the allowed range."""
    SystemOption.objects.create(key="attachment_size_limit_mb", value=25)
    response = console.get(reverse("console:option_update", args=["attachment_size_limit_mb"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Largest total size of attachments" in html
    assert 'value="25"' in html
    assert "Default: 10 MB" in html
    assert "1\N{EN DASH}100" in html


def test_unknown_option_is_404(console):
    """ADM-03: only registered options exist."""
    assert console.get(reverse("console:option_update", args=["no_such_option"])).status_code == 404


@pytest.mark.parametrize(("key", "value", "message"), [
    ("attachment_size_limit_mb", "0", "The smallest allowed value is 1."),
    ("attachment_size_limit_mb", "101", "The largest allowed value is 100."),
    ("attachment_size_limit_mb", "ten", "Enter a whole number."),
    ("attachment_size_limit_mb", "2.5", "Enter a whole number."),
    ("attachment_size_limit_mb", "", "Enter a whole number."),
    ("idle_timeout_minutes", "0", "The smallest allowed value is 1."),
    ("login_failure_limit", "2", "The smallest allowed value is 3."),
    ("message_char_limit", "10001", "The largest allowed value is 10000."),
    ("ownership_mode", "sometimes", "Choose one of the listed values."),
    ("client_binding_mode", "mac", "Choose one of the listed values."),
    ("trusted_networks", "10.0.0.0/8\n300.1.2.3/24", "300.1.2.3/24 is not an IP address or CIDR range"),
    ("trusted_networks", "office", "office is not an IP address or CIDR range"),
    ("customer_code_prefix", "ABCDEFGHIJK", "At most 10 characters."),
])
def test_invalid_values_are_refused_with_a_clear_error(console, key, value, message):
    """ADM-03: [Save] validates against the option's type and range; the error is shown with status 400."""
    before = options.get(key)
    response = update(console, key, value)
    assert response.status_code == 400
    assert message in response.context["error"]
    assert message in response.content.decode()
    assert not SystemOption.objects.filter(key=key).exists()
    assert options.get(key) == before
    # The typed value is kept in the form so it can be corrected.
    assert response.context["text"] == value


@pytest.mark.parametrize(("key", "value", "stored"), [
    ("attachment_size_limit_mb", " 25 ", 25),
    ("attachment_size_limit_mb", "1", 1),
    ("attachment_size_limit_mb", "100", 100),
    ("idle_timeout_minutes", "45", 45),
    ("ownership_mode", "strict", "strict"),
    ("client_binding_mode", "both", "both"),
    ("trusted_networks", "10.1.0.0/16\n192.168.7.7, 2001:db8::/32", ["10.1.0.0/16", "192.168.7.7/32", "2001:db8::/32"]),
    ("trusted_networks", "10.1.2.3/16", ["10.1.0.0/16"]),
    ("customer_code_prefix", "C", "C"),
])
def test_valid_values_are_saved(console, admin_account, key, value, stored):
    """ADM-03, ADM-04: a valid value is saved typed, and the administrator returns to the list."""
    response = update(console, key, value)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:option_list")
    row = SystemOption.objects.get(key=key)
    assert row.value == stored
    assert row.updated_by == admin_account
    assert options.get(key) == stored


def test_saving_again_updates_the_same_row(console):
    """ADM-03: an option has at most one stored value."""
    update(console, "attachment_size_limit_mb", "25")
    update(console, "attachment_size_limit_mb", "30")
    assert SystemOption.objects.filter(key="attachment_size_limit_mb").count() == 1
    assert options.get("attachment_size_limit_mb") == 30


def test_changing_an_option_writes_the_operation_log(console, admin_account):
    """ADM-03, GEN-05: the first change is logged as create, the next as modify with before and after."""
    update(console, "attachment_size_limit_mb", "25")
    update(console, "attachment_size_limit_mb", "30")
    rows = OperationLogEntry.objects.filter(module="system", object_type="system.systemoption").order_by("id")
    assert [(r.action, r.username, r.account) for r in rows] == [
        ("create", "admin", admin_account), ("update", "admin", admin_account)]
    assert rows[0].changes["key"] == [None, "attachment_size_limit_mb"]
    assert rows[0].changes["value"] == [None, 25]
    assert rows[1].changes == {"value": [25, 30]}


def test_saving_the_same_value_again_logs_nothing_new(console):
    """GEN-05: only changes are logged."""
    update(console, "idle_timeout_minutes", "45")
    count = OperationLogEntry.objects.filter(module="system").count()
    update(console, "idle_timeout_minutes", "45")
    assert OperationLogEntry.objects.filter(module="system").count() == count


def test_refused_value_writes_no_log(console):
    """GEN-05: a refused value changes nothing, so nothing is logged."""
    update(console, "idle_timeout_minutes", "-5")
    assert not OperationLogEntry.objects.filter(module="system").exists()


def test_option_pages_are_for_admin_only(roles):
    """PERM-14, ADM-02: company accounts cannot change options, even by POST."""
    url = reverse("console:option_update", args=["idle_timeout_minutes"])
    check_matrix(url, users=roles, method="post", data={"value": "99"}, anonymous=302, outsider=403,
                 salesperson=403, manager=403)
    assert not SystemOption.objects.exists()


def test_changed_option_takes_effect(console, salesperson, signed_in):
    """ADM-03, ACC-04: a saved idle timeout is the one the login guard uses."""
    from django.test import Client
    from django.utils import timezone

    from tradeport.accounts.models import OnlineSession

    update(console, "idle_timeout_minutes", "2")
    user = signed_in(Client(), salesperson)
    OnlineSession.objects.filter(account=salesperson).update(
        last_seen_at=timezone.now() - timezone.timedelta(minutes=3))
    assert user.get(reverse("workbench")).status_code == 302
