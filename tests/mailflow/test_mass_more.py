# ruff: noqa: F811  (the fixtures imported from mailflow.test_mass_mail are test parameters)
"""More of mass mail (MASS-04, MASS-05, MASS-07) and its guards: .csv, .xlsx and GB18030 address files,
duplicates across uploads, bounced and blocked addresses left out, damaged files and line breaks in cells;
approval by a reviewer as one item; cancelling mid-way, a dead worker's recipients, and one worker per
recipient; who may see and act on a mailing; the opt-out list."""

import contextlib
import datetime
import email
import email.policy
import io
import threading

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account, sign_in
from mailflow.test_mail_security import grant
from mailflow.test_mass_mail import boss, new_mailing  # noqa: F401
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.mail import mass
from tradeport.mail.models import (
    BlockedAddress,
    BouncedAddress,
    MassMailing,
    MassRecipient,
    OptOut,
    ReviewerAssignment,
)
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db


def no_sleep(seconds):
    return None


def upload(client, mailing, name: str, data: bytes, **extra):
    response = client.post(reverse("mail:mass_recipients", args=[mailing.pk, "upload"]),
                           {"file": SimpleUploadedFile(name, data), **extra}, follow=True)
    assert response.status_code == 200
    return response


def notices(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def recipients(mailing) -> dict[str, tuple[str, str]]:
    return {r.address: (r.name, r.company) for r in mailing.recipients.all()}


def client_for(account, **options) -> Client:
    return sign_in(Client(**options), account)


def xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Address files (MASS-04) ---------------------------------------------------------------------

def test_csv_with_a_header_row_takes_names_and_companies(sendable, boss):
    """MASS-04: a .csv of address, name, company (UTF-8 with BOM, quoted fields, a Chinese name); its
    header row is not an address, so it is left out and named, not taken as a recipient."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    data = ("email,name,company\r\n"
            "anna@hanse.de,Anna,Hanse Trade\r\n"
            '"wei@huaxin.cn","张伟","华信贸易, 宁波"\r\n'
            "bare@buyers.example\r\n"
            ",,\r\n").encode("utf-8-sig")
    response = upload(client, mailing, "list.csv", data)
    assert "3 recipients added." in notices(response)
    assert "Left out: 1 not email addresses: email." in notices(response)
    assert recipients(mailing) == {"anna@hanse.de": ("Anna", "Hanse Trade"),
                                   "wei@huaxin.cn": ("张伟", "华信贸易, 宁波"),
                                   "bare@buyers.example": ("", "")}
    # Known customer addresses are linked to their customer (MASS-06 files the copy there).
    assert mailing.recipients.get(address="anna@hanse.de").customer == sendable["customer"]
    mailing.refresh_from_db()
    assert mailing.total == 3


def test_xlsx_upload(sendable, boss):
    """MASS-04: an .xlsx of address, name, company; empty rows and cells and a mixed-case address are fine,
    a header row is named as not an address."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    data = xlsx([("Email", "Name", "Company"),
                 ("Hans@Example.DE", "Hans", "Müller GmbH"),
                 (None, None, None),
                 ("li@kunde.cn", "李娜", None),
                 ("solo@kunde.cn",)])
    response = upload(client, mailing, "Kunden.XLSX", data)
    assert "3 recipients added." in notices(response)
    assert "Left out: 1 not email addresses: Email." in notices(response)
    assert recipients(mailing) == {"hans@example.de": ("Hans", "Müller GmbH"), "li@kunde.cn": ("李娜", ""),
                                   "solo@kunde.cn": ("", "")}


def test_gb18030_text_file(sendable, boss):
    """MASS-04: a .txt saved in GB18030 (Chinese Windows' default) is read; its Chinese heading line is
    named, correctly decoded, among the entries that are not addresses."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    data = "客户名单\r\nzhang@gongsi.cn; wang@gongsi.cn\r\nli@gongsi.cn,\r\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    response = upload(client, mailing, "名单.txt", data)
    assert "3 recipients added." in notices(response)
    assert "Left out: 1 not email addresses: 客户名单." in notices(response)
    assert set(recipients(mailing)) == {"zhang@gongsi.cn", "wang@gongsi.cn", "li@gongsi.cn"}


def test_other_file_types_are_refused(sendable, boss):
    """MASS-04: only .txt, .csv and .xlsx; nothing is added from another file."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    response = upload(client, mailing, "list.doc", b"a@buyers.example")
    assert notices(response) == ["Upload a .txt, .csv or .xlsx file."]
    assert not mailing.recipients.exists()


