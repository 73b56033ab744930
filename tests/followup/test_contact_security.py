"""Who may enter contacts and see the records (GEN-01, FUP-02..06, PERM-13, SEND-01, SEND-15): the pages join the
permission matrix, another salesperson's customer, record, attachment and mail do not exist for you, the
salesperson field is fixed for plain salespeople, the follow-up date and attachment limit are enforced, Chinese
names survive the download, the page speaks Chinese, and a POST without the CSRF token stores nothing."""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import days_from_today, make_account, moment_from_now, sign_in
from mailflow.conftest import raw_mail
from matrix import check_matrix
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.codes.presets import load_codes
from tradeport.customers.models import Customer, Ownership
from tradeport.followup.forms import ContactRecordForm
from tradeport.followup.models import ContactAttachment, ContactRecord
from tradeport.mail.models import Mail
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db

FAX_NAME = "传真件.pdf"
FAX = b"%PDF-1.4 scanned fax"
MB = 1024 * 1024


def client_for(account: Account, **options) -> Client:
    return sign_in(Client(**options), account)


def phone() -> CodeItem:
    return CodeItem.objects.get(group__key="followup_method", code="PHONE")


def contact_data(customer, **overrides) -> dict:
    data = {"customer": customer.pk, "occurred_at": moment_from_now(hours=-2), "method": phone().pk,
            "subject": "Phoned about the quote", "content": "They want 500 pcs."}
    data.update(overrides)
    return data


@pytest.fixture
def codes(db):
    load_codes()


@pytest.fixture
def lily(world, codes):
    return Account.objects.get(username="lily")


@pytest.fixture
def wang(world, codes):
    """A salesperson with the same functions as lily who owns none of world's customers."""
    Employee.objects.create(code="0004", name="王五", department=world["department"], is_salesperson=True)
    return make_account("wang", template=EMPLOYEE_TEMPLATE, employee_code="0004")


@pytest.fixture
def lilys_record(world, lily):
    """Lily's contact with Hanse Trade, with a Chinese-named scanned fax."""
    response = client_for(lily).post(reverse("followup:contact_input"), contact_data(
        world["customer"], files=[SimpleUploadedFile(FAX_NAME, FAX, content_type="application/pdf")]))
    assert response.status_code == 302, response.context["form"].errors
    return ContactRecord.objects.get()


# The permission matrix (GEN-01, FUP-02, SEND-01, SEND-15) ----------------------------------------------------

def test_contact_input_and_compose_pages_join_the_permission_matrix(roles, codes):
    """GEN-01, FUP-02, SEND-01, SEND-15: contact input, the record list, compose and the outbox are for the
    employee and manager templates and the administrator; an account without functions gets 403."""
    assert roles["salesperson"].has_perm("accounts.fn_contact_input")
    assert not roles["outsider"].has_perm("accounts.fn_contact_input")
    for url in (reverse("followup:contact_input"), reverse("followup:record_list"), reverse("mail:compose"),
                reverse("mail:outbox")):
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=200, manager=200, admin=200)
    check_matrix(reverse("followup:contact_input"), users=roles, method="post",
                 data={"subject": "nothing", "method": phone().pk}, anonymous=302, outsider=403)
    assert not ContactRecord.objects.exists()


# PERM-13: another salesperson's customer does not exist for you ------------------------------------------------

def test_a_record_of_a_customer_you_do_not_own_is_a_404(world, lily, wang, lilys_record):
    """PERM-13, FUP-05: wang, who does not own Hanse Trade, gets 404 for lily's record and its attachment,
    and the record list does not show it even when asked for that customer."""
    attachment = lilys_record.attachments.get()
    detail = reverse("followup:record_detail", args=[lilys_record.pk])
    download = reverse("followup:record_attachment", args=[lilys_record.pk, attachment.pk])
    tom = client_for(Account.objects.get(username="tom"))  # a co-owner sees it: the 404 is about ownership
    assert tom.get(detail).status_code == 200
    assert tom.get(download).status_code == 200

    client = client_for(wang)
    assert client.get(detail).status_code == 404
    assert client.get(download).status_code == 404
    listed = client.get(reverse("followup:record_list"), {"customer": world["customer"].pk})
    assert listed.status_code == 200
    assert list(listed.context["page"]) == []
    assert lilys_record.subject not in listed.content.decode()


