"""The copy of sent mail in the mailbox's Sent folder on the test Dovecot (SEND-14), and a worker killed
between the SMTP server's acceptance and the commit (SEND-17): a recipient gets at most one copy."""

import imaplib
import signal
import subprocess
import sys
import textwrap

import pytest
from django.utils import timezone

from mailflow.test_fetch import make_mailbox
from mailflow.test_worker_kill import _database_env
from tradeport.accounts.models import Account
from tradeport.mail import sending
from tradeport.mail.models import Mail, OutgoingMail
from tradeport.mail.tasks import send_due_mail


def sent_folder(dovecot, user) -> list[bytes]:
    """The raw messages in the user's Sent folder, and their flags."""
    conn = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
    conn.login(user.address, user.password)
    conn.select("Sent", readonly=True)
    _typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    conn.logout()
    return [item for item in data if isinstance(item, tuple)]


def create_sent(dovecot, user) -> None:
    conn = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
    conn.login(user.address, user.password)
    conn.create("Sent")
    conn.logout()


@pytest.fixture
def outgoing_from_imap(dovecot, dovecot_user, world, smtp_sink, monkeypatch):
    """A queued mail from a mailbox that fetches from Dovecot and sends to the loopback SMTP server."""
    monkeypatch.setenv("TRADEPORT_MAIL_CA_FILE", str(dovecot.cafile))
    monkeypatch.setattr(sending, "_enqueue", lambda outgoing_id: None)  # each test sends when it chooses

    def make(subject="Quotation 报价"):
        mailbox = make_mailbox(dovecot, dovecot_user, security="plain", smtp_host=smtp_sink.host,
                               smtp_port=smtp_sink.port, smtp_security="plain")
        outgoing = OutgoingMail.objects.create(author=Account.objects.get(username="lily"), employee=world["lily"],
                                               mailbox=mailbox, to=["anna@hanse.de"], subject=subject, body="Price list.")
        sending.submit(outgoing)
        return outgoing
    return make


@pytest.mark.django_db
def test_sent_mail_is_copied_to_the_sent_folder(dovecot, dovecot_user, outgoing_from_imap, smtp_sink):
    """SEND-14: after the SMTP server takes the mail, a copy marked read goes into the folder the server
    marks \\Sent; the outbox row says where."""
    create_sent(dovecot, dovecot_user)
    outgoing = outgoing_from_imap()
    assert sending.deliver(outgoing.pk) == "sent"
    copies = sent_folder(dovecot, dovecot_user)
    assert len(copies) == 1
    flags, raw = copies[0]
    assert b"\\Seen" in flags
    assert outgoing.message_id.encode() in raw
    assert smtp_sink.messages[0].data.replace(b"\r\n", b"\n").strip() == raw.replace(b"\r\n", b"\n").strip()
    outgoing.refresh_from_db()
    assert outgoing.copy_note == "Copy stored in Sent."


@pytest.mark.django_db
def test_without_a_sent_folder_the_mail_still_leaves(dovecot, dovecot_user, outgoing_from_imap, smtp_sink):
    """SEND-14: a server with no Sent folder gets no copy; the mail is sent and the row says why."""
    outgoing = outgoing_from_imap()
    assert sending.deliver(outgoing.pk) == "sent"
    assert len(smtp_sink.messages) == 1
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT
    assert "no Sent folder" in outgoing.copy_note


DRIVER = textwrap.dedent("""
    import sys, time
    import django
    django.setup()
    from tradeport.mail import sending
    real = sending._append_copy
    def slow(outgoing, raw):
        if sys.argv[2] == "before-copy":
            print("ACCEPTED", flush=True)
            time.sleep(120)
        note = real(outgoing, raw)
        print("ACCEPTED", flush=True)
        time.sleep(120)
        return note
    sending._append_copy = slow
    print(sending.deliver(int(sys.argv[1])), flush=True)
""")


def kill_after_acceptance(outgoing, moment: str) -> None:
    """Run deliver() in a child process and SIGKILL it once the SMTP server has accepted the mail."""
    child = subprocess.Popen([sys.executable, "-c", DRIVER, str(outgoing.pk), moment], env=_database_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = child.stdout.readline()
    assert line.strip() == b"ACCEPTED", line + child.stdout.read()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_copy_is_recognised_and_not_sent_twice(dovecot, dovecot_user, outgoing_from_imap,
                                                                         smtp_sink):
    """SEND-17, SEND-14: SIGKILL between acceptance and commit leaves the row sending; when its lease ends it
    is failed and never resent by itself; the author's retry finds the Message-ID in the Sent folder and
    files the mail as sent: the customer got exactly one copy."""
    create_sent(dovecot, dovecot_user)
    outgoing = outgoing_from_imap()
    kill_after_acceptance(outgoing, "after-copy")
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENDING
    assert len(smtp_sink.messages) == 1
    OutgoingMail.objects.filter(pk=outgoing.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    send_due_mail.call()  # the scheduled job: releases the row, sends nothing
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.FAILED
    assert outgoing.interrupted
    assert len(smtp_sink.messages) == 1
    assert sending.retry(outgoing)
    assert sending.deliver(outgoing.pk) == "found"
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT
    assert "not sent again" in outgoing.copy_note
    assert len(smtp_sink.messages) == 1
    assert Mail.objects.filter(message_id=outgoing.message_id, direction=Mail.Direction.OUT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_before_the_copy_never_resends_by_itself(dovecot, dovecot_user, outgoing_from_imap,
                                                                 smtp_sink):
    """SEND-17: the documented window (accepted, no copy yet): the row is failed as "may already have left"
    and the scheduled job does not send it again; only the author's retry would."""
    create_sent(dovecot, dovecot_user)
    outgoing = outgoing_from_imap()
    kill_after_acceptance(outgoing, "before-copy")
    OutgoingMail.objects.filter(pk=outgoing.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    for _round in range(3):
        send_due_mail.call()
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.FAILED
    assert "may already have left" in outgoing.last_error
    assert len(smtp_sink.messages) == 1
    assert sent_folder(dovecot, dovecot_user) == []