def test_a_broken_xlsx_is_refused_with_a_message(sendable, boss):
    """MASS-04: a file called .xlsx that is not an Excel workbook (an old .xls or a text file renamed) is refused
    with a message, not a server error; nothing is added. (A 500 before 431c02e.)"""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    for data in (b"a@buyers.example\nb@buyers.example\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)):
        response = upload(client, mailing, "list.xlsx", data)
        assert response.redirect_chain[-1][0] == reverse("mail:mass_detail", args=[mailing.pk])
        assert notices(response) == ["This is not an Excel .xlsx workbook (an old .xls renamed, or a damaged file). "
                                     "Save it again as .xlsx or .csv."]
    assert not mailing.recipients.exists()


def test_duplicates_across_uploads_are_counted(sendable, boss):
    """MASS-04: an address already on the list (in any case) is counted as such, not added twice; typed
    addresses are taken along with a file."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    upload(client, mailing, "first.txt", b"a@buyers.example\nb@buyers.example\n")
    response = upload(client, mailing, "second.txt", b"B@Buyers.example\nc@buyers.example\nc@buyers.example\n",
                      addresses="a@buyers.example; d@buyers.example")
    assert notices(response) == ["2 recipients added.", "Left out: 3 already on the list."]
    assert set(recipients(mailing)) == {f"{x}@buyers.example" for x in "abcd"}
    mailing.refresh_from_db()
    assert mailing.total == 4


def test_bounced_blocked_and_opted_out_addresses_are_left_out(sendable, boss):
    """MASS-04, SEND-17: an address that bounced before, a blocked sender and an opted-out one are left out
    and counted by reason, whatever their case in the file."""
    _account, client = boss
    BouncedAddress.objects.create(address="gone@buyers.example", status="5.1.1")
    BlockedAddress.objects.create(address="spam@buyers.example")
    OptOut.objects.create(address="stop@buyers.example")
    mailing = new_mailing(client, sendable)
    response = upload(client, mailing, "list.txt",
                      b"Gone@Buyers.example\nspam@buyers.example\nSTOP@buyers.example\nok@buyers.example\n")
    assert notices(response) == ["1 recipient added.", "Left out: 1 opted out, 1 bounced before, 1 blocked."]
    assert set(recipients(mailing)) == {"ok@buyers.example"}


def test_the_report_counts_every_entry_that_is_not_an_address(sendable, boss):
    """MASS-04: the report counts every entry that is not an address, naming only the first ten. (Counted
    at most 200 before 431c02e.)"""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    lines = [f"not-an-address-{n}" for n in range(250)] + ["ok@buyers.example"]
    response = upload(client, mailing, "list.txt", "\n".join(lines).encode())
    added, left_out = notices(response)
    assert added == "1 recipient added."
    assert left_out.startswith("Left out: 250 not email addresses: not-an-address-0; not-an-address-1; ")
    assert left_out.count("not-an-address-") == 10


def test_a_name_with_a_line_break_does_not_stop_the_mailing(sendable, smtp_sink, boss):
    """MASS-04, MASS-05: a name cell with a line break (Alt+Enter in Excel) is taken as one line; and a recipient
    whose message cannot be built fails alone while the others are sent. (Before 431c02e the worker died with
    its batch left "sending".)"""
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer for {company}", body="Dear {name}")
    upload(client, mailing, "list.xlsx", xlsx([("a@buyers.example", "Anna\nMüller", "ACME\r\nNingbo"),
                                                ("b@buyers.example", "Bert", "ACME")]))
    assert recipients(mailing) == {"a@buyers.example": ("Anna Müller", "ACME Ningbo"),
                                   "b@buyers.example": ("Bert", "ACME")}
    # A row written before names were made one line: its message cannot be built.
    MassRecipient.objects.create(mailing=mailing, address="c@buyers.example", name="Carl\nBcc: x@evil.example")
    MassMailing.objects.filter(pk=mailing.pk).update(total=3)
    mass.submit(mailing)
    assert mass.run(mailing.pk, sleep=no_sleep) == "done"
    assert sorted(m.recipients[0] for m in smtp_sink.messages) == ["a@buyers.example", "b@buyers.example"]
    anna = next(m for m in smtp_sink.messages if m.recipients == ["a@buyers.example"])
    message = email.message_from_bytes(anna.data, policy=email.policy.default)
    assert message["To"].addresses[0].display_name == "Anna Müller"
    assert message["Subject"] == "Offer for ACME Ningbo"
    carl = mailing.recipients.get(address="c@buyers.example")
    assert carl.state == MassRecipient.State.FAILED
    assert carl.error.startswith("The message could not be built")
    assert not any(b"evil.example" in m.data for m in smtp_sink.messages)
    mailing.refresh_from_db()
    assert (mailing.state, mailing.sent, mailing.failed, mailing.total) == ("done", 2, 1, 3)


def test_a_subject_with_a_line_break_is_made_one_line(sendable, smtp_sink, boss):
    """MASS-02, MASS-05: a subject pasted with a line break is made one line, as in compose, so the mailing can
    be sent. (Before 431c02e the first message built killed the worker and the mailing hung in "sending".)"""
    _account, client = boss
    response = client.post(reverse("mail:mass_create"), {"mailbox": sendable["mailbox"].pk,
                                                         "subject": "Offer\r\nfor you", "body": "Hello"})
    assert response.status_code == 302
    mailing = MassMailing.objects.get()
    assert mailing.subject == "Offer for you"
    mass.add_recipients(mailing, [mass.Entry("a@buyers.example")])
    mass.submit(mailing)
    assert mass.run(mailing.pk, sleep=no_sleep) == "done"
    assert len(smtp_sink.messages) == 1
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert message["Subject"] == "Offer for you"


# Approval (MASS-07) ---------------------------------------------------------------------------

@pytest.fixture
def reviewed(sendable, boss):
    """boss's mailings wait for "chief", another manager."""
    account, client = boss
    chief = make_account("chief", template=MANAGER_TEMPLATE, employee_name="总监")
    ReviewerAssignment.objects.create(account=account, reviewer=chief, assigned_by=chief)
    mailing = new_mailing(client, sendable, subject="Autumn offer", body="Dear {name}, ...")
    mass.add_recipients(mailing, [mass.Entry("a@buyers.example"), mass.Entry("b@buyers.example")])
    return {"author": client, "chief": chief, "reviewer": client_for(chief), "mailing": mailing}


def test_a_reviewed_author_waits_for_approval_then_it_sends(reviewed, smtp_sink, django_capture_on_commit_callbacks):
    """MASS-07: with a reviewer, [Send to all] hands the mailing over as one item and nothing leaves; the
    reviewer sees it in the approval list (and on the workbench) and approves it; then it is sent."""
    mailing, author, reviewer = reviewed["mailing"], reviewed["author"], reviewed["reviewer"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = author.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]), follow=True)
    assert callbacks == []  # no sending enqueued
    assert "The mailing waits for the approval of 总监." in notices(response)
    mailing.refresh_from_db()
    assert (mailing.state, mailing.reviewer) == (MassMailing.State.AWAITING, reviewed["chief"])
    assert 'data-state="awaiting"' in response.content.decode()
    assert smtp_sink.messages == []
    assert author.post(reverse("mail:mass_action", args=[mailing.pk, "submit"])).status_code == 302
    mailing.refresh_from_db()
    assert mailing.state == MassMailing.State.AWAITING

    listing = reviewer.get(reverse("mail:approval_list"))
    card = BeautifulSoup(listing.content.decode(), "html.parser").select_one(f"article[data-mailing='{mailing.pk}']")
    assert card is not None
    assert "Autumn offer" in card.text
    assert "2 recipients" in card.text
    assert reviewer.get(reverse("workbench")).context["awaiting"] == 1
    with django_capture_on_commit_callbacks() as callbacks:
        response = reviewer.post(reverse("mail:mass_review", args=[mailing.pk, "approve"]), follow=True)
    assert len(callbacks) == 1  # the sending is enqueued once the approval is committed
    assert "Approved: “Autumn offer” leaves now or at its time." in notices(response)
    mailing.refresh_from_db()
    assert (mailing.state, mailing.reviewed_by) == (MassMailing.State.SENDING, reviewed["chief"])
    assert mass.run(mailing.pk, sleep=no_sleep) == "done"
    assert sorted(m.recipients[0] for m in smtp_sink.messages) == ["a@buyers.example", "b@buyers.example"]
    again = reviewer.post(reverse("mail:mass_review", args=[mailing.pk, "approve"]), follow=True)
    assert "This mail is no longer waiting for you, or has changed since you read it." in notices(again)
    assert len(smtp_sink.messages) == 2


