import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from mailflow.test_fetch import make_mailbox, messages
from tradeport.mail import services
from tradeport.mail.models import FetchLedger, Mail, Mailbox


def _database_env() -> dict:
    """The environment that points a child process at this test's own database and keys."""
    from django.conf import settings as django_settings

    env = {**os.environ, "TRADEPORT_DATA_DIR": str(django_settings.DATA_DIR),
           "DJANGO_SETTINGS_MODULE": "tradeport.settings"}
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        env["TRADEPORT_DATABASE_URL"] = (f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/"
                                         f"{settings['NAME']}")
    else:
        env["TRADEPORT_SQLITE_PATH"] = str(settings["NAME"])
    return env


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sync_loses_and_doubles_nothing(dovecot, dovecot_user, world, monkeypatch, client,
                                                            admin_account):
    """MBOX-07, MBOX-08, SYS-02: SIGKILL the fetching process mid-sync; the restart stores every message once.

    The mailbox page then shows the server's count as fetched and stored, with nothing left to fetch.
    """
    monkeypatch.setenv("TRADEPORT_MAIL_CA_FILE", str(dovecot.cafile))
    total = 3000
    dovecot.deliver_many(dovecot_user.address, messages(total, prefix="kill"))
    mailbox = make_mailbox(dovecot, dovecot_user)
    child = subprocess.Popen([sys.executable, "-m", "tradeport.cli", "mailbox", "fetch", mailbox.address],
                             env=_database_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while Mail.objects.filter(mailbox=mailbox).count() < 300:
        assert child.poll() is None, child.stdout.read().decode(errors="replace")
        assert time.monotonic() < deadline, "the child fetched nothing in time"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    stored_before = Mail.objects.filter(mailbox=mailbox).count()
    assert 0 < stored_before < total
    # Every stored message has its ledger row: batches commit whole or not at all.
    assert FetchLedger.objects.filter(mailbox=mailbox).count() == stored_before
    # The dead worker's lease runs out (here: at once), and a new worker takes over.
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    report = services.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk))
    assert report.stored == total - stored_before
    assert Mail.objects.filter(mailbox=mailbox).count() == total
    assert FetchLedger.objects.filter(mailbox=mailbox).count() == total
    assert Mail.objects.filter(mailbox=mailbox).values("message_id").distinct().count() == total
    sign_in(client, admin_account)
    page = client.get(reverse("mail:mailbox_list")).content.decode()
    row = page[page.index(f'data-mailbox="{mailbox.address}"'):]
    row = row[:row.index("</tr>")]
    counts = dict(re.findall(r'data-count="(\w+)">\s*(?:<a [^>]*>)?(\d+)', row))
    assert counts == {"server": str(total), "fetched": str(total), "stored": str(total)}
    assert 'data-count="behind"' not in row
