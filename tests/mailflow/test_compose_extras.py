# ruff: noqa: F811  (the fixtures imported from mailflow.test_sending are test parameters)
"""What helps writing and what holds mail back: approval by a reviewer (SEND-10..12), scheduled sending, also
in the customer's local time (SEND-08), templates (SEND-05, SHORT-03, PERS-08), common phrases (SEND-06,
PERS-07), and the signature and default sender mailbox (PERS-05). Delivery goes to a real SMTP server on
loopback."""

import datetime
import email
import email.policy
from email.utils import parsedate_to_datetime

import pytest
from bs4 import BeautifulSoup
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from mailflow.test_sending import compose_data, lily_client, sendable  # noqa: F401
from matrix import check_matrix
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer, EmailAddress
from tradeport.mail import sending
from tradeport.mail.models import (
    CommonPhrase,
    Mailbox,
    MailTemplate,
    OutgoingMail,
    ReviewerAssignment,
    SenderSettings,
)
from tradeport.mail.services import message_ingest
from tradeport.org.models import Region
from tradeport.org.services import region_save

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


# Helpers --------------------------------------------------------------------------------------

def client_for(account: Account, **kwargs) -> Client:
    client = Client(**kwargs)
    sign_in(client, account)
    return client


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html.parser")


def lily() -> Account:
    return Account.objects.get(username="lily")


def tom() -> Account:
    return Account.objects.get(username="tom")


def reviewed_by_boss() -> Account:
    """lily's mail waits for the manager "boss"."""
    boss = make_account("boss", template="manager", employee_name="经理")
    ReviewerAssignment.objects.create(account=lily(), reviewer=boss, assigned_by=boss)
    return boss


def post_compose(client, world, **fields):
    return client.post(reverse("mail:compose"), compose_data(world, **fields))


def sent_to_outbox(client, world, **fields) -> OutgoingMail:
    response = post_compose(client, world, **fields)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response["Location"] == reverse("mail:outbox")
    return OutgoingMail.objects.latest("pk")


def approval(pk: int, action: str) -> str:
    return reverse("mail:approval_action", args=[pk, action])


def approval_counter(client):
    """The workbench tile's number, or None when the tile is not there."""
    counter = soup(client.get(reverse("workbench"))).select_one('[data-counter="approval"]')
    return None if counter is None else int(counter.get_text(strip=True))


def local_minute(delta: datetime.timedelta) -> datetime.datetime:
    return (timezone.localtime() + delta).replace(second=0, microsecond=0)


