"""Contact input (FUP-02..08) opened from a mail (READ-21, QUE-04): the record is stored with its
attachment, and the mail it answers is marked followed up."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import days_from_today, moment_from_now, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.codes.presets import load_codes
from tradeport.followup.models import ContactRecord
from tradeport.mail.models import Delivery
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def test_record_contact_from_a_mail_files_it_and_follows_the_mail_up(world):
    """READ-21, QUE-04, FUP-02, FUP-05, FUP-08: [Record contact] opens contact input with the customer filled in;
    saving stores the record with its attachment and marks the mail followed up in every owner's queue."""
    load_codes()
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de", subject="Call me")).mail
    client = Client()
    sign_in(client, Account.objects.get(username="lily"))
    pane = client.get(reverse("mail:mail_read", args=[mail.pk]))
    assert f'href="{reverse("followup:contact_input")}?mail={mail.pk}"' in pane.content.decode()
    form_page = client.get(reverse("followup:contact_input") + f"?mail={mail.pk}")
    assert form_page.context["form"].initial["customer"] == world["customer"].pk
    phone = CodeItem.objects.get(group__key="followup_method", code="PHONE")
    next_follow_up = days_from_today(4)
    response = client.post(reverse("followup:contact_input") + f"?mail={mail.pk}", {
        "mail": mail.pk, "customer": world["customer"].pk, "occurred_at": moment_from_now(hours=-2),
        "method": phone.pk, "subject": "Phoned Anna about the quote", "content": "She wants 500 pcs.",
        "needs_follow_up": "on", "next_follow_up": next_follow_up,
        "files": [SimpleUploadedFile("传真.pdf", b"%PDF-1.4 fax", content_type="application/pdf")]})
    assert response.status_code == 302, response.context["form"].errors
    record = ContactRecord.objects.get()
    assert record.employee == world["lily"]
    assert record.mail == mail
    assert record.method == phone
    assert str(record.next_follow_up) == next_follow_up
    assert [a.filename for a in record.attachments.all()] == ["传真.pdf"]
    mail.refresh_from_db()
    assert mail.followed_up_by == world["lily"]
    assert not Delivery.objects.filter(mail=mail, state=Delivery.State.PENDING).exists()
    detail = client.get(response["Location"])
    assert "Phoned Anna about the quote" in detail.content.decode()
