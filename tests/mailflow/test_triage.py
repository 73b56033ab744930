"""Triage of undistributed mail and the salesperson's queue actions, function by function
(MAIL-03..12, MAIL-19, QUE-08..11, READ-09..19, SYS-04): what each action leaves behind in
deliveries, rules, events, addresses and queues, and the refusal the second actor gets."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.customers.models import Customer, EmailAddress
from tradeport.mail import queues, triage
from tradeport.mail.models import (
    AddressRule,
    BlockedAddress,
    Delivery,
    InternalCopy,
    Mail,
    MailEvent,
    TriageAction,
)
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def arrive(world, sender: str, *, subject: str = "Inquiry", mailbox=None) -> Mail:
    """One mail taken in through the intake pipeline, with a fresh Message-ID."""
    number = next(_serial)
    result = message_ingest(mailbox=mailbox or world["mailbox"], raw=raw_mail(
        sender, subject=f"{subject} {number}", message_id=f"<triage-{number}@{sender.rpartition('@')[2]}>"))
    assert result.outcome == "stored", result.outcome
    return result.mail


def fresh(mail: Mail) -> Mail:
    return Mail.objects.get(pk=mail.pk)


def events(mail: Mail) -> list[str]:
    return list(MailEvent.objects.filter(mail=mail).order_by("id").values_list("action", flat=True))


def delivered(mail: Mail) -> dict[str, tuple[str, str]]:
    """employee code → (reason, state) of every delivery of the mail."""
    return {d.employee.code: (d.reason, d.state) for d in Delivery.objects.filter(mail=mail).select_related("employee")}


@pytest.fixture
def boss(world):
    return make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理")


@pytest.fixture
def deputy(world):
    return make_account("deputy", template=MANAGER_TEMPLATE, employee_name="副经理")


@pytest.fixture
def accounts(world):
    return {"lily": Account.objects.get(username="lily"), "tom": Account.objects.get(username="tom")}


@pytest.fixture
def products(db):
    group = CodeGroup.objects.create(key="product", name_zh="经营产品", name_en="Products")
    return {code: CodeItem.objects.create(group=group, code=code, name_zh=zh, name_en=en)
            for code, zh, en in (("LED", "LED灯", "LED lamps"), ("PV", "光伏板", "Solar panels"),
                                 ("BAT", "电池", "Batteries"))}


@pytest.fixture
def nordsee(world):
    """A second customer, owned by nobody, that holds nordsee.example addresses."""
    customer = Customer.objects.create(code="C0013", name="Nordsee Handel", region=world["customer"].region,
                                       main_email="info@nordsee.example")
    EmailAddress.objects.create(address="info@nordsee.example", domain="nordsee.example", customer=customer,
                                role=EmailAddress.Role.MAIN)
    return customer


# Distribution (MAIL-03..05) ---------------------------------------------------------------------

def test_distribute_delivers_to_the_salesperson_and_writes_a_rule(world, boss):
    """MAIL-03, MAIL-04, MAIL-05, QUE-06: one delivery, the rule, the event with the note; future mail follows the rule."""
    mail = arrive(world, "Buyer@NewTrade.example")
    assert mail.route == Mail.Route.UNDISTRIBUTED
    triage.distribute(mail, to=world["lily"], actor=boss, future_rule=True, note="LED buyer, answer in German")

    stored = fresh(mail)
    assert stored.triage_action == TriageAction.DISTRIBUTED
    assert stored.triaged_by == boss
    assert stored.triaged_at is not None
    assert delivered(mail) == {"0002": (Delivery.Reason.DISTRIBUTED, Delivery.State.PENDING)}
    rule = AddressRule.objects.get()
    assert (rule.address, rule.employee, rule.created_by) == ("buyer@newtrade.example", world["lily"], boss)
    event = MailEvent.objects.get(mail=mail)
    assert (event.action, event.actor, event.employee, event.note) == (
        MailEvent.Action.DISTRIBUTED, boss, world["lily"], "LED buyer, answer in German")
    assert list(queues.mails("undistributed", None)) == []
    assert list(queues.mails("unknown", world["lily"])) == [stored]
    assert list(queues.mails("unknown", world["tom"])) == []

    later = arrive(world, "buyer@newtrade.example")
    assert later.route == Mail.Route.RULE
    assert delivered(later) == {"0002": (Delivery.Reason.RULE, Delivery.State.PENDING)}


def test_distribute_without_the_rule_leaves_future_mail_undistributed(world, boss):
    """MAIL-03, MAIL-04: unticked, no rule is written and the next mail waits for triage again."""
    mail = arrive(world, "once@newtrade.example")
    triage.distribute(mail, to=world["tom"], actor=boss)
    assert not AddressRule.objects.exists()
    assert MailEvent.objects.get(mail=mail).note == ""
    assert arrive(world, "once@newtrade.example").route == Mail.Route.UNDISTRIBUTED
    assert [m.subject for m in queues.mails("undistributed", None)] == [Mail.objects.latest("id").subject]


# Merge (MAIL-06..08) -----------------------------------------------------------------------------

def test_merge_all_mail_adds_a_backup_email_and_refiles_past_mail(world, boss):
    """MAIL-06, MAIL-07, QUE-09: the address becomes a backup email; every waiting mail from it goes to the owners."""
    first = arrive(world, "anna.k@hanse-group.example")
    second = arrive(world, "anna.k@hanse-group.example")
    unrelated = arrive(world, "someone@else.example")
    filed = triage.merge(first, customer=world["customer"], actor=boss, all_from_address=True)

    assert (filed.filed, filed.left_alone) == (2, 0)
    customer = Customer.objects.get(pk=world["customer"].pk)
    assert customer.backup_emails == ["sales@hanse.de", "anna.k@hanse-group.example"]
    entry = EmailAddress.objects.get(address="anna.k@hanse-group.example")
    assert (entry.customer, entry.role, entry.domain) == (customer, EmailAddress.Role.BACKUP, "hanse-group.example")
    for mail in (first, second):
        stored = fresh(mail)
        assert stored.customer == customer
        assert stored.triage_action == TriageAction.MERGED
        assert stored.triaged_by == boss
        assert delivered(mail) == {"0002": (Delivery.Reason.OWNER, Delivery.State.PENDING),
                                   "0003": (Delivery.Reason.OWNER, Delivery.State.PENDING)}
    event = MailEvent.objects.get(mail=first)
    assert (event.action, event.customer, event.note) == (MailEvent.Action.MERGED, customer, "all mail from this address")
    assert list(queues.mails("undistributed", None)) == [fresh(unrelated)]
    assert set(queues.mails("known", world["tom"])) == {fresh(first), fresh(second)}

    future = arrive(world, "anna.k@hanse-group.example")
    assert (future.route, future.customer) == (Mail.Route.CUSTOMER, customer)


def test_merge_only_this_mail_leaves_the_address_unknown(world, boss):
    """MAIL-06, MAIL-08: one mail is filed; the other waits, the address is not added, future mail is still unknown."""
    first = arrive(world, "temp@hanse-group.example")
    second = arrive(world, "temp@hanse-group.example")
    filed = triage.merge(first, customer=world["customer"], actor=boss, all_from_address=False)

    assert (filed.filed, filed.left_alone) == (1, 0)
    assert fresh(first).customer == world["customer"]
    assert set(delivered(first)) == {"0002", "0003"}
    assert fresh(second).customer is None
    assert fresh(second).triaged_at is None
    assert delivered(second) == {}
    assert Customer.objects.get(pk=world["customer"].pk).backup_emails == ["sales@hanse.de"]
    assert not EmailAddress.objects.filter(address="temp@hanse-group.example").exists()
    assert MailEvent.objects.get(mail=first).note == "only this mail"
    assert list(queues.mails("undistributed", None)) == [fresh(second)]
    assert arrive(world, "temp@hanse-group.example").route == Mail.Route.UNDISTRIBUTED


def test_merge_all_refuses_an_address_another_customer_holds(world, boss, accounts, nordsee):
    """MAIL-07, CUST-07, PERM-13: the address is Nordsee's now; nothing changes, and the message names the
    holder only to a reader who may see it."""
    mail = arrive(world, "buyer@nordsee.example")  # arrived before the address was recorded
    EmailAddress.objects.create(address="buyer@nordsee.example", domain="nordsee.example", customer=nordsee,
                                role=EmailAddress.Role.BACKUP)
    with pytest.raises(ValidationError) as refused:
        triage.merge(fresh(mail), customer=world["customer"], actor=boss, all_from_address=True)
    assert "buyer@nordsee.example is already used by C0013 Nordsee Handel." in refused.value.messages

    stored = fresh(mail)
    assert (stored.customer, stored.triaged_at, stored.triage_action) == (None, None, "")
    assert delivered(mail) == {}
    assert events(mail) == []
    assert Customer.objects.get(pk=world["customer"].pk).backup_emails == ["sales@hanse.de"]
    assert EmailAddress.objects.get(address="buyer@nordsee.example").customer == nordsee
    assert list(queues.mails("undistributed", None)) == [stored]

    triage.distribute(stored, to=world["lily"], actor=boss)
    with pytest.raises(ValidationError) as hidden:
        triage.merge(fresh(mail), customer=world["customer"], actor=accounts["lily"], all_from_address=True)
    assert hidden.value.messages == ["buyer@nordsee.example is already used by a record another salesperson holds."]
    assert fresh(mail).customer is None


# Create a record from the mail (MAIL-09, QUE-08) -------------------------------------------------

def customer_form(region, **fields) -> dict:
    data = {"kind": "customer", "name": "", "mnemonic": "", "region": region.pk, "main_email": "",
            "backup_emails_text": "", "phone": "", "fax": "", "website": "", "address": "", "remarks": "",
            "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0", "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000"}
    data.update(fields)
    return data


def test_a_record_created_from_the_mail_files_it_and_the_senders_waiting_mail(world, boss):
    """MAIL-09, QUE-08, READ-20: the form is prefilled; saving files this and the waiting mail under the new
    customer, in its owner's known-customer queue."""
    first = arrive(world, "jan@polarlicht.example")
    second = arrive(world, "jan@polarlicht.example")
    client = sign_in(Client(), boss)
    url = reverse("customers:customer_create") + f"?from_mail={first.pk}"
    form = client.get(url).context["form"]
    assert form.initial["main_email"] == "jan@polarlicht.example"

    response = client.post(url, customer_form(world["customer"].region, name="Polarlicht AB",
                                              main_email="jan@polarlicht.example", owners=[world["lily"].pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("mail:mail_read", args=[first.pk])
    created = Customer.objects.get(name="Polarlicht AB")
    for mail in (first, second):
        stored = fresh(mail)
        assert (stored.customer, stored.triage_action, stored.triaged_by) == (created, TriageAction.CREATED, boss)
        assert delivered(mail) == {"0002": (Delivery.Reason.OWNER, Delivery.State.PENDING)}
    event = MailEvent.objects.get(mail=first)
    assert (event.action, event.customer, event.actor) == (MailEvent.Action.CREATED, created, boss)
    assert list(queues.mails("undistributed", None)) == []
    assert set(queues.mails("known", world["lily"])) == {fresh(first), fresh(second)}
    assert list(queues.mails("known", world["tom"])) == []


def test_a_record_created_from_a_distributed_mail_moves_it_to_the_known_queue(world, boss, accounts):
    """MAIL-09, QUE-08: from the unknown-sender queue the mail moves to the known-customer queue."""
    mail = arrive(world, "kari@fjord.example")
    triage.distribute(mail, to=world["lily"], actor=boss)
    created = Customer.objects.create(code="C0020", name="Fjord AS", region=world["customer"].region,
                                      main_email="kari@fjord.example")
    EmailAddress.objects.create(address="kari@fjord.example", domain="fjord.example", customer=created,
                                role=EmailAddress.Role.MAIN)
    created.ownerships.create(employee=world["lily"])
    triage.record_created(fresh(mail), customer=created, actor=accounts["lily"])
    assert list(queues.mails("unknown", world["lily"])) == []
    assert list(queues.mails("known", world["lily"])) == [fresh(mail)]
    assert fresh(mail).triage_action == TriageAction.DISTRIBUTED  # the first triage stays on record


def test_a_record_created_from_a_senderless_mail_files_only_that_mail(world, boss):
    """MAIL-09, PERM-13: a mail without a From address must not drag other sender-less mail into the record."""
    def senderless(number):
        raw = (f"To: info@tradeport.test\r\nSubject: no sender {number}\r\nMessage-ID: <nosender-{number}@x>\r\n"
               "Date: Tue, 3 Mar 2026 10:00:00 +0100\r\nContent-Type: text/plain\r\n\r\nhello\r\n").encode()
        return message_ingest(mailbox=world["mailbox"], raw=raw).mail

    mine, foreign = senderless(1), senderless(2)
    assert mine.from_address == foreign.from_address == ""
    created = Customer.objects.create(code="C0021", name="Blank Ltd", region=world["customer"].region)
    created.ownerships.create(employee=world["lily"])
    triage.record_created(mine, customer=created, actor=boss)
    assert fresh(mine).customer == created
    assert fresh(foreign).customer is None
    assert list(queues.mails("undistributed", None)) == [fresh(foreign)]


# Spam, trash and restore of undistributed mail (MAIL-10..12) ------------------------------------

def test_spam_without_block_trashes_the_mail_and_keeps_accepting_the_sender(world, boss):
    """MAIL-10, MAIL-12: [Cancel] on the second question: into the undistributed trash, the sender still received."""
    mail = arrive(world, "promo@bulk.example")
    triage.trash_undistributed(mail, actor=boss, spam=True, block=False)
    stored = fresh(mail)
    assert (stored.triage_action, stored.triaged_by) == (TriageAction.SPAM, boss)
    assert events(mail) == [MailEvent.Action.SPAM]
    assert not BlockedAddress.objects.exists()
    assert list(queues.mails("undistributed", None)) == []
    assert list(queues.mails("undistributed_trash", None)) == [stored]
    assert message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "promo@bulk.example", message_id="<promo-2@bulk.example>")).outcome == "stored"


def test_spam_with_block_refuses_the_senders_future_mail(world, boss):
    """MAIL-10, MAIL-13: [OK] on the second question: the address is blocked as well."""
    mail = arrive(world, "Promo@Bulk.example")
    triage.trash_undistributed(mail, actor=boss, spam=True, block=True)
    blocked = BlockedAddress.objects.get()
    assert (blocked.address, blocked.blocked_by, blocked.reason) == ("promo@bulk.example", boss, "spam")
    assert events(mail) == [MailEvent.Action.SPAM, MailEvent.Action.BLOCKED]
    assert list(queues.mails("undistributed_trash", None)) == [fresh(mail)]
    assert message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "promo@bulk.example", message_id="<promo-3@bulk.example>")).outcome == "blocked"


