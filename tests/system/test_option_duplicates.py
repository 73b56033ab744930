# ruff: noqa: F811  (the fixtures imported from mailflow.test_mass_mail are test parameters)
"""One option per setting (ADM-02, ADM-05): the mass-mail rate is listed once, and it is the one
mass mail obeys (MASS-05)."""

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from mailflow.conftest import sendable, world  # noqa: F401
from mailflow.test_mass_mail import boss, new_mailing  # noqa: F401
from tradeport.mail import mass
from tradeport.mail.models import MassRecipient
from tradeport.system import options
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db
upgrade = importlib.import_module("tradeport.system.migrations.0002_one_mass_mail_rate")


@pytest.fixture
def console(admin_account):
    return sign_in(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), admin_account)


def test_the_mass_mail_rate_is_listed_once(console, admin_account):
    """ADM-02, ADM-05: the option list has one mass-mail rate, named as in the specification."""
    assert [o.key for o in options.OPTIONS if "mass_mail" in o.key] == ["mass_mail_per_minute"]
    labels = [str(o.label) for o in options.OPTIONS]
    assert len(labels) == len(set(labels))
    html = console.get(reverse("console:option_list")).content.decode()
    assert html.count("群发邮件发送速率") == 1
    assert "群发速率" not in html
    english = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), admin_account)
    assert english.get(reverse("console:option_list")).content.decode().count("Mass-mail sending rate") == 1


def test_the_rate_set_in_the_console_paces_mass_mail(console, sendable, smtp_sink, boss):
    """ADM-03, MASS-05: the one rate option, changed in the console, sets how many leave per minute."""
    assert console.post(reverse("console:option_update", args=["mass_mail_per_minute"]),
                        {"value": "2"}).status_code == 302
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry(f"r{n}@buyers.example") for n in range(5)])
    mass.submit(mailing)
    paces = []

    def sleep(seconds):
        paces.append((mailing.recipients.filter(state=MassRecipient.State.SENT).count(), round(seconds)))

    assert mass.run(mailing.pk, sleep=sleep) == "done"
    assert paces == [(2, 60), (4, 60), (5, 30)]
    assert len(smtp_sink.messages) == 5


def test_the_upgrade_moves_a_rate_set_in_the_removed_option(db):
    """ADM-05: a rate the administrator gave the look-alike option governs after the upgrade."""
    SystemOption.objects.create(key="mass_mail_rate_per_minute", value=20)
    upgrade.fold_into_kept(apps, None)
    upgrade.fold_into_kept(apps, None)  # safe to run again
    assert options.get("mass_mail_per_minute") == 20
    assert not SystemOption.objects.filter(key="mass_mail_rate_per_minute").exists()


def test_the_upgrade_keeps_the_rate_changed_last_when_both_were_set(db):
    """ADM-05: with both options set, the later change wins; reversing puts the value back on both."""
    SystemOption.objects.create(key="mass_mail_per_minute", value=100)
    SystemOption.objects.create(key="mass_mail_rate_per_minute", value=30)
    SystemOption.objects.filter(key="mass_mail_per_minute").update(
        updated_at=timezone.now() - timezone.timedelta(days=1))
    upgrade.fold_into_kept(apps, None)
    assert options.get("mass_mail_per_minute") == 30

    SystemOption.objects.create(key="mass_mail_rate_per_minute", value=500)
    SystemOption.objects.filter(key="mass_mail_rate_per_minute").update(
        updated_at=timezone.now() - timezone.timedelta(days=2))
    upgrade.fold_into_kept(apps, None)
    assert options.get("mass_mail_per_minute") == 30

    upgrade.copy_back(apps, None)
    assert SystemOption.objects.get(key="mass_mail_rate_per_minute").value == 30