def typed(moment: datetime.datetime) -> str:
    """What a datetime-local input posts."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def next_year(month: int) -> tuple[int, str]:
    """Next year, and 09:00 on the 15th of `month` in it as typed: always ahead; January for winter time,
    July for summer time."""
    year = timezone.localdate().year + 1
    return year, f"{year}-{month:02d}-15T09:00"


def form_errors(response, field: str) -> list[str]:
    assert response.status_code == 200, response.status_code
    return list(response.context["form"].errors.get(field, []))


def in_zone(world, *zones: str) -> None:
    region = world["customer"].region
    region.time_zones = list(zones)
    region.save()


def options(page: BeautifulSoup, select_id: str) -> list[str]:
    return [o.get_text(strip=True) for o in page.select(f"#{select_id} option") if o.get("value")]


# SEND-10, SEND-12: no bypass; SEND-11 approve ------------------------------------------------

def test_reviewed_mail_waits_for_approval_and_leaves_once_approved(sendable, smtp_sink):
    """SEND-10, SEND-11, SEND-12: with a reviewer set, [Send] only submits: the mail waits ("awaiting"), no
    worker takes it and the compose page offers "Submit for approval" with a disabled [Send]. Neither the
    author nor another manager can approve it; the reviewer's approval queues it and it is sent exactly once."""
    world = sendable
    boss = reviewed_by_boss()
    chief = make_account("chief", template="manager", employee_name="总监")
    client = lily_client(world)

    page = soup(client.get(reverse("mail:compose")))
    assert "Submit for approval" in page.select_one("#send-button").get_text()
    plain_send = [b for b in page.select("button") if b.get_text(strip=True) == "Send"]
    assert plain_send
    assert all(b.has_attr("disabled") for b in plain_send)
    assert page.select_one("#review-note") is not None
    # Without a reviewer (tom), [Send] is the working button.
    tom_page = soup(client_for(tom()).get(reverse("mail:compose")))
    assert tom_page.select_one("#send-button").get_text(strip=True) == "Send"
    assert tom_page.select_one("#review-note") is None

    outgoing = sent_to_outbox(client, world, subject="Offer for approval")
    assert outgoing.state == OutgoingMail.State.AWAITING
    assert outgoing.reviewer == boss
    assert outgoing.next_attempt_at is None
    assert outgoing.raw_path  # built once, as it will leave
    assert sending.deliver(outgoing.pk) == "not due"
    assert outgoing.pk not in sending.due_ids(timezone.now() + datetime.timedelta(days=30))
    assert smtp_sink.messages == []
    waiting = soup(client.get(reverse("mail:outbox") + "?state=waiting"))
    assert waiting.select_one(f'[data-outgoing="{outgoing.pk}"]')["data-state"] == "awaiting"

    # The reviewer sees it; nobody else can decide on it.
    listed = soup(client_for(boss).get(reverse("mail:approval_list")))
    assert listed.select_one(f'[data-outgoing="{outgoing.pk}"]') is not None
    assert soup(client_for(chief).get(reverse("mail:approval_list"))).select_one("[data-outgoing]") is None
    assert client_for(chief).post(approval(outgoing.pk, "approve")).status_code == 404
    assert client.post(approval(outgoing.pk, "approve")).status_code == 404  # the author: no bypass
    assert client_for(boss).get(approval(outgoing.pk, "approve")).status_code == 405
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.AWAITING
    assert sending.deliver(outgoing.pk) == "not due"
    assert smtp_sink.messages == []

    response = client_for(boss).post(approval(outgoing.pk, "approve"))
    assert response.status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.QUEUED
    assert outgoing.reviewed_by == boss
    assert outgoing.reviewed_at is not None
    assert outgoing.next_attempt_at <= timezone.now()
    assert outgoing.pk in sending.due_ids()
    assert sending.deliver(outgoing.pk) == "sent"
    assert sending.deliver(outgoing.pk) == "not due"
    assert client_for(boss).post(approval(outgoing.pk, "approve")).status_code == 302  # no longer waiting
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0].recipients == ["anna@hanse.de"]
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT


def test_an_approved_mail_taken_back_and_changed_needs_approval_again(sendable, smtp_sink):
    """SEND-10: no bypass: a mail approved for tomorrow, taken back to the drafts, changed and sent again,
    waits for the reviewer again instead of leaving with the earlier approval. [Back to drafts] also works
    on a mail still awaiting approval."""
    world = sendable
    boss = reviewed_by_boss()
    client = lily_client(world)
    tomorrow = local_minute(datetime.timedelta(days=1))
    outgoing = sent_to_outbox(client, world, subject="Price list", send_at=typed(tomorrow))
    assert outgoing.state == OutgoingMail.State.AWAITING
    assert client_for(boss).post(approval(outgoing.pk, "approve")).status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.QUEUED
    assert outgoing.next_attempt_at == tomorrow  # approved, it still keeps its time

    assert client.post(reverse("mail:outbox_action", args=[outgoing.pk, "cancel"])).status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.DRAFT
    changed = sent_to_outbox(client, world, draft=outgoing.pk, subject="Price list (changed)",
                             send_at=typed(tomorrow))
    assert changed.pk == outgoing.pk
    assert changed.state == OutgoingMail.State.AWAITING
    assert changed.next_attempt_at is None
    assert sending.deliver(changed.pk) == "not due"

    assert client.post(reverse("mail:outbox_action", args=[changed.pk, "cancel"])).status_code == 302
    changed.refresh_from_db()
    assert changed.state == OutgoingMail.State.DRAFT
    assert client_for(boss).post(approval(changed.pk, "approve")).status_code == 302
    changed.refresh_from_db()
    assert changed.state == OutgoingMail.State.DRAFT  # a draft cannot be approved into the outbox
    assert smtp_sink.messages == []


# SEND-11 reject ---------------------------------------------------------------------------------