def test_trash_and_restore_of_undistributed_mail(world, boss, deputy):
    """MAIL-11, MAIL-12: the trash is restorable into the undistributed queue, once."""
    mail = arrive(world, "maybe@later.example")
    triage.trash_undistributed(mail, actor=boss)
    assert fresh(mail).triage_action == TriageAction.TRASH
    assert list(queues.mails("undistributed_trash", None)) == [fresh(mail)]

    triage.restore_undistributed(fresh(mail), actor=deputy)
    stored = fresh(mail)
    assert (stored.triaged_at, stored.triaged_by, stored.triage_action) == (None, None, "")
    assert list(queues.mails("undistributed", None)) == [stored]
    assert list(queues.mails("undistributed_trash", None)) == []
    assert events(mail) == [MailEvent.Action.TRASHED, MailEvent.Action.RESTORED]
    assert MailEvent.objects.filter(mail=mail).latest("id").actor == deputy
    with pytest.raises(triage.AlreadyHandled, match="no longer in the trash"):
        triage.restore_undistributed(stored, actor=boss)

    triage.distribute(stored, to=world["tom"], actor=deputy)  # restored mail can be triaged again
    assert delivered(mail) == {"0003": (Delivery.Reason.DISTRIBUTED, Delivery.State.PENDING)}


