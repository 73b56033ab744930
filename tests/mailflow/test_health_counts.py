"""The mailbox health page's counts (SYS-02, MBOX-07) and the quarantined bytes (MAIL-20)."""

import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from mailflow.conftest import raw_mail
from tradeport.mail.models import (
    FetchLedger,
    FolderState,
    Mailbox,
    Quarantine,
    RawMessage,
)
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sales_box(db):
    return Mailbox.objects.create(address="sales@tradeport.test", host="imap.tradeport.test",
                                  folders=["INBOX", "Sent"])


@pytest.fixture
def info_box(db):
    return Mailbox.objects.create(address="info@tradeport.test", host="pop.tradeport.test", protocol="pop3")


def raw_row(label: str) -> RawMessage:
    digest = hashlib.sha256(label.encode()).hexdigest()
    return RawMessage.objects.get_or_create(sha256=digest, defaults={"size": 1, "path": f"raw/{digest}"})[0]


def fetched(mailbox: Mailbox, folder: str, uidvalidity: int, count: int) -> None:
    """Ledger rows as a fetch would leave them: one per UID taken from the server."""
    FetchLedger.objects.bulk_create([
        FetchLedger(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, uid=str(uid),
                    raw=raw_row(f"{mailbox.address}/{folder}/{uidvalidity}/{uid}"))
        for uid in range(1, count + 1)])


def state(mailbox: Mailbox, folder: str, uidvalidity: int, server_count: int, *, age_hours: float = 0) -> FolderState:
    row = FolderState.objects.create(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity,
                                     last_uid=server_count, server_count=server_count)
    FolderState.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timezone.timedelta(hours=age_hours))
    return row


def store(mailbox: Mailbox, count: int) -> None:
    for number in range(count):
        result = message_ingest(mailbox=mailbox, raw=raw_mail("buyer@unknown.example",
                                                              message_id=f"<{mailbox.pk}-{number}@unknown.example>"))
        assert result.outcome == "stored"


def page(client, manager, signed_in):
    signed_in(client, manager)
    response = client.get(reverse("mail:mailbox_list"))
    assert response.status_code == 200
    return response


def cells(html: str, address: str) -> dict[str, str]:
    """The counts shown in one mailbox's row, by their data-count name."""
    row = re.search(rf'<tr data-mailbox="{re.escape(address)}">(.*?)</tr>', html, re.S).group(1)
    def text(html: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())

    shown = {}
    for name, value in re.findall(r'<td data-count="(\w+)">(.*?)</td>', row, re.S):
        behind = re.search(r'<div[^>]*data-count="behind">(.*?)</div>', value, re.S)
        if behind:
            shown["behind"] = text(behind.group(1))
            value = value.replace(behind.group(0), "")
        shown[name] = text(value)
    return shown


def counts(response, mailbox: Mailbox) -> tuple[int, int, int, int]:
    row = next(r for r in response.context["rows"] if r["mailbox"] == mailbox)
    return row["on_server"], row["fetched"], row["behind"], row["stored"]


def test_the_page_shows_on_server_fetched_to_fetch_and_stored(client, manager, signed_in, sales_box):
    """SYS-02, MBOX-07: two folders: 10 on the server, 7 fetched, 3 to fetch; stored counts the mailbox's mail."""
    state(sales_box, "INBOX", 100, 7)
    state(sales_box, "Sent", 5, 3)
    fetched(sales_box, "INBOX", 100, 5)
    fetched(sales_box, "Sent", 5, 2)
    store(sales_box, 4)
    response = page(client, manager, signed_in)
    assert counts(response, sales_box) == (10, 7, 3, 4)
    shown = cells(response.content.decode(), "sales@tradeport.test")
    assert shown["server"] == "10"
    assert shown["fetched"] == "7"
    assert shown["behind"] == "3 to fetch"
    assert shown["stored"] == "4"