def test_an_attachment_is_only_served_under_its_own_record(world, lily, lilys_record):
    """PERM-13, FUP-05: a record you may see with another record's attachment id is a 404, not that file."""
    other = Employee.objects.create(code="0005", name="赵六", department=world["department"], is_salesperson=True)
    make_account("zhao", template=EMPLOYEE_TEMPLATE, employee_code="0005")
    own = Customer.objects.create(code="C0099", name="Zhao Ltd", region=world["customer"].region,
                                  main_email="info@zhao.example")
    Ownership.objects.create(customer=own, employee=other)
    zhao = client_for(Account.objects.get(username="zhao"))
    response = zhao.post(reverse("followup:contact_input"), contact_data(own, subject="Zhao's visit"))
    assert response.status_code == 302, response.context["form"].errors
    zhaos_record = ContactRecord.objects.get(customer=own)
    foreign = lilys_record.attachments.get()
    assert zhao.get(reverse("followup:record_detail", args=[zhaos_record.pk])).status_code == 200
    assert zhao.get(reverse("followup:record_attachment", args=[zhaos_record.pk, foreign.pk])).status_code == 404


def test_a_customer_you_do_not_own_cannot_be_chosen(world, wang):
    """PERM-13, FUP-02: posting Hanse Trade's id as wang is a form error and stores nothing; ?customer= with its id
    does not show its name."""
    client = client_for(wang)
    page = client.get(reverse("followup:contact_input"), {"customer": world["customer"].pk})
    assert page.status_code == 200
    assert "Hanse Trade" not in page.content.decode()
    response = client.post(reverse("followup:contact_input"), contact_data(world["customer"]))
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert not ContactRecord.objects.exists()


def test_contact_input_from_a_mail_you_cannot_see_is_a_404(world, lily, wang):
    """PERM-13, READ-21: ?mail= (and the hidden mail field) of a mail wang may not open is a 404, and nothing
    is stored or marked followed up."""
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de", subject="Call me")).mail
    url = reverse("followup:contact_input")
    assert client_for(lily).get(url, {"mail": mail.pk}).status_code == 200  # lily owns the customer
    client = client_for(wang)
    assert client.get(url, {"mail": mail.pk}).status_code == 404
    assert client.post(f"{url}?mail={mail.pk}", contact_data(world["customer"], mail=mail.pk)).status_code == 404
    assert client.post(url, contact_data(world["customer"], mail=mail.pk)).status_code == 404
    assert not ContactRecord.objects.exists()
    assert Mail.objects.get(pk=mail.pk).followed_up_at is None


# FUP-06: the salesperson field ---------------------------------------------------------------------------------

def test_a_plain_salesperson_always_records_under_their_own_name(world, lily):
    """FUP-06: the salesperson field is fixed for lily; posting tom's id still stores the record under lily."""
    client = client_for(lily)
    form = client.get(reverse("followup:contact_input")).context["form"]
    assert form.fields["employee"].disabled
    assert list(form.fields["employee"].queryset) == [world["lily"]]
    assert form.initial["employee"] == world["lily"].pk
    response = client.post(reverse("followup:contact_input"),
                           contact_data(world["customer"], employee=world["tom"].pk))
    assert response.status_code == 302, response.context["form"].errors
    assert ContactRecord.objects.get().employee == world["lily"]


@pytest.mark.parametrize("who", ["manager", "admin_account"])
def test_a_manager_or_the_administrator_may_record_for_another_salesperson(world, codes, request, who):
    """FUP-06: with all-customers inspection (manager template) or as administrator, the salesperson can be chosen."""
    account = request.getfixturevalue(who)
    client = client_for(account)
    form = client.get(reverse("followup:contact_input")).context["form"]
    assert not form.fields["employee"].disabled
    assert world["tom"] in form.fields["employee"].queryset
    response = client.post(reverse("followup:contact_input"),
                           contact_data(world["customer"], employee=world["tom"].pk))
    assert response.status_code == 302, response.context["form"].errors
    record = ContactRecord.objects.get()
    assert record.employee == world["tom"]
    assert record.created_by == account


# FUP-04: the next follow-up date ---------------------------------------------------------------------------------

def test_needs_follow_up_without_a_date_is_refused(world, lily):
    """FUP-04: ticking 'needs follow-up' without the next follow-up date is a form error; nothing is stored."""
    response = client_for(lily).post(reverse("followup:contact_input"),
                                     contact_data(world["customer"], needs_follow_up="on", next_follow_up=""))
    assert response.status_code == 200
    assert response.context["form"].errors["next_follow_up"] == ["Choose the date of the next follow-up."]
    assert not ContactRecord.objects.exists()