def test_a_distributed_mail_cannot_be_restored_from_the_trash(world, boss):
    """MAIL-12: restore applies to trashed mail only; a distributed mail stays with its salesperson."""
    mail = arrive(world, "keep@out.example")
    triage.distribute(mail, to=world["lily"], actor=boss)
    with pytest.raises(triage.AlreadyHandled):
        triage.restore_undistributed(fresh(mail), actor=boss)
    assert fresh(mail).triage_action == TriageAction.DISTRIBUTED


# The recycle bin (MAIL-12, READ-16, SYS-04) ------------------------------------------------------

def test_delete_permanently_and_restore_from_the_recycle_bin(world, boss, deputy):
    """READ-16, MAIL-12, SYS-04: out of every view into the recycle bin, and back where it was."""
    waiting = arrive(world, "gone@soon.example")
    known = arrive(world, "info@hanse.de")
    triage.delete_permanently(waiting, actor=boss)
    triage.delete_permanently(known, actor=boss)

    assert fresh(waiting).deleted_by == boss
    assert fresh(waiting).deleted_at is not None
    assert list(queues.mails("undistributed", None)) == []
    for key in ("known", "inbox"):
        assert list(queues.mails(key, world["lily"])) == []
    assert events(waiting) == [MailEvent.Action.DELETED]
    with pytest.raises(triage.AlreadyHandled, match="already in the recycle bin"):
        triage.delete_permanently(fresh(waiting), actor=deputy)
    with pytest.raises(triage.AlreadyHandled, match="deleted permanently by 经理"):
        triage.distribute(fresh(waiting), to=world["lily"], actor=deputy)

    triage.recycle_restore(fresh(waiting), actor=deputy)
    triage.recycle_restore(fresh(known), actor=deputy)
    assert fresh(waiting).deleted_at is None
    assert fresh(waiting).deleted_by is None
    assert list(queues.mails("undistributed", None)) == [fresh(waiting)]
    assert list(queues.mails("known", world["tom"])) == [fresh(known)]
    assert events(waiting) == [MailEvent.Action.DELETED, MailEvent.Action.RESTORED]
    with pytest.raises(triage.AlreadyHandled, match="not in the recycle bin"):
        triage.recycle_restore(fresh(waiting), actor=boss)


