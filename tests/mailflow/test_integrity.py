"""Intake integrity against the real database (and a real Dovecot): no message can stop intake,
a reused Message-ID loses no mail, stored attachments download as they were sent."""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from mail.strategies import mutate

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from mailflow.test_fetch import make_mailbox, trust_test_certificate  # noqa: F401  (fixture)
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.mail import services
from tradeport.mail.models import (
    FetchLedger,
    FolderState,
    Mail,
    MailAttachment,
    Mailbox,
    Quarantine,
)
from tradeport.mail.parsing import parse_message
from tradeport.mail.services import Prepared, ingest_batch, message_ingest, prepare

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "mail" / "fixtures"
EIGHT_BIT_ID = (b"From: Shop <orders@shop.example>\r\nTo: info@tradeport.test\r\nSubject: Order 17\r\n"
                b"Date: Tue, 3 Mar 2026 10:00:00 +0100\r\nMessage-ID: <order-17-\xf6@shop.example>\r\n"
                b"In-Reply-To: <cart-\xe4@shop.example>\r\nReferences: <cart-\xe4@shop.example>\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\nThank you for your order.\r\n")
NOT_MAIL = b"\x89PNG\r\n\x1a\n not a message at all"


def stored_text_fields(mail: Mail) -> list[str]:
    return [mail.message_id, mail.in_reply_to, *mail.references, mail.subject, mail.from_name, mail.from_address,
            *mail.to, *mail.cc, mail.text, mail.html, *mail.defects]


def test_raw_8bit_message_id_is_stored_as_valid_unicode(world):
    """MAIL-01, MBOX-08: a raw 8-bit byte in Message-ID, In-Reply-To and References no longer fails the
    database; the id is read as Latin-1 (the same in the mail and its replies), and a re-fetch is a duplicate."""
    result = message_ingest(mailbox=world["mailbox"], raw=EIGHT_BIT_ID)
    assert result.outcome == "stored"
    mail = Mail.objects.get(pk=result.mail.pk)
    assert mail.message_id == "<order-17-ö@shop.example>"
    assert mail.in_reply_to == "<cart-ä@shop.example>"
    for text in stored_text_fields(mail):
        text.encode("utf-8")  # no lone surrogate anywhere
    assert message_ingest(mailbox=world["mailbox"], raw=EIGHT_BIT_ID).outcome == "duplicate"


def test_a_message_that_cannot_be_stored_is_quarantined_and_the_batch_goes_on(world):
    """MBOX-07, MAIL-20: whatever fails while storing one message (here a lone surrogate, as a parser
    bug would leave it) quarantines that message with the reason; the others of its batch are stored."""
    good = [raw_mail("info@hanse.de", message_id=f"<ok{n}@hanse.de>") for n in range(3)]
    poisoned = prepare([raw_mail("info@hanse.de", message_id="<bad@hanse.de>")])[0]
    poisoned.parsed.subject = "Order \udcf6"
    with transaction.atomic():
        results = ingest_batch(mailbox=world["mailbox"], messages=[*prepare(good[:2]), poisoned, *prepare(good[2:])])
    assert [r.outcome for r in results] == ["stored", "stored", "quarantined", "stored"]
    quarantine = Quarantine.objects.get()
    assert quarantine.raw_id == results[2].raw.pk
    assert "UnicodeEncodeError" in quarantine.reason
    assert sorted(Mail.objects.values_list("message_id", flat=True)) == ["<ok0@hanse.de>", "<ok1@hanse.de>",
                                                                         "<ok2@hanse.de>"]


def test_fuzzed_messages_are_each_stored_or_quarantined(world):
    """MBOX-07, MAIL-20: seeded random damage to every fixture (bytes flipped, cut, doubled,
    8-bit junk) goes through ingest_batch; every message is accounted for, and only bytes that are
    not mail at all are quarantined: no exception reaches a quarantine or the caller."""
    messages = [mutate(path.read_bytes(), seed) for path in sorted(FIXTURES.glob("*.eml")) for seed in range(4)]
    outcomes = []
    for start in range(0, len(messages), 50):
        prepared = prepare(messages[start:start + 50])
        with transaction.atomic():
            outcomes += [r.outcome for r in ingest_batch(mailbox=world["mailbox"], messages=prepared)]
    assert len(outcomes) == len(messages)
    assert set(outcomes) <= {"stored", "duplicate", "blocked", "quarantined"}
    reasons = list(Quarantine.objects.values_list("reason", flat=True))
    assert len(reasons) == outcomes.count("quarantined")
    assert all(reason.startswith("not an email") for reason in reasons), reasons
    for mail in Mail.objects.all():
        for text in stored_text_fields(mail):
            text.encode("utf-8")


