"""The customer's follow-up record (VIEW-06..11, FUP-01, FUP-17): one history of mail in and out, contact
records and reminder events, with quick filters, categories and folders filled by hand."""

import datetime
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.codes.presets import load_codes
from tradeport.followup import reminders
from tradeport.followup.models import ContactRecord, CustomerFolder
from tradeport.mail.models import Mail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def client_of(username: str) -> Client:
    client = Client()
    sign_in(client, Account.objects.get(username=username))
    return client


@pytest.fixture
def history(world):
    load_codes()
    mailbox = world["mailbox"]
    received = message_ingest(mailbox=mailbox, raw=raw_mail("anna@hanse.de", subject="Inquiry LED",
                                                            message_id="<h1@hanse.de>")).mail
    sent = message_ingest(mailbox=mailbox, raw=(
        b"From: info@tradeport.test\r\nTo: anna@hanse.de\r\nSubject: Quotation LED\r\n"
        b"Date: Wed, 4 Mar 2026 10:00:00 +0100\r\nMessage-ID: <h2@tradeport.test>\r\n\r\nPrice.\r\n")).mail
    Mail.objects.filter(pk=received.pk).update(date=timezone.now() - datetime.timedelta(days=3))
    Mail.objects.filter(pk=sent.pk).update(date=timezone.now() - datetime.timedelta(days=2))
    call = ContactRecord.objects.create(
        customer=world["customer"], employee=world["lily"], subject="Phoned about the sample",
        method=CodeItem.objects.get(group__key="followup_method", code="PHONE"),
        occurred_at=timezone.now() - datetime.timedelta(days=1))
    call.products.add(CodeItem.objects.get(group__key="product", code="P05"))
    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="mail",
                                  actor=Account.objects.get(username="lily"))
    reminders.postpone(reminder, timezone.localdate() + datetime.timedelta(days=2),
                       actor=Account.objects.get(username="lily"))
    return {"received": received, "sent": sent, "call": call}


def test_one_history_with_quick_filters(world, history):
    """VIEW-06, VIEW-10, FUP-01, MAIL-16: received and sent mail, the call (with its products) and the
    reminder's history in one list, newest first; [Sent mail] shows only outgoing mail, [Phone] only calls."""
    client = client_of("lily")
    url = reverse("followup:customer_record", args=[world["customer"].pk])
    page = client.get(url)
    kinds = [e.kind for e in page.context["entries"]]
    assert kinds[:2] == ["reminder", "reminder"]
    assert kinds[2:] == ["record", "mail_out", "mail_in"]
    html = page.content.decode()
    assert "Phoned about the sample" in html
    assert 'data-reminder-event="postponed"' in html
    assert "Lighting" in html[html.index("data-products"):]  # FUP-01: each entry shows its products
    assert [e.kind for e in client.get(url, {"show": "sent"}).context["entries"]] == ["mail_out"]
    assert [e.kind for e in client.get(url, {"show": "received"}).context["entries"]] == ["mail_in"]
    assert [e.subject for e in client.get(url, {"method": "PHONE"}).context["entries"]] == ["Phoned about the sample"]


def test_folders_take_entries_by_hand(world, history):
    """FUP-17, VIEW-09: a new folder, entries moved into it (mail and a call), the folder's count and
    filter; deleting the folder puts its entries back."""
    client = client_of("lily")
    customer = world["customer"]
    folders = reverse("followup:customer_folders", args=[customer.pk, "new"])
    client.post(folders, {"name": "Project Hamburg"})
    assert client.post(folders, {"name": "Project Hamburg"}, follow=True).content.decode().count(
        "already has a folder") == 1
    folder = CustomerFolder.objects.get()
    client.post(reverse("followup:customer_folders", args=[customer.pk, "move"]), {
        "folder": folder.pk, "entry": [f"mail:{history['sent'].pk}", f"record:{history['call'].pk}"]})
    page = client.get(reverse("followup:customer_record", args=[customer.pk]), {"folder": folder.pk})
    assert sorted(e.kind for e in page.context["entries"]) == ["mail_out", "record"]
    assert page.context["folders"][0].mail_count + page.context["folders"][0].record_count == 2
    client.post(reverse("followup:customer_folders", args=[customer.pk, "delete"]), {"folder": folder.pk})
    assert Mail.objects.get(pk=history["sent"].pk).folder is None