def test_purge_removes_only_mail_past_the_retention(world, boss):
    """SYS-04, MAIL-12: mail in the recycle bin longer than the retention is removed with its rows; younger stays."""
    old = arrive(world, "info@hanse.de")
    young = arrive(world, "info@hanse.de")
    alive = arrive(world, "info@hanse.de")
    for mail in (old, young):
        triage.delete_permanently(mail, actor=boss)
    now = timezone.now()
    Mail.objects.filter(pk=old.pk).update(deleted_at=now - timezone.timedelta(days=31))
    Mail.objects.filter(pk=young.pk).update(deleted_at=now - timezone.timedelta(days=29))

    triage.purge_recycle_bin(30)
    assert set(Mail.objects.values_list("pk", flat=True)) == {young.pk, alive.pk}
    assert not Delivery.objects.filter(mail_id=old.pk).exists()
    assert not MailEvent.objects.filter(mail_id=old.pk).exists()
    assert fresh(young).deleted_at is not None
    triage.purge_recycle_bin(1)
    assert list(Mail.objects.values_list("pk", flat=True)) == [alive.pk]


def test_purge_reports_the_number_of_mails_purged(world, boss):
    """SYS-04: the purge reports how many mails left the recycle bin for good."""
    mail = arrive(world, "info@hanse.de")  # two deliveries (lily, tom)
    triage.delete_permanently(mail, actor=boss)  # one event
    Mail.objects.filter(pk=mail.pk).update(deleted_at=timezone.now() - timezone.timedelta(days=40))
    assert triage.purge_recycle_bin(30) == 1


