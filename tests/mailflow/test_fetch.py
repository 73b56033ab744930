"""Fetching from a real Dovecot (tests/mailserver): IMAP and POP3, idempotent and resumable."""

import pytest
from django.utils import timezone

from mailflow.conftest import raw_mail
from tradeport.mail import protocols, services
from tradeport.mail.models import FetchLedger, Mail, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def trust_test_certificate(dovecot, monkeypatch):
    monkeypatch.setenv("TRADEPORT_MAIL_CA_FILE", str(dovecot.cafile))


def make_mailbox(dovecot, user, *, protocol="imap", security="ssl", **fields) -> Mailbox:
    port = {("imap", "ssl"): dovecot.imaps_port, ("imap", "starttls"): dovecot.imap_port,
            ("imap", "plain"): dovecot.imap_port, ("pop3", "ssl"): dovecot.pop3s_port,
            ("pop3", "starttls"): dovecot.pop3_port, ("pop3", "plain"): dovecot.pop3_port}[(protocol, security)]
    mailbox = Mailbox(address=user.address, protocol=protocol, host=dovecot.host, port=port, security=security,
                      username=user.address, **fields)
    mailbox.password = user.password
    mailbox.save()
    return mailbox


def messages(count: int, prefix: str = "m") -> list[bytes]:
    return [raw_mail(f"buyer{n % 50}@unknown.example", message_id=f"<{prefix}{n}@unknown.example>",
                     subject=f"询价 {n}") for n in range(count)]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_fetch_stores_each_message_once_and_leaves_the_server_alone(dovecot, dovecot_user, world, security):
    """MBOX-02, MBOX-07, MBOX-08: a fetch stores everything; the server keeps its mail, unread; a re-fetch adds nothing."""
    dovecot.deliver_many(dovecot_user.address, messages(30))
    mailbox = make_mailbox(dovecot, dovecot_user, security=security)
    report = services.fetch_mailbox(mailbox)
    assert (report.stored, report.duplicates) == (30, 0)
    assert Mail.objects.filter(mailbox=mailbox).count() == 30
    status = dovecot.status(dovecot_user.address)
    assert status["MESSAGES"] == 30
    assert status["UNSEEN"] == 30  # BODY.PEEK[]: nothing was marked read
    again = services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk))
    assert (again.stored, again.duplicates) == (0, 0)
    dovecot.deliver(dovecot_user.address, raw_mail("info@hanse.de", message_id="<late@hanse.de>"))
    late = services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk))
    assert late.stored == 1
    assert Mail.objects.get(message_id="<late@hanse.de>").route == Mail.Route.CUSTOMER


def test_first_sync_of_a_large_mailbox(dovecot, dovecot_user, world):
    """MBOX-07, MBOX-08: a first sync of 10,000 messages stores every one exactly once, batch by batch."""
    dovecot.deliver_many(dovecot_user.address, messages(10_000, prefix="big"))
    mailbox = make_mailbox(dovecot, dovecot_user)
    report = services.fetch_mailbox(mailbox)
    assert report.stored == 10_000
    assert Mail.objects.filter(mailbox=mailbox).count() == 10_000
    assert FetchLedger.objects.filter(mailbox=mailbox).count() == 10_000
    state = mailbox.folder_states.get()
    assert (state.server_count, state.last_uid) == (10_000, 10_000)


def test_pop3_mailbox_is_fetched_by_uidl_and_keeps_its_mail(dovecot, dovecot_user, world):
    """MBOX-02, MBOX-07, MBOX-08: POP3 uses a UIDL ledger; messages stay on the server; nothing doubles."""
    dovecot.deliver_many(dovecot_user.address, messages(12))
    mailbox = make_mailbox(dovecot, dovecot_user, protocol="pop3")
    assert services.fetch_mailbox(mailbox).stored == 12
    assert services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk)).stored == 0
    assert dovecot.status(dovecot_user.address)["MESSAGES"] == 12
    assert FetchLedger.objects.filter(mailbox=mailbox, folder="POP3").count() == 12


def test_a_uidvalidity_reset_loses_nothing_and_doubles_nothing(dovecot, dovecot_user, world):
    """MBOX-08: after the server renumbers its UIDs, the resync stores only what is new."""
    dovecot.deliver_many(dovecot_user.address, messages(20))
    mailbox = make_mailbox(dovecot, dovecot_user)
    assert services.fetch_mailbox(mailbox).stored == 20
    dovecot.reset_uidvalidity(dovecot_user.address)
    dovecot.deliver(dovecot_user.address, raw_mail("info@hanse.de", message_id="<after-reset@hanse.de>"))
    report = services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk))
    assert (report.stored, report.duplicates) == (1, 20)
    assert Mail.objects.filter(mailbox=mailbox).count() == 21
    assert mailbox.folder_states.count() == 2