def test_rejected_mail_returns_to_drafts_with_the_comment(sendable, smtp_sink):
    """SEND-11: [Return to author] needs a comment; with one the mail is a draft again, and the comment shows
    on the draft's compose page and in the outbox. The reviewer's workbench tile counts what waits for them."""
    world = sendable
    boss = reviewed_by_boss()
    client = lily_client(world)
    reviewer = client_for(boss)
    assert approval_counter(reviewer) == 0  # a reviewer has the tile, even with nothing waiting
    assert approval_counter(client_for(make_account("chief", template="manager"))) is None

    outgoing = sent_to_outbox(client, world, subject="Discount 30%")
    assert approval_counter(reviewer) == 1
    for comment in ("", "   "):
        response = reviewer.post(approval(outgoing.pk, "reject"), {"comment": comment})
        assert response.status_code == 302
        outgoing.refresh_from_db()
        assert outgoing.state == OutgoingMail.State.AWAITING
        assert outgoing.review_comment == ""
    assert reviewer.post(approval(outgoing.pk, "sideways")).status_code == 404

    comment = "30% is too much; offer 15% at most."
    assert reviewer.post(approval(outgoing.pk, "reject"), {"comment": comment}).status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.DRAFT
    assert outgoing.review_comment == comment
    assert outgoing.reviewed_by == boss
    assert outgoing.raw_path == ""
    assert sending.deliver(outgoing.pk) == "not due"
    assert approval_counter(reviewer) == 0

    draft_page = soup(client.get(reverse("mail:compose") + f"?draft={outgoing.pk}"))
    assert comment in draft_page.select_one("#review-comment").get_text()
    row = soup(client.get(reverse("mail:outbox") + "?state=drafts")).select_one(f'[data-outgoing="{outgoing.pk}"]')
    assert comment in row.select_one("[data-review-comment]").get_text()

    # Fixed and submitted again, then approved: the counter follows.
    again = sent_to_outbox(client, world, draft=outgoing.pk, subject="Discount 15%")
    assert again.state == OutgoingMail.State.AWAITING
    assert approval_counter(reviewer) == 1
    assert reviewer.post(approval(again.pk, "approve")).status_code == 302
    assert approval_counter(reviewer) == 0
    assert sending.deliver(again.pk) == "sent"
    [received] = smtp_sink.messages
    assert email.message_from_bytes(received.data, policy=email.policy.default)["Subject"] == "Discount 15%"


# SEND-12 set-up --------------------------------------------------------------------------------

def test_reviewer_setup_sets_changes_and_clears_the_reviewer(roles):
    """SEND-12: [Mail reviewer set-up] (managers, not salespeople) sets an account's reviewer by account name,
    changes and clears it; the account itself and an unknown name are refused, and the database refuses a
    self-review too."""
    salesperson, manager = roles["salesperson"], roles["manager"]
    other = make_account("tom", template="employee", employee_name="Tom")
    for url in (reverse("mail:reviewer_setup"), reverse("mail:reviewer_modify", args=[salesperson.pk])):
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)
    check_matrix(reverse("mail:reviewer_modify", args=[salesperson.pk]), users=roles, method="post",
                 data={"reviewer": "nobody"}, salesperson=403, outsider=403)
    assert not ReviewerAssignment.objects.exists()

    client = client_for(manager)
    url = reverse("mail:reviewer_modify", args=[salesperson.pk])
    assert client.post(url, {"reviewer": manager.username}).status_code == 302
    assert sending.reviewer_for(salesperson) == manager
    assignment = ReviewerAssignment.objects.get(account=salesperson)
    assert assignment.assigned_by == manager
    row = soup(client.get(reverse("mail:reviewer_setup"))).select_one(f'[data-account="{salesperson.username}"]')
    assert row.select_one("[data-reviewer]").get_text(strip=True) == manager.username

    assert client.post(url, {"reviewer": "tom"}).status_code == 302
    assert sending.reviewer_for(salesperson) == other
    assert ReviewerAssignment.objects.filter(account=salesperson).count() == 1

    for name, words in ((salesperson.username, "own mail"), ("ghost", "ghost")):
        response = client.post(url, {"reviewer": name})
        errors = form_errors(response, "reviewer")
        assert errors
        assert words in errors[0]
        assert sending.reviewer_for(salesperson) == other
    other.is_active = False
    other.save()
    assert form_errors(client.post(reverse("mail:reviewer_modify", args=[manager.pk]), {"reviewer": "tom"}),
                       "reviewer")
    assert not ReviewerAssignment.objects.filter(account=manager).exists()

    assert client.post(url, {"reviewer": ""}).status_code == 302
    assert sending.reviewer_for(salesperson) is None
    assert not ReviewerAssignment.objects.filter(account=salesperson).exists()
    # The built-in administrator is no company account to set up.
    assert client.get(reverse("mail:reviewer_modify", args=[roles["admin"].pk])).status_code == 404

    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewerAssignment.objects.create(account=manager, reviewer=manager)