# Followed up (READ-09..14, MAIL-19) ---------------------------------------------------------------

def test_one_owner_marks_followed_up_for_every_owner(world, accounts, products):
    """MAIL-19, READ-09, READ-11, READ-14, QUE-05: lily's mark takes the mail out of both queues and is kept
    when tom saves later; the products join the customer's list."""
    customer = world["customer"]
    customer.products.add(products["LED"])
    mail = arrive(world, "info@hanse.de")
    assert set(queues.mails("known", world["lily"])) == set(queues.mails("known", world["tom"])) == {mail}

    triage.mark_followed_up(mail, employee=world["lily"], actor=accounts["lily"], followed_up=True,
                            products=[products["PV"]], follow_up_days=7)
    stored = fresh(mail)
    first_at = stored.followed_up_at
    assert stored.followed_up_by == world["lily"]
    assert first_at is not None
    assert stored.follow_up_days == 7
    assert delivered(mail) == {"0002": (Delivery.Reason.OWNER, Delivery.State.HANDLED),
                               "0003": (Delivery.Reason.OWNER, Delivery.State.HANDLED)}
    assert list(queues.mails("known", world["lily"])) == list(queues.mails("known", world["tom"])) == []
    assert list(queues.mails("inbox", world["tom"])) == [stored]  # DAILY-02: still in the inbox
    assert set(customer.products.all()) == {products["LED"], products["PV"]}

    triage.mark_followed_up(stored, employee=world["tom"], actor=accounts["tom"], followed_up=True,
                            products=[products["PV"], products["BAT"]], follow_up_days=14)
    again = fresh(mail)
    assert (again.followed_up_by, again.followed_up_at) == (world["lily"], first_at)
    assert again.follow_up_days == 14
    assert set(again.products.all()) == {products["PV"], products["BAT"]}
    assert set(customer.products.all()) == {products["LED"], products["PV"], products["BAT"]}
    followed = MailEvent.objects.get(mail=mail, action=MailEvent.Action.FOLLOWED_UP)
    assert (followed.actor, followed.employee) == (accounts["lily"], world["lily"])


def test_saving_without_the_tick_keeps_the_mail_pending(world, accounts, products):
    """READ-10, READ-14, QUE-02: fields saved unticked leave the mail in every owner's queue."""
    mail = arrive(world, "anna@hanse.de")
    triage.mark_followed_up(mail, employee=world["tom"], actor=accounts["tom"], followed_up=False,
                            products=[products["BAT"]], follow_up_days=3)
    stored = fresh(mail)
    assert stored.followed_up_at is None
    assert stored.follow_up_days == 3
    assert list(stored.products.all()) == [products["BAT"]]
    assert list(queues.mails("known", world["lily"])) == [stored]
    assert events(mail) == []


# Salesperson actions (QUE-10, QUE-11, READ-15..19) ------------------------------------------------