def test_a_date_without_needs_follow_up_is_dropped(world, lily):
    """FUP-04: a next follow-up date with the box unticked is not stored."""
    response = client_for(lily).post(reverse("followup:contact_input"),
                                     contact_data(world["customer"], next_follow_up=days_from_today(4)))
    assert response.status_code == 302, response.context["form"].errors
    assert ContactRecord.objects.get().next_follow_up is None


# FUP-05: attachments -----------------------------------------------------------------------------------------------

def test_attachments_over_the_size_limit_are_refused(world, lily):
    """FUP-05, SEND-13: with the limit set to 1 MB, two files of 600 KB together are refused with an error naming
    the limit and nothing is stored; a file of exactly 1 MB is accepted."""
    SystemOption.objects.create(key="attachment_size_limit_mb", value=1)
    client = client_for(lily)
    files = [SimpleUploadedFile(f"扫描{n}.pdf", b"x" * (600 * 1024), content_type="application/pdf") for n in (1, 2)]
    response = client.post(reverse("followup:contact_input"), contact_data(world["customer"], files=files))
    assert response.status_code == 200
    errors = response.context["form"].errors["files"]
    assert len(errors) == 1
    assert "over the limit of 1 MB" in errors[0]
    assert "over the limit of 1 MB" in response.content.decode()
    assert not ContactRecord.objects.exists()
    assert not ContactAttachment.objects.exists()

    exact = SimpleUploadedFile("整好.pdf", b"y" * MB, content_type="application/pdf")
    accepted = client.post(reverse("followup:contact_input"), contact_data(world["customer"], files=[exact]))
    assert accepted.status_code == 302, accepted.context["form"].errors
    assert ContactAttachment.objects.get().size == MB


def test_a_chinese_attachment_name_survives_the_download(world, lily, lilys_record):
    """FUP-05, READ-01: 传真件.pdf is listed by name and downloads as an attachment with an RFC 5987 name."""
    attachment = lilys_record.attachments.get()
    assert (attachment.filename, attachment.size) == (FAX_NAME, len(FAX))
    client = client_for(lily)
    url = reverse("followup:record_attachment", args=[lilys_record.pk, attachment.pk])
    assert FAX_NAME in client.get(reverse("followup:record_detail", args=[lilys_record.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(FAX_NAME)}"
    assert "%E4%BC%A0%E7%9C%9F%E4%BB%B6.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == FAX


# FUP-02 in Chinese ---------------------------------------------------------------------------------------------------

def chinese_page(lily) -> str:
    client = client_for(lily)
    switched = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("followup:contact_input")})
    assert switched.status_code == 302
    assert Account.objects.get(pk=lily.pk).language == "zh-hans"
    page = client.get(reverse("followup:contact_input"))
    assert page.status_code == 200
    return page.content.decode()


def test_the_contact_input_page_is_chinese_after_switching_language(world, lily):
    """FUP-02, GEN-05: after switching to 简体中文 the title, every field label, the hint and the code items read in
    Chinese; no label is left in English."""
    html = chinese_page(lily)
    assert '<h1 class="h4 mb-0">跟进联系输入</h1>' in html
    for label in ("客户", "业务员", "联系时间", "跟进方式", "联系方向", "联系目的", "经营产品", "需要跟进", "下次跟进日期",
                  "附件", "我的联系记录", "保存"):
        assert label in html, label
    for item in ("电话", "传真", "拜访", "询盘"):
        assert item in html, item
    for text in ("Contact input", "Follow-up method", "Contact direction", "Contact time", "Needs follow-up",
                 "Next follow-up date", "My contact records", "Phone calls, faxes, chats and visits"):
        assert text not in html, text
    labels = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            labels[language] = {name: str(f.label) for name, f in ContactRecordForm(user=lily).fields.items()}
    assert [name for name, label in labels["en"].items() if labels["zh-hans"][name] == label] == []


# CSRF ---------------------------------------------------------------------------------------------------------------

def test_contact_input_needs_the_csrf_token(world, lily):
    """GEN-01, FUP-08: a POST without the token is refused with 403 and stores nothing; with it, it is stored."""
    client = client_for(lily, enforce_csrf_checks=True)
    url = reverse("followup:contact_input")
    refused = client.post(url, contact_data(world["customer"]))
    assert refused.status_code == 403
    assert not ContactRecord.objects.exists()

    client.get(url)  # the page sets the token cookie
    accepted = client.post(url, contact_data(world["customer"], csrfmiddlewaretoken=client.cookies["csrftoken"].value))
    assert accepted.status_code == 302
    assert ContactRecord.objects.get().employee == world["lily"]