# SEND-08 scheduled sending ----------------------------------------------------------------------

def test_scheduled_mail_leaves_at_its_time_with_that_date(sendable, smtp_sink):
    """SEND-08: a mail for tomorrow waits in the outbox (no worker takes it before then) and its Date header
    is the scheduled moment; a moment in the past is refused on the form."""
    world = sendable
    client = lily_client(world)
    tomorrow = local_minute(datetime.timedelta(days=1, hours=2))
    outgoing = sent_to_outbox(client, world, subject="Good morning", send_at=typed(tomorrow))
    assert outgoing.state == OutgoingMail.State.QUEUED
    assert outgoing.send_at == tomorrow
    assert outgoing.next_attempt_at == outgoing.send_at
    assert outgoing.send_at_zone == ""
    assert sending.deliver(outgoing.pk) == "not due"
    assert outgoing.pk not in sending.due_ids()
    assert outgoing.pk in sending.due_ids(tomorrow)
    assert smtp_sink.messages == []
    row = soup(client.get(reverse("mail:outbox"))).select_one(f'[data-outgoing="{outgoing.pk}"]')
    assert tomorrow.strftime("%Y-%m-%d %H:%M") in row.select_one("[data-scheduled]").get_text()

    OutgoingMail.objects.filter(pk=outgoing.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    date = parsedate_to_datetime(email.message_from_bytes(received.data, policy=email.policy.default)["Date"])
    assert abs(date - tomorrow) < datetime.timedelta(minutes=1)

    before = OutgoingMail.objects.count()
    for moment in (local_minute(-datetime.timedelta(hours=1)), local_minute(-datetime.timedelta(days=400))):
        response = post_compose(client, world, subject="Too late", send_at=typed(moment))
        assert form_errors(response, "send_at")
    assert OutgoingMail.objects.count() == before


def test_customer_local_time_is_read_in_the_customers_zone(sendable, smtp_sink):
    """SEND-08: with "in the customer's local time" ticked, the typed time is the customer's (their region's
    zone, a city's inherited from its country); without it, the user's (Asia/Shanghai). Winter and summer
    time both count."""
    year, january = next_year(1)
    _, july = next_year(7)
    world = sendable
    client = lily_client(world)
    assert world["customer"].region.effective_time_zones() == []  # Germany comes without a zone
    response = post_compose(client, world, send_at=january, customer_time="on")
    assert form_errors(response, "customer_time")
    assert not OutgoingMail.objects.exists()

    in_zone(world, "Europe/Berlin")
    winter = sent_to_outbox(client, world, subject="Winter", send_at=january, customer_time="on")
    assert winter.send_at == datetime.datetime(year, 1, 15, 8, 0, tzinfo=UTC)
    assert winter.send_at_zone == "Europe/Berlin"
    assert winter.next_attempt_at == winter.send_at
    summer = sent_to_outbox(client, world, subject="Summer", to="info@hanse.de", send_at=july,
                            customer_time="on")
    assert summer.send_at == datetime.datetime(year, 7, 15, 7, 0, tzinfo=UTC)
    mine = sent_to_outbox(client, world, subject="Mine", send_at=january)
    assert mine.send_at == datetime.datetime(year, 1, 15, 1, 0, tzinfo=UTC)
    assert mine.send_at_zone == ""
    row = soup(client.get(reverse("mail:outbox"))).select_one(f'[data-outgoing="{winter.pk}"]')
    assert "Europe/Berlin" in row.select_one("[data-scheduled]").get_text()

    # A recipient who is no customer comes first: the first one that is a customer counts.
    mixed = sent_to_outbox(client, world, subject="Mixed", to="factory@supplier.example; anna@hanse.de",
                           send_at=january, customer_time="on")
    assert mixed.send_at_zone == "Europe/Berlin"

    # A customer in a city without a zone of its own has its country's.
    germany = world["customer"].region
    hamburg = region_save(region=Region(code="DE-HH", name_zh="汉堡", name_en="Hamburg", level=4), parent=germany)
    Customer.objects.filter(pk=world["customer"].pk).update(region=hamburg)
    city = sent_to_outbox(client, world, subject="City", send_at=january, customer_time="on")
    assert city.send_at == datetime.datetime(year, 1, 15, 8, 0, tzinfo=UTC)

    before = OutgoingMail.objects.count()
    response = post_compose(client, world, subject="Nobody's", to="factory@supplier.example",
                            send_at=january, customer_time="on")
    assert form_errors(response, "customer_time")
    assert OutgoingMail.objects.count() == before


def test_customer_time_of_a_reply_is_the_answered_customers(sendable, smtp_sink):
    """SEND-08: a reply to a customer's mail is timed in that customer's zone even when it goes to someone
    who is not a customer (the answered mail's customer counts first)."""
    year, january = next_year(1)
    world = sendable
    in_zone(world, "Europe/Berlin")
    original = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "anna@hanse.de", subject="Pumps", message_id="<tz1@hanse.de>")).mail
    assert original.customer_id == world["customer"].pk
    client = lily_client(world)
    reply = sent_to_outbox(client, world, kind="reply", source=original.pk, to="factory@supplier.example",
                           subject="Re: Pumps", send_at=january, customer_time="on")
    assert reply.send_at == datetime.datetime(year, 1, 15, 8, 0, tzinfo=UTC)
    assert reply.send_at_zone == "Europe/Berlin"
    # A moment already past in the customer's zone is refused.
    response = post_compose(client, world, kind="reply", source=original.pk, to="anna@hanse.de",
                            subject="Re: Pumps", send_at="2020-01-15T09:00", customer_time="on")
    assert form_errors(response, "send_at")