def test_transfer_moves_the_mail_and_refuses_when_it_is_not_in_your_queue(world, boss, accounts):
    """QUE-10, READ-18, MAIL-15: from lily's queue into tom's; tom cannot transfer what is not in his queue."""
    mail = arrive(world, "wrong@person.example")
    triage.distribute(mail, to=world["lily"], actor=boss)
    with pytest.raises(triage.AlreadyHandled, match="no longer in your queue"):
        triage.transfer(fresh(mail), source=world["tom"], target=world["lily"], actor=accounts["tom"])
    with pytest.raises(triage.AlreadyHandled, match="other than yourself"):
        triage.transfer(fresh(mail), source=world["lily"], target=world["lily"], actor=accounts["lily"])
    assert delivered(mail) == {"0002": (Delivery.Reason.DISTRIBUTED, Delivery.State.PENDING)}

    triage.transfer(fresh(mail), source=world["lily"], target=world["tom"], actor=accounts["lily"], note="yours")
    assert delivered(mail) == {"0002": (Delivery.Reason.DISTRIBUTED, Delivery.State.HANDLED),
                               "0003": (Delivery.Reason.TRANSFERRED, Delivery.State.PENDING)}
    event = MailEvent.objects.filter(mail=mail).latest("id")
    assert (event.action, event.employee, event.note, event.actor) == (
        MailEvent.Action.TRANSFERRED, world["tom"], "yours", accounts["lily"])
    assert list(queues.mails("unknown", world["lily"])) == []
    assert list(queues.mails("unknown", world["tom"])) == [fresh(mail)]
    with pytest.raises(triage.AlreadyHandled, match="no longer in your queue"):
        triage.transfer(fresh(mail), source=world["lily"], target=world["tom"], actor=accounts["lily"])

    triage.transfer(fresh(mail), source=world["tom"], target=world["lily"], actor=accounts["tom"])
    assert delivered(mail)["0002"][1] == Delivery.State.PENDING  # back to lily: her delivery is pending again
    assert list(queues.mails("unknown", world["lily"])) == [fresh(mail)]


def test_done_without_a_record_leaves_only_the_users_queue(world, boss, accounts):
    """QUE-11: [Done] takes the mail out of the user's unknown-sender queue; it stays in the inbox."""
    mail = arrive(world, "inquiry@once.example")
    triage.distribute(mail, to=world["tom"], actor=boss)
    triage.mark_done(fresh(mail), employee=world["tom"], actor=accounts["tom"])
    assert delivered(mail) == {"0003": (Delivery.Reason.DISTRIBUTED, Delivery.State.HANDLED)}
    assert list(queues.mails("unknown", world["tom"])) == []
    assert list(queues.mails("inbox", world["tom"])) == [fresh(mail)]


def test_trash_and_restore_of_a_delivery_return_it_to_its_previous_state(world, accounts):
    """READ-15, MAIL-12, DAILY-06: each owner's own trash; restore goes back to pending or handled as it was."""
    pending = arrive(world, "info@hanse.de")
    triage.trash_delivery(pending, employee=world["lily"], actor=accounts["lily"])
    assert delivered(pending) == {"0002": (Delivery.Reason.OWNER, Delivery.State.TRASH),
                                  "0003": (Delivery.Reason.OWNER, Delivery.State.PENDING)}
    assert list(queues.mails("trash", world["lily"])) == [fresh(pending)]
    assert list(queues.mails("known", world["lily"])) == []
    assert list(queues.mails("known", world["tom"])) == [fresh(pending)]
    with pytest.raises(triage.AlreadyHandled, match="not in your queues"):
        triage.trash_delivery(pending, employee=world["lily"], actor=accounts["lily"])
    triage.restore_delivery(pending, employee=world["lily"], actor=accounts["lily"])
    assert delivered(pending)["0002"] == (Delivery.Reason.OWNER, Delivery.State.PENDING)
    assert Delivery.objects.get(mail=pending, employee=world["lily"]).state_before_trash == ""
    with pytest.raises(triage.AlreadyHandled, match="not in your trash"):
        triage.restore_delivery(pending, employee=world["lily"], actor=accounts["lily"])

    handled = arrive(world, "info@hanse.de")
    triage.mark_followed_up(handled, employee=world["tom"], actor=accounts["tom"], followed_up=True)
    triage.trash_delivery(handled, employee=world["tom"], actor=accounts["tom"])
    assert list(queues.mails("inbox", world["tom"])) == [fresh(pending)]
    triage.restore_delivery(handled, employee=world["tom"], actor=accounts["tom"])
    assert delivered(handled)["0003"] == (Delivery.Reason.OWNER, Delivery.State.HANDLED)
    assert list(queues.mails("known", world["tom"])) == [fresh(pending)]
    assert events(handled) == [MailEvent.Action.FOLLOWED_UP, MailEvent.Action.TRASHED, MailEvent.Action.RESTORED]

    with pytest.raises(triage.AlreadyHandled):
        triage.trash_delivery(arrive(world, "nobody@nowhere.example"), employee=world["tom"], actor=accounts["tom"])