def test_a_rejected_mailing_returns_to_a_draft_with_the_comment(reviewed, smtp_sink):
    """MASS-07: [Return to author] needs a comment; the mailing is a draft again, editable, with the comment
    shown on its page; nothing was sent."""
    mailing, author, reviewer = reviewed["mailing"], reviewed["author"], reviewed["reviewer"]
    author.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))
    response = reviewer.post(reverse("mail:mass_review", args=[mailing.pk, "reject"]), {"comment": ""}, follow=True)
    assert "Say why the mail goes back, so that its author can fix it." in notices(response)
    mailing.refresh_from_db()
    assert mailing.state == MassMailing.State.AWAITING
    reviewer.post(reverse("mail:mass_review", args=[mailing.pk, "reject"]), {"comment": "Add the price list link."})
    mailing.refresh_from_db()
    assert (mailing.state, mailing.review_comment) == (MassMailing.State.DRAFT, "Add the price list link.")
    page = BeautifulSoup(author.get(reverse("mail:mass_detail", args=[mailing.pk])).content.decode(), "html.parser")
    assert "Add the price list link." in page.select_one("#review-comment").text
    assert "总监" in page.select_one("#review-comment").text
    assert page.select_one("#mass-submit") is not None
    assert author.get(reverse("mail:mass_update", args=[mailing.pk])).status_code == 200
    assert smtp_sink.messages == []