def test_same_message_id_with_other_content_is_another_mail(world):
    """MBOX-08: a shop system that sends two different mails under one Message-ID loses neither; a copy
    fetched again, or imported with other line endings and server headers, is still a duplicate."""
    first = raw_mail("orders@shop.example", message_id="<notice@shop.example>", subject="Invoice 1",
                     body="Invoice 1 is attached.")
    second = raw_mail("orders@shop.example", message_id="<notice@shop.example>", subject="Invoice 2",
                      body="Invoice 2 is attached.")
    relayed = b"Received: from relay.example by mx.example; Tue, 3 Mar 2026 10:00:05 +0100\r\n" + first
    exported = first.replace(b"\r\n", b"\n")
    mailbox = world["mailbox"]
    outcomes = [r.outcome for r in ingest_batch(mailbox=mailbox, messages=[first, second, first])]
    assert outcomes == ["stored", "stored", "duplicate"]
    assert message_ingest(mailbox=mailbox, raw=relayed).outcome == "duplicate"
    assert message_ingest(mailbox=mailbox, raw=exported).outcome == "duplicate"
    mails = Mail.objects.filter(message_id="<notice@shop.example>").order_by("pk")
    assert [m.subject for m in mails] == ["Invoice 1", "Invoice 2"]
    assert mails[0].thread_key != mails[1].thread_key  # the second is not threaded onto the first


def test_mail_stored_before_content_hashes_still_dedupes_by_message_id(world):
    """MBOX-08: a mail stored before content hashes existed ("" hash) is still found by its Message-ID."""
    raw = raw_mail("info@hanse.de", message_id="<legacy@hanse.de>")
    message_ingest(mailbox=world["mailbox"], raw=raw)
    Mail.objects.update(content_hash="")
    resent = raw_mail("info@hanse.de", message_id="<legacy@hanse.de>", body="Please quote again.")
    assert message_ingest(mailbox=world["mailbox"], raw=resent).outcome == "duplicate"