def test_internal_copy_reaches_the_colleague_without_changing_deliveries(world, accounts):
    """READ-19, QUE-03, DAILY-01: the copy is in wang's copies queue; ownership and queue states are unchanged."""
    wang = Employee.objects.create(code="0004", name="王五", department=world["department"], is_salesperson=True)
    mail = arrive(world, "info@hanse.de")
    before = delivered(mail)
    count = triage.internal_copy(mail, employees=[wang, world["tom"]], actor=accounts["lily"], note="FYI price")
    assert count == 2
    assert delivered(mail) == before
    copies = InternalCopy.objects.filter(mail=mail).order_by("employee__code")
    assert [(c.employee, c.copied_by, c.note) for c in copies] == [
        (world["tom"], accounts["lily"], "FYI price"), (wang, accounts["lily"], "FYI price")]
    assert list(queues.mails("copies", wang)) == [fresh(mail)]
    assert list(queues.mails("copies", world["tom"])) == [fresh(mail)]
    assert list(queues.mails("copies", world["lily"])) == []
    for key in ("known", "unknown", "inbox"):
        assert list(queues.mails(key, wang)) == []
    assert list(queues.mails("known", world["tom"])) == [fresh(mail)]
    event = MailEvent.objects.get(mail=mail)
    assert event.action == MailEvent.Action.COPIED
    assert set(event.note.split(", ")) == {"王五", "Tom"}


def test_block_sender_from_a_queue_is_normalised_and_recorded(world, accounts):
    """READ-17, MAIL-13: the address is stored normalised, once, with an event on the mail."""
    mail = arrive(world, "noise@spam.example")
    triage.block_sender(" Noise@Spam.example ", actor=accounts["tom"], reason="blocked from a mail", mail=mail)
    triage.block_sender("noise@spam.example", actor=accounts["lily"])
    blocked = BlockedAddress.objects.get()
    assert (blocked.address, blocked.blocked_by) == ("noise@spam.example", accounts["tom"])
    assert events(mail) == [MailEvent.Action.BLOCKED]


# The second actor (MAIL-02: one manager wins) ----------------------------------------------------

SECOND_ACTIONS = {
    "distribute": lambda mail, world, actor: triage.distribute(mail, to=world["tom"], actor=actor),
    "trash": lambda mail, world, actor: triage.trash_undistributed(mail, actor=actor),
    "spam": lambda mail, world, actor: triage.trash_undistributed(mail, actor=actor, spam=True, block=True),
    "merge": lambda mail, world, actor: triage.merge(mail, customer=world["customer"], actor=actor,
                                                     all_from_address=True),
}


@pytest.mark.parametrize("second", sorted(SECOND_ACTIONS))
@pytest.mark.parametrize("first", ["distribute", "spam"])
def test_the_second_action_on_a_triaged_mail_is_refused_naming_the_first_actor(world, boss, deputy, first, second):
    """MAIL-02, MAIL-03, MAIL-06, MAIL-10: the loser is told who acted first and with what; nothing is done twice."""
    mail = arrive(world, "race@contest.example")
    seen_by_deputy = fresh(mail)  # opened before the boss acted
    if first == "distribute":
        triage.distribute(mail, to=world["lily"], actor=boss)
        label = "Distributed"
    else:
        triage.trash_undistributed(mail, actor=boss, spam=True)
        label = "Spam"
    before = (delivered(mail), events(mail), fresh(mail).customer_id, list(BlockedAddress.objects.all()))

    with pytest.raises(triage.AlreadyHandled) as refused:
        SECOND_ACTIONS[second](seen_by_deputy, world, deputy)
    assert f"经理 already handled this mail ({label}) at " in str(refused.value)
    assert refused.value.message == str(refused.value)
    assert (delivered(mail), events(mail), fresh(mail).customer_id, list(BlockedAddress.objects.all())) == before
    stored = fresh(mail)
    assert stored.triaged_by == boss
    assert not EmailAddress.objects.filter(address="race@contest.example").exists()


def test_the_loser_sees_who_was_first_on_the_screen(world, boss, deputy):
    """MAIL-02, MAIL-03, READ-01: through the client the second manager's page names the first and changes nothing."""
    mail = arrive(world, "both@managers.example")
    first = sign_in(Client(), boss)
    second = sign_in(Client(), deputy)
    url = reverse("mail:mail_action", args=[mail.pk, "distribute"])
    assert first.post(url, {"employee": world["lily"].pk}).status_code == 302
    response = second.post(url, {"employee": world["tom"].pk}, follow=True)
    page = response.content.decode()
    assert "经理 already handled this mail (Distributed) at" in page
    assert "Distributed to Tom" not in page
    assert delivered(mail) == {"0002": (Delivery.Reason.DISTRIBUTED, Delivery.State.PENDING)}
    assert events(mail) == [MailEvent.Action.DISTRIBUTED]


# Gaps found while testing -----------------------------------------------------------------------------

def test_mail_filed_under_a_customer_without_owner_stays_in_the_undistributed_queue(world, boss, nordsee):
    """MAIL-18, MAIL-06, MAIL-02: filed under an ownerless customer, the mail is 'known customer, no owner' mail,
    which waits in the undistributed queue instead of vanishing from every queue."""
    mail = arrive(world, "buyer@nordsee-partner.example")
    triage.merge(mail, customer=nordsee, actor=boss, all_from_address=False)
    stored = fresh(mail)
    assert stored.customer == nordsee
    assert delivered(mail) == {}
    assert list(queues.mails("undistributed", None)) == [stored]