def test_a_resubmitted_mailing_no_longer_shows_the_old_rejection(reviewed):
    """MASS-07, SEND-11: once the author submits again, the reviewer's earlier comment is history, as with
    single mail. (It stayed on the page before 431c02e.)"""
    mailing, author, reviewer = reviewed["mailing"], reviewed["author"], reviewed["reviewer"]
    author.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))
    reviewer.post(reverse("mail:mass_review", args=[mailing.pk, "reject"]), {"comment": "Add the price list link."})
    author.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))
    mailing.refresh_from_db()
    assert mailing.state == MassMailing.State.AWAITING
    page = author.get(reverse("mail:mass_detail", args=[mailing.pk])).content.decode()
    assert "Add the price list link." not in page


def test_only_the_reviewer_decides(reviewed, smtp_sink):
    """MASS-07, PERM: neither the author nor another manager can approve or reject someone else's mailing."""
    mailing, author = reviewed["mailing"], reviewed["author"]
    author.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))
    other = client_for(make_account("deputy", template=MANAGER_TEMPLATE))
    for client in (author, other):
        assert client.post(reverse("mail:mass_review", args=[mailing.pk, "approve"])).status_code == 404
        assert client.post(reverse("mail:mass_review", args=[mailing.pk, "reject"]),
                           {"comment": "no"}).status_code == 404
        listing = client.get(reverse("mail:approval_list")).content.decode()
        assert f'data-mailing="{mailing.pk}"' not in listing
    assert reviewed["reviewer"].post(reverse("mail:mass_review", args=[mailing.pk, "forward"])).status_code == 404
    assert reviewed["reviewer"].get(reverse("mail:mass_review", args=[mailing.pk, "approve"])).status_code == 405
    mailing.refresh_from_db()
    assert mailing.state == MassMailing.State.AWAITING
    assert smtp_sink.messages == []


# Cancelling and dead workers (MASS-05) --------------------------------------------------------