def test_customer_time_follows_the_first_recipient(sendable, smtp_sink):
    """SEND-08: with two customers in To, the time is read in the zone of the one written first, not of the
    customer whose address row is oldest (regression: customer_zone() once took the lowest address id)."""
    year, january = next_year(1)
    world = sendable
    in_zone(world, "Europe/Berlin")
    america = region_save(region=Region(code="US", name_zh="美国", name_en="United States", level=2,
                                        time_zones=["America/New_York"]), parent=None)
    acme = Customer.objects.create(code="C0013", name="Acme Pumps", region=america, main_email="buyer@acme.example")
    EmailAddress.objects.create(address="buyer@acme.example", domain="acme.example", customer=acme, role="main")
    outgoing = sent_to_outbox(lily_client(world), world, to="buyer@acme.example; anna@hanse.de",
                              send_at=january, customer_time="on")
    assert outgoing.send_at_zone == "America/New_York"
    assert outgoing.send_at == datetime.datetime(year, 1, 15, 14, 0, tzinfo=UTC)
    # Written the other way round, the German customer comes first.
    swapped = sent_to_outbox(lily_client(world), world, to="anna@hanse.de; buyer@acme.example",
                             send_at=january, customer_time="on")
    assert swapped.send_at_zone == "Europe/Berlin"


def test_a_scheduled_mail_can_be_taken_back(sendable, smtp_sink):
    """SEND-08: until it leaves, a scheduled mail can go back to the drafts (cancel); it then never leaves by
    itself, and its draft shows the time it had."""
    world = sendable
    client = lily_client(world)
    when = local_minute(datetime.timedelta(days=2))
    outgoing = sent_to_outbox(client, world, subject="Later", send_at=typed(when))
    assert sending.cancel(outgoing) is True
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.DRAFT
    assert outgoing.raw_path == ""
    OutgoingMail.objects.filter(pk=outgoing.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(minutes=1))
    assert sending.deliver(outgoing.pk) == "not due"
    assert outgoing.pk not in sending.due_ids()
    assert sending.cancel(outgoing) is False  # already a draft
    page = client.get(reverse("mail:compose") + f"?draft={outgoing.pk}")
    assert soup(page).select_one("#id_send_at")["value"] == typed(when)
    assert smtp_sink.messages == []


# SEND-05, SHORT-03, PERS-08 templates ----------------------------------------------------------