def test_the_recycle_bin_screen_lists_and_restores(world, boss, accounts):
    """SYS-04, READ-16, MAIL-12, PERM-13: an owner deletes permanently; the mail leaves every user's view, the
    recycle bin lists it, and a PERM-08 holder restores it into both owners' queues."""
    mail = arrive(world, "info@hanse.de")
    lily, tom, manager = (sign_in(Client(), accounts["lily"]), sign_in(Client(), accounts["tom"]),
                          sign_in(Client(), boss))
    assert lily.post(reverse("mail:mail_action", args=[mail.pk, "delete"])).status_code == 302
    assert fresh(mail).deleted_by == accounts["lily"]
    for client in (lily, tom):
        assert client.get(reverse("mail:mail_read", args=[mail.pk])).status_code == 404
        assert client.get(reverse("mail:followup")).context["counters"]["known"] == 0
    bin_page = manager.get(reverse("mail:recycle_bin"))
    assert [m.pk for m in bin_page.context["rows"]] == [mail.pk]
    assert bin_page.context["counts"] == {"n": 1, "mine": 0}
    assert manager.get(reverse("mail:mail_read", args=[mail.pk])).status_code == 200
    assert lily.post(reverse("mail:mail_action", args=[mail.pk, "recycle-restore"])).status_code == 404

    restored = manager.post(reverse("mail:mail_action", args=[mail.pk, "recycle-restore"]), follow=True)
    assert "Restored from the recycle bin." in restored.content.decode()
    assert fresh(mail).deleted_at is None
    assert manager.get(reverse("mail:recycle_bin")).context["rows"] == []
    for client in (lily, tom):
        assert client.get(reverse("mail:followup")).context["counters"]["known"] == 1


def test_bulk_actions_on_undistributed_mail(world, boss):
    """MAIL-11, MAIL-10, MAIL-13, READ-16: ticked mails are trashed, spammed, blocked or deleted together."""
    mails = {name: arrive(world, f"{name}@bulk.example") for name in ("a", "b", "c", "d", "e")}
    client = sign_in(Client(), boss)
    url = reverse("mail:followup_bulk")
    assert client.post(url, {"action": "trash", "mail": [mails["a"].pk, mails["b"].pk]}).status_code == 302
    assert client.post(url, {"action": "spam", "mail": [mails["c"].pk]}).status_code == 302
    assert client.post(url, {"action": "block", "mail": [mails["d"].pk]}).status_code == 302
    page = client.post(url, {"action": "delete", "mail": [mails["e"].pk]}, follow=True)
    assert "1 mails handled." in page.content.decode()
    assert [fresh(mails[n]).triage_action for n in "abcd"] == ["trash", "trash", "spam", "spam"]
    assert list(BlockedAddress.objects.values_list("address", flat=True)) == ["d@bulk.example"]
    assert fresh(mails["e"]).deleted_at is not None
    assert list(queues.mails("undistributed", None)) == []
    assert set(queues.mails("undistributed_trash", None)) == {fresh(mails[n]) for n in "abcd"}

    again = client.post(url, {"action": "trash", "mail": [mails["a"].pk]}, follow=True).content.decode()
    assert "经理 already handled this mail (Moved to the trash) at" in again


def test_bulk_block_of_a_mail_someone_already_handled_blocks_nobody(world, boss, deputy):
    """MAIL-11, MAIL-02: the loser of the race is refused and changes nothing: the distributed sender is not blocked."""
    mail = arrive(world, "good.customer@buyer.example")
    triage.distribute(mail, to=world["lily"], actor=boss)
    page = sign_in(Client(), deputy).post(reverse("mail:followup_bulk"), {"action": "block", "mail": [mail.pk]},
                                          follow=True).content.decode()
    assert "经理 already handled this mail (Distributed) at" in page
    assert not BlockedAddress.objects.exists()
    assert events(mail) == [MailEvent.Action.DISTRIBUTED]
    assert message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "good.customer@buyer.example", message_id="<next@buyer.example>")).outcome == "stored"


def test_blocking_from_a_mail_is_logged_once(world):
    """MAIL-13, READ-17, GEN-05: one operation-log row for one block, whichever screen did it."""
    from tradeport.audit.models import OperationLogEntry
    from tradeport.mail.services import message_ingest
    from tradeport.mail.triage import block_sender

    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("spam@junk.example",
                                                                  message_id="<logged-once@junk.example>")).mail
    before = OperationLogEntry.objects.filter(object_type="mail.blockedaddress").count()
    block_sender(mail.from_address, actor=None, reason="spam", mail=mail)
    assert OperationLogEntry.objects.filter(object_type="mail.blockedaddress").count() == before + 1