def test_cancel_mid_way_skips_the_rest(sendable, smtp_sink, boss):
    """MASS-05: [Cancel mailing] between two batches stops it for good: what was sent stays sent, the rest is
    skipped, and sent + failed + skipped is the total; it cannot be resumed."""
    SystemOption.objects.create(key="mass_mail_per_minute", value=60)
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry(f"r{n:03d}@buyers.example") for n in range(150)])
    smtp_sink.refuse_recipients["r007@buyers.example"] = "550 5.1.1 No such user"
    client.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))

    def cancel_after_first_batch(seconds):
        response = client.post(reverse("mail:mass_action", args=[mailing.pk, "cancel"]))
        assert response.status_code == 302

    assert mass.run(mailing.pk, sleep=cancel_after_first_batch) == MassMailing.State.CANCELLED
    mailing.refresh_from_db()
    assert mailing.state == MassMailing.State.CANCELLED
    assert (mailing.sent, mailing.failed, mailing.skipped, mailing.total) == (59, 1, 90, 150)
    assert mailing.sent + mailing.failed + mailing.skipped == mailing.total
    states = {s: mailing.recipients.filter(state=s).count() for s in MassRecipient.State.values}
    assert states == {"pending": 0, "sending": 0, "sent": 59, "failed": 1, "skipped": 90}
    assert set(mailing.recipients.filter(state="skipped").values_list("error", flat=True)) == {"Cancelled"}
    assert len(smtp_sink.messages) == 59
    assert mailing.lease_until is None

    response = client.post(reverse("mail:mass_action", args=[mailing.pk, "resume"]), follow=True)
    assert "The mailing is no longer in a state that allows this." in notices(response)
    page = response.content.decode()
    assert 'data-state="cancelled"' in page
    assert "59 sent, 1 failed, 90 skipped of 150" in page
    assert 'id="mass-resume"' not in page
    assert mass.run(mailing.pk, sleep=no_sleep) == "busy or stopped"
    assert len(smtp_sink.messages) == 59


def test_retry_on_a_cancelled_mailing_changes_nothing(sendable, smtp_sink, boss):
    """MASS-05: a cancelled mailing is stopped for good; [Retry the failed ones] (hidden there, but posted) leaves
    no recipient waiting for a sending that never comes, and the counters still add up. (Before 431c02e the
    failed ones became "waiting" for ever.)"""
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry("a@buyers.example"), mass.Entry("gone@buyers.example"),
                                  *(mass.Entry(f"r{n}@buyers.example") for n in range(3))])
    smtp_sink.refuse_recipients["gone@buyers.example"] = "550 5.1.1 No such user"
    SystemOption.objects.create(key="mass_mail_per_minute", value=2)  # batches of two: cancel after the first
    mass.submit(mailing)

    def cancel(seconds):
        client.post(reverse("mail:mass_action", args=[mailing.pk, "cancel"]))

    assert mass.run(mailing.pk, sleep=cancel) == "cancelled"
    mailing.refresh_from_db()
    assert (mailing.sent, mailing.failed, mailing.skipped, mailing.total) == (1, 1, 3, 5)
    client.post(reverse("mail:mass_action", args=[mailing.pk, "retry-failed"]))
    mailing.refresh_from_db()
    assert (mailing.state, mailing.sent, mailing.failed, mailing.skipped) == ("cancelled", 1, 1, 3)
    assert not mailing.recipients.filter(state=MassRecipient.State.PENDING).exists()
    assert len(smtp_sink.messages) == 1


def test_a_dead_workers_recipients_fail_and_are_never_resent(sendable, smtp_sink, boss):
    """MASS-05: a worker that died mid-batch leaves its recipients "sending"; once its lease is over they are
    failed as "may already have left" and the mailing goes on with the others only, without resending them."""
    SystemOption.objects.create(key="mass_mail_per_minute", value=6000)
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry(f"r{n}@buyers.example") for n in range(5)])
    mass.submit(mailing)
    assert mass._claim(mailing.pk)  # the worker that dies: claimed, took three, sent who knows
    lost = mass._take_batch(mailing, 3)
    assert [r.state for r in lost] == ["sending"] * 3
    assert mass.release_stale() == []  # its lease is still running
    assert mailing.recipients.filter(state="sending").count() == 3

    later = timezone.now() + mass.LEASE + datetime.timedelta(seconds=1)
    assert mass.release_stale(now=later) == [mailing.pk]
    for recipient in MassRecipient.objects.filter(pk__in=[r.pk for r in lost]):
        assert recipient.state == MassRecipient.State.FAILED
        assert "may already have left" in recipient.error
    mailing.refresh_from_db()
    assert (mailing.state, mailing.failed, mailing.lease_until) == (MassMailing.State.SENDING, 3, None)

    from tradeport.mail.tasks import resume_mass_mailings, run_mass_mailing

    run_mass_mailing.enqueue(mailing_id=mailing.pk)  # the new worker resume_mass_mailings hands it to
    sent = {m.recipients[0] for m in smtp_sink.messages}
    assert sent == {"r3@buyers.example", "r4@buyers.example"}
    assert not sent & {r.address for r in lost}
    mailing.refresh_from_db()
    assert (mailing.state, mailing.sent, mailing.failed, mailing.total) == ("done", 2, 3, 5)
    assert resume_mass_mailings.enqueue().return_value == 0
    assert len(smtp_sink.messages) == 2
    page = client.get(reverse("mail:mass_detail", args=[mailing.pk]), {"state": "failed"}).content.decode()
    assert page.count('data-state="failed"') == 3
    assert "may already have left" in page