def test_templates_own_shared_and_private(sendable):
    """SEND-05, SHORT-03, PERS-08: a salesperson's templates are theirs to edit; a shared one (only a manager
    shares) is offered to everyone but only managers change it; another salesperson's private template is
    neither listed nor reachable."""
    world = sendable
    boss = make_account("boss", template="manager", employee_name="经理")
    mine_client, tom_client, boss_client = lily_client(world), client_for(tom()), client_for(boss)

    create = reverse("mail:template_create")
    assert "shared" not in mine_client.get(create).context["form"].fields
    assert mine_client.post(create, {"name": "My offer", "subject": "Offer", "body": "Dear customer,",
                                     "shared": "on"}).status_code == 302
    mine = MailTemplate.objects.get(name="My offer")
    assert mine.owner == lily()  # a salesperson cannot share
    assert boss_client.post(create, {"name": "Company intro", "subject": "About us", "body": "We make pumps.",
                                     "shared": "on"}).status_code == 302
    shared = MailTemplate.objects.get(name="Company intro")
    assert shared.owner is None
    assert tom_client.post(create, {"name": "Tom's secret", "subject": "", "body": "Only mine."}).status_code == 302
    private = MailTemplate.objects.get(name="Tom's secret")
    assert private.owner == tom()

    listed = soup(mine_client.get(reverse("mail:template_list")))
    rows = {r.select_one("td").get_text(strip=True): r for r in listed.select("[data-template]")}
    assert set(rows) == {"My offer", "Company intro"}
    assert rows["My offer"].select_one("a") is not None
    assert rows["Company intro"].select_one("a") is None  # shown, not editable
    assert set(MailTemplate.objects.usable_by(lily())) == {mine, shared}
    compose = soup(mine_client.get(reverse("mail:compose")))
    assert sorted(options(compose, "insert-template")) == ["Company intro", "My offer"]

    for template in (shared, private):
        assert mine_client.get(reverse("mail:template_update", args=[template.pk])).status_code == 404
        assert mine_client.post(reverse("mail:template_update", args=[template.pk]),
                                {"name": "Hijacked", "body": "x"}).status_code == 404
        assert mine_client.get(reverse("mail:template_delete", args=[template.pk])).status_code == 404
        assert mine_client.post(reverse("mail:template_delete", args=[template.pk])).status_code == 404
    # Private means private, to managers too.
    assert boss_client.get(reverse("mail:template_update", args=[private.pk])).status_code == 404
    shared.refresh_from_db()
    private.refresh_from_db()
    assert (shared.name, private.name) == ("Company intro", "Tom's secret")

    assert mine_client.post(reverse("mail:template_update", args=[mine.pk]),
                            {"name": "My offer 2026", "subject": "Offer", "body": "Dear customer,"}).status_code == 302
    mine.refresh_from_db()
    assert mine.name == "My offer 2026"
    assert mine.owner == lily()
    assert boss_client.post(reverse("mail:template_update", args=[shared.pk]),
                            {"name": "Company intro 2026", "body": "We make pumps.", "shared": "on"}).status_code == 302
    shared.refresh_from_db()
    assert shared.name == "Company intro 2026"
    assert shared.owner is None
    assert mine_client.post(reverse("mail:template_delete", args=[mine.pk])).status_code == 302
    assert not MailTemplate.objects.filter(pk=mine.pk).exists()
    assert boss_client.post(reverse("mail:template_delete", args=[shared.pk])).status_code == 302
    assert not MailTemplate.objects.filter(pk=shared.pk).exists()


# SEND-06, PERS-07 common phrases ---------------------------------------------------------------