def _import(*args) -> str:
    out = io.StringIO()
    call_command("import-mail", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_of_a_folder_with_poisoned_messages_imports_the_rest(world, tmp_path):
    """ADM-11, MAIL-20: a raw 8-bit Message-ID (which used to stop `import-mail` with a traceback) is
    imported; a file that is not mail is quarantined; every other message is imported."""
    folder = tmp_path / "export"
    folder.mkdir()
    for n in range(5):
        (folder / f"{n}.eml").write_bytes(raw_mail("info@hanse.de", message_id=f"<imp{n}@hanse.de>"))
    (folder / "2a-8bit.eml").write_bytes(EIGHT_BIT_ID)
    (folder / "2b-broken.eml").write_bytes(NOT_MAIL)
    summary = _import(folder, "--mailbox", "info@tradeport.test")
    assert summary.strip() == "imported=6 duplicates=0 quarantined=1 blocked=0 failed=0"
    assert Quarantine.objects.get().reason.startswith("not an email")


@pytest.mark.parametrize(("name", "size"), [("outlook_pdf_attachment.eml", 100_001), ("foxmail_gbk_attachment.eml", 11_521),
                                        ("gmail_attachment.eml", 4_097)])
def test_attachments_from_outlook_foxmail_and_gmail_download_byte_identical(world, name, size):
    """READ-01, MAIL-01: the attachment downloads with the bytes that were sent (100,001 bytes stay 100,001)."""
    from mail import make_fixtures

    sent = {"outlook_pdf_attachment.eml": make_fixtures.OUTLOOK_PDF,
            "foxmail_gbk_attachment.eml": make_fixtures.FOXMAIL_XLSX,
            "gmail_attachment.eml": make_fixtures.GMAIL_PDF}[name]
    assert len(sent) == size
    mail = message_ingest(mailbox=world["mailbox"], raw=(FIXTURES / name).read_bytes()).mail
    attachment = MailAttachment.objects.get(mail=mail, inline=False)
    assert (attachment.size, attachment.sha256) == (size, hashlib.sha256(sent).hexdigest())
    with default_storage.open(attachment.path, "rb") as handle:
        assert handle.read() == sent
    boss = sign_in(Client(), make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理"))
    response = boss.get(reverse("mail:mail_attachment", args=[mail.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == sent


def test_dovecot_fetch_passes_poisoned_and_fuzzed_messages(dovecot, dovecot_user, world):
    """MBOX-07, MBOX-08: a mailbox holding a raw 8-bit Message-ID and randomly damaged messages is fetched
    past all of them: each is stored or quarantined, the high-water mark reaches the last UID, and the
    next fetch finds nothing new (it used to fail on the same message forever)."""
    fixtures = sorted(FIXTURES.glob("*.eml"))
    damaged = [mutate(path.read_bytes(), seed).replace(b"\x00", b"\x01") for seed, path in
               enumerate(fixtures[::3])]
    batch = [raw_mail("info@hanse.de", message_id="<before@hanse.de>"), EIGHT_BIT_ID,
             *[raw for raw in damaged if raw.strip()], raw_mail("info@hanse.de", message_id="<after@hanse.de>")]
    uids = dovecot.deliver_many(dovecot_user.address, batch)
    mailbox = make_mailbox(dovecot, dovecot_user)
    report = services.fetch_mailbox(mailbox)
    assert report.stored + report.duplicates + report.quarantined + report.blocked == len(batch)
    assert FolderState.objects.get(mailbox=mailbox, folder="INBOX").last_uid == max(uids)
    assert FetchLedger.objects.filter(mailbox=mailbox).count() == len(batch)
    assert Mail.objects.filter(message_id__in=["<before@hanse.de>", "<after@hanse.de>",
                                               "<order-17-ö@shop.example>"]).count() == 3
    again = services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk))
    assert (again.stored, again.duplicates, again.quarantined) == (0, 0, 0)
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == ""


def test_prepared_items_parse_like_parse_message():
    """MBOX-08: prepare() keeps the parser's content hash, the key of reused-Message-ID dedupe."""
    raw = raw_mail("info@hanse.de")
    assert isinstance(prepare([raw])[0], Prepared)
    assert prepare([raw])[0].parsed.content_hash == parse_message(raw).content_hash != ""


def _as_stored_before_the_fix(mail: Mail, sent: bytes) -> None:
    """What the old `_payload` stored: the last quad of base64 dropped, a false defect, no content hash."""
    from tradeport.mail.services import _store_file

    cut = sent[:len(sent) - len(sent) % 3]
    digest, path = _store_file("attachments", cut)
    MailAttachment.objects.filter(mail=mail, inline=False).update(sha256=digest, path=path, size=len(cut))
    Mail.objects.filter(pk=mail.pk).update(defects=["truncated base64"], content_hash="")


def test_reparse_repairs_attachments_stored_before_the_fix_and_resumes(world, settings, tmp_path):
    """READ-01, MBOX-08: `tradeport mail reparse` re-derives attachment files from the raw messages, reports
    how many changed, drops the false defect, fills the content hash, and resumes where it was stopped."""
    from mail import make_fixtures

    from tradeport.mail.reparse import load_checkpoint, reparse

    settings.DATA_DIR = tmp_path
    outlook = message_ingest(mailbox=world["mailbox"], raw=(FIXTURES / "outlook_pdf_attachment.eml").read_bytes())
    gmail = message_ingest(mailbox=world["mailbox"], raw=(FIXTURES / "gmail_attachment.eml").read_bytes())
    good = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de"))
    _as_stored_before_the_fix(outlook.mail, make_fixtures.OUTLOOK_PDF)
    _as_stored_before_the_fix(gmail.mail, make_fixtures.GMAIL_PDF)
    assert MailAttachment.objects.get(mail=outlook.mail, inline=False).size == 99_999

    class Stop(Exception):
        pass

    def stop_after_first(counts):
        raise Stop

    with pytest.raises(Stop):  # a run stopped after its first batch of one mail
        reparse(batch=1, progress=stop_after_first)
    assert (load_checkpoint().done, load_checkpoint().attachments_changed) == (1, 1)
    out = io.StringIO()
    call_command("mail", "reparse", "--batch", "1", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "mails=3 mails_changed=2 attachments_changed=2 unreadable=0"
    for result, sent in ((outlook, make_fixtures.OUTLOOK_PDF), (gmail, make_fixtures.GMAIL_PDF)):
        attachment = MailAttachment.objects.get(mail=result.mail, inline=False)
        assert attachment.size == len(sent)
        with default_storage.open(attachment.path, "rb") as handle:
            assert handle.read() == sent
        mail = Mail.objects.get(pk=result.mail.pk)
        assert "truncated base64" not in mail.defects
        assert mail.content_hash == parse_message((FIXTURES / f"{'outlook_pdf' if result is outlook else 'gmail'}"
                                                   "_attachment.eml").read_bytes()).content_hash
    assert Mail.objects.get(pk=good.mail.pk).content_hash != ""
    again = io.StringIO()
    call_command("mail", "reparse", "--restart", stdout=again, stderr=io.StringIO())
    assert again.getvalue().strip() == "mails=3 mails_changed=0 attachments_changed=0 unreadable=0"