def test_other_salespeople_and_outsiders_see_nothing(world, history):
    """PERM-13, GEN-01: a salesperson who does not own the customer gets 404; an account without the function
    gets 403; nobody else's folder can be moved into."""
    make_account("wang", template="employee", employee_code="0009")
    assert client_of("wang").get(reverse("followup:customer_record", args=[world["customer"].pk])).status_code == 404
    assert client_of("wang").post(reverse("followup:customer_folders", args=[world["customer"].pk, "new"]),
                                  {"name": "x"}).status_code == 404
    outsider = make_account("nobody")
    client = Client()
    sign_in(client, outsider)
    assert client.get(reverse("followup:customer_record", args=[world["customer"].pk])).status_code == 403


def test_recently_processed_and_all_customers(world, history):
    """VIEW-01, VIEW-02, VIEW-03, VIEW-04: the recent view lists customers with contact in the option's days,
    each with its last contact; a customer without recent contact is only under all customers; the fuzzy
    search narrows both."""
    from tradeport.customers.models import Customer, Ownership

    quiet = Customer.objects.create(code="C0050", name="Quiet Buyer", region=world["customer"].region,
                                    search_text="c0050 quiet buyer")
    Ownership.objects.create(customer=quiet, employee=world["lily"])
    client = client_of("lily")
    recent = client.get(reverse("followup:customer_views"))
    rows = recent.context["rows"]
    assert [customer.code for customer, _at, _subject in rows] == ["C0012"]
    assert rows[0][2] == "Phoned about the sample"
    everyone = client.get(reverse("followup:customer_views_all"))
    assert {customer.code for customer, _at, _subject in everyone.context["rows"]} == {"C0012", "C0050"}
    html = everyone.content.decode()
    assert reverse("followup:customer_record", args=[quiet.pk]) in html
    make_account("wang", template="employee", employee_code="0009")
    assert client_of("wang").get(reverse("followup:customer_views_all")).context["rows"] == []


def test_a_contact_is_added_from_the_contacts_panel(world, history):
    """VIEW-08, CUST-21: the panel's form adds a contact and comes back to the follow-up record; an outside
    address for the way back is ignored."""
    from conftest import make_account as make
    from tradeport.accounts.functions import MANAGER_TEMPLATE

    manager = Client()
    sign_in(manager, make("boss", template=MANAGER_TEMPLATE))
    record_url = reverse("followup:customer_record", args=[world["customer"].pk])
    assert 'id="add-contact"' in manager.get(record_url).content.decode()
    response = manager.post(reverse("customers:contact_create", args=[world["customer"].pk]),
                            {"name": "Klaus", "email": "klaus@hanse.de", "next": record_url})
    assert response["Location"] == record_url
    assert world["customer"].contacts.filter(name="Klaus").exists()
    response = manager.post(reverse("customers:contact_create", args=[world["customer"].pk]),
                            {"name": "Eva", "email": "eva@hanse.de", "next": "https://evil.example/"})
    assert "evil" not in response["Location"]