def test_common_phrases_are_private_and_ordered(sendable):
    """SEND-06, PERS-07: phrases are added, edited, moved up and down and deleted by their owner only; the
    compose page offers the user's own phrases, in their order."""
    world = sendable
    client, tom_client = lily_client(world), client_for(tom())
    for title in ("Greeting", "Price", "Thanks"):
        assert client.post(reverse("mail:phrase_list"), {"title": title, "content": f"{title} text"}).status_code == 302
    assert tom_client.post(reverse("mail:phrase_list"), {"title": "Tom's", "content": "Tom"}).status_code == 302

    def order(account=None):
        return list(CommonPhrase.objects.filter(owner=account or lily()).values_list("title", flat=True))

    assert order() == ["Greeting", "Price", "Thanks"]
    greeting, price, thanks = CommonPhrase.objects.filter(owner=lily())

    def act(phrase, action, as_client=client):
        return as_client.post(reverse("mail:phrase_action", args=[phrase.pk, action]))

    assert client.post(reverse("mail:phrase_update", args=[price.pk]),
                       {"title": "Price", "content": "Our best price is USD 12."}).status_code == 302
    price.refresh_from_db()
    assert price.content == "Our best price is USD 12."

    assert act(thanks, "up").status_code == 302
    assert order() == ["Greeting", "Thanks", "Price"]
    assert act(greeting, "down").status_code == 302
    assert order() == ["Thanks", "Greeting", "Price"]
    assert act(thanks, "up").status_code == 302  # already first
    assert act(price, "down").status_code == 302  # already last
    assert order() == ["Thanks", "Greeting", "Price"]
    assert act(price, "sideways").status_code == 404

    compose = soup(client.get(reverse("mail:compose")))
    assert options(compose, "insert-phrase") == ["Thanks", "Greeting", "Price"]
    assert options(soup(tom_client.get(reverse("mail:compose"))), "insert-phrase") == ["Tom's"]
    assert [p.title for p in phrases_listed(tom_client)] == ["Tom's"]

    # Another user can neither see, change, move nor delete them.
    assert tom_client.get(reverse("mail:phrase_update", args=[price.pk])).status_code == 404
    assert tom_client.post(reverse("mail:phrase_update", args=[price.pk]),
                           {"title": "x", "content": "x"}).status_code == 404
    for action in ("up", "down", "delete"):
        assert act(price, action, tom_client).status_code == 404
    assert order() == ["Thanks", "Greeting", "Price"]

    assert client.get(reverse("mail:phrase_action", args=[greeting.pk, "delete"])).status_code == 405
    assert act(greeting, "delete").status_code == 302
    assert order() == ["Thanks", "Price"]
    assert order(tom()) == ["Tom's"]
    # A new phrase comes last.
    assert client.post(reverse("mail:phrase_list"), {"title": "Bye", "content": "Regards"}).status_code == 302
    assert order() == ["Thanks", "Price", "Bye"]


def phrases_listed(client):
    return client.get(reverse("mail:phrase_list")).context["phrases"]


# PERS-05 signature and default sender mailbox ----------------------------------------------------

def test_signature_and_default_mailbox_fill_the_compose_form(sendable, smtp_sink, settings):
    """PERS-05, SEND-03: the signature opens every new mail and reply (above the quote); a new mail leaves
    from the chosen default mailbox, a reply from the mailbox the answered mail came to; a mailbox the user may
    not send from cannot be the default."""
    world = sendable
    settings.TRADEPORT_MAIL_PRIVATE_HOSTS = "all"  # the personal mailbox's server is the sink on loopback
    sink = {"smtp_host": smtp_sink.host, "smtp_port": smtp_sink.port, "smtp_security": "plain", "protocol": "none"}
    own = Mailbox.objects.create(address="lily@tradeport.test", kind=Mailbox.Kind.PERSONAL, owner=lily(), **sink)
    toms = Mailbox.objects.create(address="tom@tradeport.test", kind=Mailbox.Kind.PERSONAL, owner=tom(), **sink)
    client = lily_client(world)
    url = reverse("mail:sender_settings")
    choices = set(client.get(url).context["form"].fields["default_mailbox"].queryset)
    assert choices == {world["mailbox"], own}

    signature = "Li Li\nTradeport Sales"
    response = client.post(url, {"default_mailbox": toms.pk, "signature": signature})
    assert response.status_code == 200
    assert response.context["form"].errors.get("default_mailbox")
    assert not SenderSettings.objects.filter(account=lily()).exists()

    assert client.post(url, {"default_mailbox": own.pk, "signature": signature + "\n"}).status_code == 302
    settings_row = SenderSettings.objects.get(account=lily())
    assert settings_row.default_mailbox == own
    assert settings_row.signature.strip() == signature

    page = client.get(reverse("mail:compose"))
    initial = page.context["form"].initial
    assert initial["mailbox"] == own.pk
    assert initial["body"] == "\n\n-- \n" + signature
    html = soup(page)
    assert html.select_one("#id_body").get_text().endswith("-- \n" + signature)
    assert html.select_one("#id_mailbox option[selected]")["value"] == str(own.pk)

    original = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "anna@hanse.de", subject="Pumps", message_id="<sig1@hanse.de>", body="Please quote.")).mail
    reply = client.get(reverse("mail:compose") + f"?reply={original.pk}").context["form"].initial
    assert reply["mailbox"] == world["mailbox"].pk  # not the default: where the mail came to
    assert reply["body"].startswith("\n\n-- \n" + signature + "\n")
    assert reply["body"].index(signature) < reply["body"].index("> Please quote.")

    # Another user has no signature and keeps the first mailbox they may send from.
    tom_initial = client_for(tom()).get(reverse("mail:compose")).context["form"].initial
    assert tom_initial["body"] == ""
    assert tom_initial["mailbox"] != own.pk

    # What leaves carries the signature, from the default mailbox.
    outgoing = sent_to_outbox(client, world, mailbox=own.pk, body="Dear Anna," + initial["body"])
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    assert received.sender == "lily@tradeport.test"
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.rstrip().endswith("\n-- \n" + signature)  # the delimiter keeps its space


