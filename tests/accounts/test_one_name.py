"""One name per person (ACC-10, ACC-12): an account linked to an employee shows the employee record's
name everywhere, and renaming it on either form renames it everywhere at once."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.audit.models import OperationLogEntry
from tradeport.mail import triage
from tradeport.mail.models import Mailbox
from tradeport.mail.services import message_ingest
from tradeport.org import services as org_services
from tradeport.org.models import Department, Employee

pytestmark = pytest.mark.django_db


def chinese(account) -> Client:
    return sign_in(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), account)


def resubmit(client, url: str, **changes) -> object:
    """Post a form back as the browser shows it, with `changes` typed in."""
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return client.post(url, {**data, **changes})


@pytest.fixture
def sales2(presets):
    """The preset salesperson account sales2, linked to the preset employee 0003 业务员2 (ACC-06)."""
    account = Account.objects.get(username="sales2")
    Account.objects.filter(pk=account.pk).update(must_change_password=False)
    account.refresh_from_db()
    return account


@pytest.fixture
def console(presets):
    admin = Account.objects.get(username="admin")
    Account.objects.filter(pk=admin.pk).update(must_change_password=False)
    admin.refresh_from_db()
    return chinese(admin)


def test_preset_accounts_keep_their_name_on_the_employee_record(sales2):
    """ACC-06, ACC-12: after the presets load, the linked account holds no copy of the name."""
    assert sales2.employee_name == ""
    assert sales2.display_name == "业务员2"
    assert str(sales2) == "sales2 (业务员2)"


def test_renaming_the_account_renames_the_employee_the_mail_is_delivered_to(sales2, console, manager):
    """ACC-10, ACC-12, MAIL-03: the real name typed into a preset account shows in 'Delivered to', the
    salesperson picker, the account list and the account's own pages, not the old 业务员2."""
    response = resubmit(console, reverse("console:account_update", args=[sales2.pk]), employee_name="张伟")
    assert response.status_code == 302
    assert Employee.objects.get(code="0003").name == "张伟"

    mailbox = Mailbox.objects.create(address="info@tradeport.test", protocol="none")
    mail = message_ingest(mailbox=mailbox, raw=raw_mail("buyer@newtrade.example")).mail
    triage.distribute(mail, to=Employee.objects.get(code="0003"), actor=manager)
    boss = chinese(manager)
    reading = boss.get(reverse("mail:mail_read", args=[mail.pk])).content.decode()
    assert "分发给: 张伟" in reading
    assert "业务员2" not in reading
    picker = boss.get(reverse("org:employee_picker"), {"salespeople": "1", "to": "pk"}).content.decode()
    assert "张伟" in picker
    assert "业务员2" not in picker

    listing = console.get(reverse("console:account_list"), {"q": "sales2"}).content.decode()
    assert "张伟" in listing
    assert "业务员2" not in listing
    workbench = chinese(sales2).get(reverse("workbench")).content.decode()
    assert "张伟" in workbench
    assert "业务员2" not in workbench


def test_renaming_the_employee_shows_on_the_account_at_once(sales2, console, manager):
    """ACC-12, ORG-10: a new name on the employee record is the account's name in the console and on its pages."""
    employee = Employee.objects.get(code="0003")
    response = resubmit(chinese(manager), reverse("org:employee_update", args=[employee.pk]), name="李娜")
    assert response.status_code == 302
    form = console.get(reverse("console:account_update", args=[sales2.pk])).context["form"]
    assert form["employee_name"].value() == "李娜"
    listing = console.get(reverse("console:account_list"), {"q": "sales2"}).content.decode()
    assert "李娜" in listing
    assert "业务员2" not in listing
    assert "李娜" in chinese(sales2).get(reverse("workbench")).content.decode()


def test_changing_only_the_employee_number_does_not_rename_the_new_employee(sales2, console):
    """ACC-10, ACC-12: moving an account to another employee keeps that employee's own name."""
    Employee.objects.create(code="0100", name="王芳", department=Department.objects.get(code="01"))
    response = resubmit(console, reverse("console:account_update", args=[sales2.pk]), employee_code="0100")
    assert response.status_code == 302
    assert Employee.objects.get(code="0100").name == "王芳"
    assert Employee.objects.get(code="0003").name == "业务员2"
    assert Account.objects.get(pk=sales2.pk).display_name == "王芳"


def test_an_account_made_first_hands_its_name_to_the_employee_and_gets_it_back(db):
    """ACC-12 (Ch1 order): the account keeps the name until its employee exists, then the employee record
    holds it; deleting the employee leaves the name with the account."""
    account = make_account("wangwei", template=EMPLOYEE_TEMPLATE, employee_code="0200", employee_name="王伟")
    department = Department.objects.create(code="T1", name="测试部", path="")
    employee = org_services.employee_save(employee=Employee(code="0200", name="王伟", department=department))
    account.refresh_from_db()
    assert (account.employee_name, account.display_name) == ("", "王伟")

    employee.name = "王小伟"
    org_services.employee_save(employee=employee)
    assert Account.objects.get(pk=account.pk).display_name == "王小伟"

    org_services.employee_delete(employee=Employee.objects.get(pk=employee.pk))
    account = Account.objects.get(pk=account.pk)
    assert (account.employee_name, account.display_name, account.employee) == ("王小伟", "王小伟", None)


def test_the_account_list_reads_every_name_in_a_fixed_number_of_queries(console):
    """ACC-07: names come from the employee records without a query per row."""
    def queries(rows: int) -> int:
        for extra in Account.objects.filter(username__startswith="extra"):
            extra.delete()
        department = Department.objects.first()
        for n in range(rows):
            code = f"9{n:03d}"
            Employee.objects.get_or_create(code=code, defaults={"name": f"员工{n}", "department": department})
            make_account(f"extra{n}", employee_code=code)
        with CaptureQueriesContext(connection) as captured:
            html = console.get(reverse("console:account_list")).content.decode()
        assert f"员工{rows - 1}" in html
        return len(captured)

    assert queries(2) == queries(12)


def test_the_upgrade_keeps_the_name_changed_last(sales2, db):
    """ACC-12: accounts whose name had drifted from their employee's keep the one changed last, once."""
    migration = importlib.import_module("tradeport.accounts.migrations.0005_name_on_employee_record")
    sales3 = Account.objects.get(username="sales3")
    # sales2 was renamed on the account (logged), sales3's copy is merely stale (no history).
    Account.objects.filter(pk=sales2.pk).update(employee_name="张伟")
    OperationLogEntry.objects.create(module="accounts", action="update", object_type="accounts.account",
                                     object_id=str(sales2.pk), username="admin",
                                     changes={"employee_name": ["业务员2", "张伟"]})
    Account.objects.filter(pk=sales3.pk).update(employee_name="旧名字")

    migration.name_on_employee(apps, None)
    migration.name_on_employee(apps, None)  # safe to run again

    assert Employee.objects.get(code="0003").name == "张伟"
    assert Employee.objects.get(code="0004").name == "业务员3"
    assert set(Account.objects.filter(username__in=["sales2", "sales3"]).values_list("employee_name", flat=True)) == {""}
    migration.name_on_both(apps, None)
    assert Account.objects.get(pk=sales2.pk).employee_name == "张伟"