def test_the_follow_up_pages_join_the_permission_matrix(roles):
    """GEN-01, VIEW-01, VIEW-02, FUP-14, QUE-12: who may open the follow-up query, the reminder queue and
    the reminder days set-up."""
    from matrix import check_matrix

    check_matrix(reverse("followup:customer_views"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)
    check_matrix(reverse("followup:customer_views_all"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)
    check_matrix(reverse("followup:reminder_days"), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200)
    check_matrix(reverse("mail:followup_queue", args=["reminders"]), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)


def test_older_pages_split_entries_of_one_moment_without_losing_any(world):
    """VIEW-10, MAIL-16, FUP-01: 70 mails and 40 calls filed at the same second (a mass mailing to a
    customer's addresses) walk through [Older] page by page, each entry shown exactly once."""
    load_codes()
    customer, mailbox = world["customer"], world["mailbox"]
    for n in range(70):
        message_ingest(mailbox=mailbox, raw=raw_mail("anna@hanse.de", subject=f"Catalogue {n}",
                                                     message_id=f"<tie{n}@hanse.de>"))
    moment = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    Mail.objects.filter(customer=customer).update(date=moment)
    phone = CodeItem.objects.get(group__key="followup_method", code="PHONE")
    for n in range(40):
        ContactRecord.objects.create(customer=customer, employee=world["lily"], subject=f"Call {n}",
                                     method=phone, occurred_at=moment)
    client = client_of("lily")
    url = reverse("followup:customer_record", args=[customer.pk])
    seen, pages, query = [], 0, {}
    while True:
        page = client.get(url, query)
        seen += [entry.key for entry in page.context["entries"]]
        pages += 1
        if not page.context["older"]:
            break
        assert f"before={quote(page.context['older'], safe='/')}" in page.content.decode()  # the [Older] link
        query = {"before": page.context["older"]}
    assert pages == 3
    assert len(seen) == len(set(seen)) == 110
    assert sorted(seen) == sorted([f"mail:{pk}" for pk in Mail.objects.filter(customer=customer).values_list(
        "pk", flat=True)] + [f"record:{pk}" for pk in ContactRecord.objects.values_list("pk", flat=True)])


def test_mail_without_a_date_header_is_dated_on_arrival(world):
    """VIEW-10, MAIL-16: a mail with no Date header takes its arrival time, so it sorts among the others
    and stays reachable on older pages."""
    raw = b"From: anna@hanse.de\r\nTo: info@tradeport.test\r\nSubject: No date\r\nMessage-ID: <nodate@hanse.de>\r\n\r\nHi.\r\n"
    mail = message_ingest(mailbox=world["mailbox"], raw=raw).mail
    mail.refresh_from_db()
    assert mail.date == mail.received_at
    entries = client_of("lily").get(reverse("followup:customer_record", args=[world["customer"].pk])).context["entries"]
    assert [entry.subject for entry in entries] == ["No date"]


def test_a_damaged_older_link_shows_the_first_page(world, history):
    """VIEW-10: a cursor that is not one, or a bare moment from an old link, still answers with a page."""
    client = client_of("lily")
    url = reverse("followup:customer_record", args=[world["customer"].pk])
    first = [entry.key for entry in client.get(url).context["entries"]]
    for damaged in ("yesterday", "2026-03-01T10:00:00~9~1", "2026-03-01T10:00:00~2~x", "~~"):
        page = client.get(url, {"before": damaged})
        assert page.status_code == 200
        assert [entry.key for entry in page.context["entries"]] == first
    moment = (timezone.now() - datetime.timedelta(days=2, hours=12)).isoformat()
    assert [entry.kind for entry in client.get(url, {"before": moment}).context["entries"]] == ["mail_in"]


def test_stored_mail_without_a_date_takes_its_arrival_time(world):
    """VIEW-10, MAIL-16: the upgrade dates mail stored undated by an earlier version with its arrival time."""
    import importlib

    from django.apps import apps

    raw = b"From: anna@hanse.de\r\nTo: info@tradeport.test\r\nSubject: Old\r\nMessage-ID: <old@hanse.de>\r\n\r\nHi.\r\n"
    mail = message_ingest(mailbox=world["mailbox"], raw=raw).mail
    Mail.objects.filter(pk=mail.pk).update(date=None)
    importlib.import_module("tradeport.mail.migrations.0020_date_from_arrival").date_from_arrival(apps, None)
    mail.refresh_from_db()
    assert mail.date == mail.received_at