def test_writing_aids_need_their_functions(sendable, outsider):
    """PERS-05, PERS-07, SHORT-03: without the functions, the pages are refused."""
    client = client_for(outsider)
    for name in ("mail:phrase_list", "mail:sender_settings", "mail:template_list", "mail:template_create"):
        assert client.get(reverse(name)).status_code == 403, name
    assert Client().get(reverse("mail:approval_list")).status_code == 302


# CSRF ------------------------------------------------------------------------------------------

def test_approval_and_phrase_posts_need_the_csrf_token(sendable, smtp_sink):
    """SEND-11, PERS-07: approving, returning, and changing phrases are refused without the CSRF token."""
    world = sendable
    boss = reviewed_by_boss()
    outgoing = sent_to_outbox(lily_client(world), world, subject="Guarded")
    phrase = CommonPhrase.objects.create(owner=lily(), title="Hello", content="Hello", position=1)
    reviewer = client_for(boss, enforce_csrf_checks=True)
    assert reviewer.post(approval(outgoing.pk, "approve")).status_code == 403
    assert reviewer.post(approval(outgoing.pk, "reject"), {"comment": "no"}).status_code == 403
    author = client_for(lily(), enforce_csrf_checks=True)
    assert author.post(reverse("mail:phrase_action", args=[phrase.pk, "delete"])).status_code == 403
    assert author.post(reverse("mail:phrase_list"), {"title": "x", "content": "y"}).status_code == 403
    assert author.post(reverse("mail:sender_settings"), {"signature": "x"}).status_code == 403
    manager = client_for(boss, enforce_csrf_checks=True)
    assert manager.post(reverse("mail:reviewer_modify", args=[lily().pk]), {"reviewer": ""}).status_code == 403
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.AWAITING
    assert CommonPhrase.objects.filter(owner=lily()).count() == 1
    assert sending.reviewer_for(lily()) == boss
    assert not SenderSettings.objects.exists()


@pytest.mark.parametrize("extra", [{"follow_up_days": "400"}, {"purpose": "999999"}, {"remarks": "x" * 2001},
                                   {"next_contact": "2026-02-30"}, {"next_contact": "2000-01-01"}])
def test_errors_on_the_follow_up_fields_are_written_out(sendable, extra):
    """SEND-09, QUE-11: a refused follow-up field (days, purpose, next contact, remarks) is named with its
    reason, and the section holding it is open, so the author sees why the mail did not go."""
    client = lily_client(sendable)
    response = client.post(reverse("mail:compose"), compose_data(sendable, save="1", send=None, **extra))
    assert response.status_code == 200
    field = next(iter(extra))
    errors = response.context["form"].errors[field]
    shown = BeautifulSoup(response.content, "html.parser").select_one(f"[data-error-for={field}]")
    assert shown is not None
    assert errors[0] in shown.get_text()
    if field != "follow_up_days":
        assert BeautifulSoup(response.content, "html.parser").select_one("#reply-extras").has_attr("open")
    if extra.get("next_contact") == "2000-01-01":
        assert errors == ["Choose today or a later date."]