def test_pause_and_resume_mid_batch_do_not_start_a_second_worker(sendable, smtp_sink, boss):
    """MASS-05: one worker per mailing: [Pause] then [Resume] while the worker still runs its batch leaves the
    mailing with that worker (it sees the resume and goes on), instead of handing it to a second one. (Resume
    cleared the lease before 431c02e.)"""
    SystemOption.objects.create(key="mass_mail_per_minute", value=60)
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry(f"r{n:03d}@buyers.example") for n in range(120)])
    mass.submit(mailing)
    second = []

    def pause_and_resume(seconds):
        if not second:  # the first worker, between its batches
            client.post(reverse("mail:mass_action", args=[mailing.pk, "pause"]))
            client.post(reverse("mail:mass_action", args=[mailing.pk, "resume"]))
            second.append(mass._claim(mailing.pk))  # the worker enqueued by [Resume]

    mass.run(mailing.pk, sleep=pause_and_resume)
    assert second == [False]
    assert len(smtp_sink.messages) == 120


@pytest.mark.postgres_only
def test_two_workers_never_take_the_same_recipients(transactional_db, sendable, boss, monkeypatch):
    """MASS-05: even when two workers run one mailing, a recipient is claimed by one of them only, so nobody
    receives the mailing twice. Both workers choose their rows before either claims them (a barrier makes
    the race certain). (Both got the same rows before 431c02e.)"""
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry(f"r{n:03d}@buyers.example") for n in range(10)])
    barrier = threading.Barrier(2, timeout=5)
    original = QuerySet.update

    raced = set()

    def update(self, **kwargs):
        first = threading.get_ident() not in raced
        if first and self.model is MassRecipient and kwargs.get("state") == MassRecipient.State.SENDING:
            raced.add(threading.get_ident())  # each worker's first claim waits for the other's choice
            with contextlib.suppress(threading.BrokenBarrierError):  # a claim that does not race this way
                barrier.wait()
        return original(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)
    taken = {}

    def worker(name):
        try:
            taken[name] = {r.pk for r in mass._take_batch(mailing, 5)}
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(taken) == {"a", "b"}
    assert not taken["a"] & taken["b"]
    assert MassRecipient.objects.filter(mailing=mailing, state="sending").count() == len(taken["a"] | taken["b"])


# Who may see and do what (PERM) ---------------------------------------------------------------