def test_a_mailbox_that_has_everything_shows_nothing_to_fetch(client, manager, signed_in, sales_box, info_box):
    """SYS-02, MBOX-07: counts are per mailbox; fetched all (or more, after deletions on the server) is not behind."""
    state(sales_box, "INBOX", 100, 2)
    fetched(sales_box, "INBOX", 100, 5)  # three were deleted on the server since
    state(info_box, "POP3", 0, 6)
    fetched(info_box, "POP3", 0, 6)
    store(info_box, 1)
    response = page(client, manager, signed_in)
    assert counts(response, sales_box) == (2, 5, 0, 0)
    assert counts(response, info_box) == (6, 6, 0, 1)
    html = response.content.decode()
    assert "behind" not in cells(html, "sales@tradeport.test")
    assert "behind" not in cells(html, "info@tradeport.test")
    assert "to fetch" not in html


def test_after_a_uidvalidity_change_only_the_newest_state_counts(client, manager, signed_in, sales_box):
    """MBOX-07: the server renumbered INBOX; the old UIDVALIDITY's state and ledger no longer count."""
    state(sales_box, "INBOX", 100, 9, age_hours=48)
    fetched(sales_box, "INBOX", 100, 9)
    state(sales_box, "INBOX", 200, 9)
    fetched(sales_box, "INBOX", 200, 2)
    state(sales_box, "Sent", 5, 3, age_hours=48)  # a folder that did not change keeps its older state
    fetched(sales_box, "Sent", 5, 3)
    store(sales_box, 9)
    response = page(client, manager, signed_in)
    assert counts(response, sales_box) == (12, 5, 7, 9)
    shown = cells(response.content.decode(), "sales@tradeport.test")
    assert (shown["server"], shown["behind"], shown["stored"]) == ("12", "7 to fetch", "9")


def test_a_mailbox_never_fetched_shows_zeros(client, manager, signed_in, sales_box):
    """SYS-02: without any folder state the counts are zero, not missing."""
    response = page(client, manager, signed_in)
    assert counts(response, sales_box) == (0, 0, 0, 0)
    shown = cells(response.content.decode(), "sales@tradeport.test")
    assert (shown["server"], shown["fetched"], shown["stored"]) == ("0", "0", "0")


def test_the_htmx_refresh_returns_the_same_counts(client, manager, signed_in, sales_box):
    """SYS-02: the table the page polls every five seconds carries the same counts."""
    state(sales_box, "INBOX", 100, 4)
    fetched(sales_box, "INBOX", 100, 1)
    signed_in(client, manager)
    response = client.get(reverse("mail:mailbox_list"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert cells(html, "sales@tradeport.test")["behind"] == "3 to fetch"


# Quarantined bytes --------------------------------------------------------------------------

BROKEN = b"\x00\x01<script>alert('x')</script> not mail \xff\xfe"


@pytest.fixture
def quarantined(sales_box):
    result = message_ingest(mailbox=sales_box, raw=BROKEN)
    assert result.outcome == "quarantined"
    return Quarantine.objects.get()


def test_quarantined_bytes_are_shown_as_plain_text(client, manager, signed_in, quarantined):
    """MAIL-20: a System mailbox holder reads the quarantined bytes exactly, as text/plain, never as HTML."""
    signed_in(client, manager)
    response = client.get(reverse("mail:quarantine_raw", args=[quarantined.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="{hashlib.sha256(BROKEN).hexdigest()}.eml"'
    assert b"".join(response.streaming_content) == BROKEN
    response.close()


def test_quarantined_bytes_are_refused_to_others(client, salesperson, signed_in, quarantined):
    """MAIL-20, GEN-01: a salesperson without the System mailbox function is refused."""
    signed_in(client, salesperson)
    assert client.get(reverse("mail:quarantine_raw", args=[quarantined.pk])).status_code == 403


def test_another_users_personal_quarantine_is_not_found(client, manager, signed_in, salesperson):
    """MAIL-20, PERM-13: a personal mailbox's quarantine is the owner's; for others it does not exist."""
    personal = Mailbox.objects.create(address="lily@tradeport.test", kind="personal", protocol="none",
                                      owner=salesperson)
    message_ingest(mailbox=personal, raw=BROKEN)
    item = Quarantine.objects.get()
    signed_in(client, manager)
    assert client.get(reverse("mail:quarantine_raw", args=[item.pk])).status_code == 404
    assert client.get(reverse("mail:quarantine_raw", args=[item.pk + 1000])).status_code == 404