def test_a_server_that_drops_the_connection_mid_fetch_is_resumed(dovecot, dovecot_user, world, monkeypatch):
    """MBOX-07: the batch that committed stays; the error is shown and backed off; the next fetch resumes."""
    dovecot.deliver_many(dovecot_user.address, messages(50))
    mailbox = make_mailbox(dovecot, dovecot_user)
    monkeypatch.setattr(services, "BATCH", 20)
    real_fetch = protocols.ImapClient.fetch
    calls = {"n": 0}

    def fetch_then_drop(self, uids):
        calls["n"] += 1
        if calls["n"] == 2:
            dovecot.restart()  # the server goes away between two batches
        return real_fetch(self, uids)

    monkeypatch.setattr(protocols.ImapClient, "fetch", fetch_then_drop)
    with pytest.raises(protocols.MailServerError):
        services.fetch_mailbox(mailbox)
    failed = Mailbox.objects.get(pk=mailbox.pk)
    assert Mail.objects.filter(mailbox=mailbox).count() == 20
    assert failed.failures == 1
    assert failed.last_error
    assert failed.next_fetch_at > timezone.now()
    assert failed.lease_owner == ""
    monkeypatch.setattr(protocols.ImapClient, "fetch", real_fetch)
    report = services.fetch_mailbox(failed)
    assert report.stored == 30
    assert Mail.objects.filter(mailbox=mailbox).count() == 50
    assert Mailbox.objects.get(pk=mailbox.pk).failures == 0


def test_a_wrong_password_is_named_and_recorded(dovecot, dovecot_user, world):
    """MBOX-03, MBOX-07: an authentication failure is named, and the mailbox shows it instead of sticking."""
    mailbox = make_mailbox(dovecot, dovecot_user)
    mailbox.password = "not-the-password"
    mailbox.save()
    with pytest.raises(protocols.MailServerError) as failure:
        services.fetch_mailbox(mailbox)
    assert failure.value.kind == "auth"
    assert "refused the user name or password" in Mailbox.objects.get(pk=mailbox.pk).last_error


def test_one_worker_per_mailbox(dovecot, dovecot_user, world):
    """MBOX-07: while another worker holds the lease, a fetch is skipped; an expired lease is taken over."""
    mailbox = make_mailbox(dovecot, dovecot_user)
    assert services.lease_acquire(mailbox, "worker-a")
    assert services.fetch_mailbox(mailbox, worker="worker-b").skipped
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    assert not services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk), worker="worker-b").skipped


def test_a_wrong_pop3_password_is_named(dovecot, dovecot_user, world):
    """MBOX-03: POP3 names an authentication failure like IMAP does."""
    mailbox = make_mailbox(dovecot, dovecot_user, protocol="pop3")
    mailbox.password = "not-the-password"
    mailbox.save()
    with pytest.raises(protocols.MailServerError) as failure:
        services.mailbox_test(mailbox)
    assert failure.value.kind == "auth"


@pytest.mark.parametrize(("policy", "personal_allowed", "system_allowed"), [
    ("system", False, True), ("all", True, True), ("none", False, False)])
def test_private_mail_hosts_follow_the_policy(dovecot, dovecot_user, world, settings, policy, personal_allowed,
                                              system_allowed):
    """MBOX-03, MBOX-05: a salesperson's personal mailbox cannot reach loopback or private servers unless allowed."""
    settings.TRADEPORT_MAIL_PRIVATE_HOSTS = policy
    dovecot.deliver(dovecot_user.address, raw_mail("info@hanse.de", message_id="<private@hanse.de>"))
    system = make_mailbox(dovecot, dovecot_user)
    personal = Mailbox.objects.get(pk=system.pk)
    personal.pk, personal.address, personal.kind = None, "lily@tradeport.test", Mailbox.Kind.PERSONAL
    personal.save()
    for mailbox, allowed in ((system, system_allowed), (personal, personal_allowed)):
        if allowed:
            assert services.mailbox_test(mailbox) == "IMAP: INBOX: 1 message"
            continue
        with pytest.raises(protocols.MailServerError) as refused:
            services.mailbox_test(mailbox)
        assert refused.value.kind == "private"
        # The setting is named to the administrator only (the views choose); everyone else is told whom to ask.
        assert "TRADEPORT_MAIL_PRIVATE_HOSTS" in refused.value.admin_message
        assert "TRADEPORT_MAIL_PRIVATE_HOSTS" not in refused.value.message


def test_a_folder_of_malformed_and_exotic_mail_is_ingested_or_quarantined(dovecot, dovecot_user, world):
    """MBOX-07, MAIL-20: every parser fixture plus garbage goes through fetching; none stops the batch, none is lost."""
    from pathlib import Path

    from tradeport.mail.models import Quarantine

    fixtures = sorted((Path(__file__).parents[1] / "mail" / "fixtures").glob("*.eml"))
    garbage = [b"\x00\x01\x02 not mail at all", b"\xff\xfe\xfd" * 50]
    last = raw_mail("info@hanse.de", message_id="<after-the-bad-ones@hanse.de>")
    dovecot.deliver_many(dovecot_user.address, [f.read_bytes() for f in fixtures] + garbage + [last])
    mailbox = make_mailbox(dovecot, dovecot_user)
    report = services.fetch_mailbox(mailbox)
    total = len(fixtures) + len(garbage) + 1
    assert report.stored + report.duplicates + report.quarantined + report.blocked == total
    assert report.quarantined >= len(garbage)
    assert Quarantine.objects.filter(mailbox=mailbox).count() == report.quarantined
    assert FetchLedger.objects.filter(mailbox=mailbox).count() == total
    assert Mail.objects.filter(mailbox=mailbox, message_id="<after-the-bad-ones@hanse.de>").exists()