def test_another_manager_cannot_see_or_touch_a_mailing(sendable, smtp_sink, boss):
    """PERM-13, MASS-06: a mailing is its author's: another manager (with the mass-mail function) gets 404 on
    its page, its editing, its recipients and every action, and does not see it in the list."""
    _account, client = boss
    mailing = new_mailing(client, sendable, subject="Secret offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry("a@buyers.example")])
    other = client_for(make_account("deputy", template=MANAGER_TEMPLATE))
    assert other.get(reverse("mail:mass_detail", args=[mailing.pk])).status_code == 404
    assert other.get(reverse("mail:mass_update", args=[mailing.pk])).status_code == 404
    assert other.post(reverse("mail:mass_update", args=[mailing.pk]),
                      {"mailbox": sendable["mailbox"].pk, "subject": "Hijacked", "body": "x"}).status_code == 404
    for source in ("upload", "customers", "remove", "clear"):
        response = other.post(reverse("mail:mass_recipients", args=[mailing.pk, source]),
                              {"addresses": "evil@buyers.example", "recipient": "1"})
        assert response.status_code == 404, source
    for action in ("submit", "pause", "resume", "cancel", "retry-failed"):
        assert other.post(reverse("mail:mass_action", args=[mailing.pk, action])).status_code == 404, action
    assert "Secret offer" not in other.get(reverse("mail:mass_list")).content.decode()
    mailing.refresh_from_db()
    assert (mailing.state, mailing.subject, mailing.total) == (MassMailing.State.DRAFT, "Secret offer", 1)
    assert set(recipients(mailing)) == {"a@buyers.example"}
    assert smtp_sink.messages == []


def test_without_the_mass_mail_function_everything_is_forbidden(sendable, boss):
    """PERM-05: a salesperson (employee template: no mass mail) gets 403 on every mass-mail page, even for a
    mailing id that exists."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    lily = client_for(Account.objects.get(username="lily"))
    assert not Account.objects.get(username="lily").has_perm("accounts.fn_mass_mail")
    for url in (reverse("mail:mass_list"), reverse("mail:mass_create"), reverse("mail:optout_list"),
                reverse("mail:mass_detail", args=[mailing.pk])):
        assert lily.get(url).status_code == 403, url
    assert lily.post(reverse("mail:mass_action", args=[mailing.pk, "submit"])).status_code == 403
    assert lily.post(reverse("mail:optout_list"), {"address": "x@buyers.example"}).status_code == 403
    assert not OptOut.objects.exists()
    assert Client().get(reverse("mail:mass_list")).status_code == 302  # anonymous: to the login page


def test_mass_actions_need_the_csrf_token(sendable, smtp_sink, boss):
    """GEN-02: submitting, cancelling, adding recipients and the opt-out list refuse a post without the token."""
    account, client = boss
    mailing = new_mailing(client, sendable)
    mass.add_recipients(mailing, [mass.Entry("a@buyers.example")])
    strict = client_for(account, enforce_csrf_checks=True)
    assert strict.get(reverse("mail:mass_detail", args=[mailing.pk])).status_code == 200
    assert strict.post(reverse("mail:mass_action", args=[mailing.pk, "submit"])).status_code == 403
    assert strict.post(reverse("mail:mass_action", args=[mailing.pk, "cancel"])).status_code == 403
    assert strict.post(reverse("mail:mass_recipients", args=[mailing.pk, "upload"]),
                       {"addresses": "b@buyers.example"}).status_code == 403
    assert strict.post(reverse("mail:optout_list"), {"address": "c@buyers.example"}).status_code == 403
    mailing.refresh_from_db()
    assert (mailing.state, mailing.total) == (MassMailing.State.DRAFT, 1)
    assert not OptOut.objects.exists()
    assert smtp_sink.messages == []


def test_a_salesperson_adds_only_customers_she_may_see(sendable, smtp_sink):
    """PERM-13, MASS-03: lily, granted the mass-mail function, adds customers by filter: only her own come in,
    even with a filter that names someone else's customer or their owner; a manager adds them all but deleted
    ones."""
    world = sendable
    others = Customer.objects.create(code="C0099", name="Tom Only GmbH", main_email="buy@tomonly.de",
                                     region=world["customer"].region)
    EmailAddress.objects.create(address="buy@tomonly.de", domain="tomonly.de", customer=others, role="main")
    Ownership.objects.create(customer=others, employee=world["tom"])
    gone = Customer.objects.create(code="C0098", name="Gone Ltd", main_email="old@gone.example", region=world["customer"].region,
                                   deleted_at=timezone.now())
    Ownership.objects.create(customer=gone, employee=world["lily"])
    lily_account = grant(Account.objects.get(username="lily"), "fn_mass_mail")
    lily = client_for(lily_account)
    mailing = new_mailing(lily, world)
    detail = reverse("mail:mass_detail", args=[mailing.pk])
    assert lily.get(detail, {"filter": "1"}).context["matching"] == 1
    assert lily.get(detail, {"filter": "1", "q": "Tom Only"}).context["matching"] == 0
    add = reverse("mail:mass_recipients", args=[mailing.pk, "customers"])
    lily.post(add + "?filter=1&q=Tom+Only", {"backup": "on", "contacts": "on"})
    lily.post(add + f"?filter=1&owner={world['tom'].pk}", {"backup": "on", "contacts": "on"})
    lily.post(add + "?filter=1&show_deleted=on", {"backup": "on"})
    assert set(recipients(mailing)) == {"info@hanse.de", "sales@hanse.de", "anna@hanse.de"}
    lily.post(add, {"backup": "on", "contacts": "on"})  # no filter at all: every customer she may see
    assert set(recipients(mailing)) == {"info@hanse.de", "sales@hanse.de", "anna@hanse.de"}

    chief = client_for(make_account("chief", template=MANAGER_TEMPLATE))
    theirs = new_mailing(chief, world)
    chief.post(reverse("mail:mass_recipients", args=[theirs.pk, "customers"]) + "?filter=1")
    assert set(recipients(theirs)) == {"info@hanse.de", "buy@tomonly.de"}


# The opt-out list -----------------------------------------------------------------------------

def test_the_opt_out_list_adds_refuses_duplicates_and_removes(sendable, boss):
    """MASS (opt-out): an address is added lower-cased and trimmed; the same address again, in any case, is
    refused with a form error; not an address is refused; [Remove] takes it off (by POST only)."""
    _account, client = boss
    url = reverse("mail:optout_list")
    response = client.post(url, {"address": "  Stop@Buyers.EXAMPLE ", "reason": "asked by phone"}, follow=True)
    assert "stop@buyers.example receives no more mass mail." in notices(response)
    opt_out = OptOut.objects.get()
    assert (opt_out.address, opt_out.reason, opt_out.created_by) == ("stop@buyers.example", "asked by phone",
                                                                     boss[0])
    again = client.post(url, {"address": "STOP@buyers.example"})
    assert again.status_code == 200
    assert again.context["form"].errors["address"]
    errors = BeautifulSoup(again.content.decode(), "html.parser").select("#optout-form .text-danger")
    assert errors
    assert errors[0].text.strip()
    wrong = client.post(url, {"address": "not an address"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["address"]
    assert OptOut.objects.count() == 1
    assert "stop@buyers.example" in client.get(url, {"q": "stop"}).content.decode()

    delete = reverse("mail:optout_delete", args=[opt_out.pk])
    assert client.get(delete).status_code == 405
    response = client.post(delete, follow=True)
    assert "stop@buyers.example may receive mass mail again." in notices(response)
    assert not OptOut.objects.exists()
    assert client.post(delete).status_code == 404


# Damaged input found in review (MASS-04) -------------------------------------------------------

def test_a_refused_file_keeps_what_was_typed_and_says_why(sendable, boss):
    """MASS-04: an empty file is refused with its reason; the addresses typed beside it are still added."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    response = upload(client, mailing, "list.txt", b"", addresses="typed@buyers.example")
    assert any("empty" in notice for notice in notices(response))
    assert set(recipients(mailing)) == {"typed@buyers.example"}


@pytest.mark.parametrize(("data", "added"), [
    (b"a@buyers.example,Anna\rb@buyers.example,Bob\r", {"a@buyers.example", "b@buyers.example"}),
    (b'"a@b.example' + b"x" * 200_000 + b"\n", set()),
])
def test_csv_with_bare_cr_lines_or_a_giant_field_answers_with_a_page(sendable, boss, data, added):
    """MASS-04: an old spreadsheet export (lines ending in CR only) is read; a field past the CSV limit is
    refused with a message instead of an error page."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    response = upload(client, mailing, "list.csv", data)
    assert set(recipients(mailing)) == added
    if not added:
        assert any("CSV file cannot be read" in notice for notice in notices(response))


def test_an_address_longer_than_a_mailbox_column_is_left_out(sendable, boss):
    """MASS-04: the standard allows 320 characters, the recipient column 254: a longer one is invalid."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    response = upload(client, mailing, "list.txt", ("a" * 250 + "@buyers.example\nok@buyers.example").encode())
    assert set(recipients(mailing)) == {"ok@buyers.example"}
    assert any("1 not email addresses" in notice for notice in notices(response))


def test_a_stale_customer_filter_adds_no_one(sendable, boss):
    """MASS-01, PERM-13: a filter that no longer validates (a code deleted since) is refused, not widened to
    every customer."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    response = client.post(reverse("mail:mass_recipients", args=[mailing.pk, "customers"])
                           + "?filter=1&customer_type=999999", follow=True)
    assert mailing.recipients.count() == 0
    assert any("no longer valid" in notice for notice in notices(response))


def test_removing_recipients_with_an_impossible_id_answers_with_the_page(sendable, boss):
    """MASS-04: ids too large for any key are ignored, the valid ones removed."""
    _account, client = boss
    mailing = new_mailing(client, sendable)
    upload(client, mailing, "list.txt", b"a@buyers.example b@buyers.example")
    first = mailing.recipients.get(address="a@buyers.example")
    response = client.post(reverse("mail:mass_recipients", args=[mailing.pk, "remove"]),
                           {"recipient": ["9" * 30, str(first.pk)]})
    assert response.status_code == 302
    assert set(recipients(mailing)) == {"b@buyers.example"}
