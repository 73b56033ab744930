"""The queues of the follow-up screen as queries (QUE-01..11, MAIL-02, MAIL-18, DAILY, GEN-03): which mail is in
which queue for whom, what the counters say, and keyset pages that visit every mail once."""

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer, EmailAddress
from tradeport.mail import queues, triage
from tradeport.mail.models import Mail, Mailbox
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)
KEYS = ("known", "unknown", "undistributed", "undistributed_trash", "inbox", "copies", "trash")


def arrive(world, sender: str, *, mailbox=None) -> Mail:
    number = next(_serial)
    result = message_ingest(mailbox=mailbox or world["mailbox"], raw=raw_mail(
        sender, subject=f"Queue mail {number}", message_id=f"<queue-{number}@{sender.rpartition('@')[2]}>"))
    assert result.outcome == "stored", result.outcome
    return result.mail


def ids(queryset) -> list[int]:
    return [m.pk for m in queryset]


@pytest.fixture
def boss(world):
    return make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理")


@pytest.fixture
def scene(world, boss):
    """One mail in every state a queue distinguishes."""
    lily, tom = world["lily"], world["tom"]
    lily_account, tom_account = Account.objects.get(username="lily"), Account.objects.get(username="tom")
    orphan = Customer.objects.create(code="C0030", name="Waisen GmbH", region=world["customer"].region,
                                     main_email="info@waisen.example")
    EmailAddress.objects.create(address="info@waisen.example", domain="waisen.example", customer=orphan,
                                role=EmailAddress.Role.MAIN)
    m = {}
    m["known"] = arrive(world, "info@hanse.de")
    m["followed"] = arrive(world, "sales@hanse.de")
    triage.mark_followed_up(m["followed"], employee=tom, actor=tom_account, followed_up=True)
    m["lily_trashed"] = arrive(world, "anna@hanse.de")
    triage.trash_delivery(m["lily_trashed"], employee=lily, actor=lily_account)
    m["for_lily"] = arrive(world, "stranger1@new.example")
    triage.distribute(m["for_lily"], to=lily, actor=boss)
    m["for_tom"] = arrive(world, "stranger2@new.example")
    triage.distribute(m["for_tom"], to=tom, actor=boss)
    triage.internal_copy(m["for_tom"], employees=[lily], actor=tom_account)
    m["waiting"] = arrive(world, "stranger3@new.example")
    m["no_owner"] = arrive(world, "info@waisen.example")
    m["trashed"] = arrive(world, "stranger4@new.example")
    triage.trash_undistributed(m["trashed"], actor=boss)
    m["spam"] = arrive(world, "stranger5@new.example")
    triage.trash_undistributed(m["spam"], actor=boss, spam=True)
    m["deleted_known"] = arrive(world, "info@hanse.de")
    triage.delete_permanently(m["deleted_known"], actor=boss)
    m["deleted_waiting"] = arrive(world, "stranger6@new.example")
    triage.delete_permanently(m["deleted_waiting"], actor=boss)
    return {name: mail.pk for name, mail in m.items()}


def expect(scene, *names) -> list[int]:
    """The mails of a queue, newest first (the queue's order)."""
    return sorted((scene[n] for n in names), reverse=True)


def test_queue_membership_for_each_key(world, scene):
    """QUE-02, QUE-06, MAIL-02, MAIL-12, MAIL-18, MAIL-19, DAILY-02, DAILY-06, READ-19: each queue holds
    exactly its mail, newest first, and nothing from the recycle bin."""
    lily, tom = world["lily"], world["tom"]
    assert ids(queues.mails("known", lily)) == expect(scene, "known")
    assert ids(queues.mails("known", tom)) == expect(scene, "known", "lily_trashed")
    assert ids(queues.mails("unknown", lily)) == expect(scene, "for_lily")
    assert ids(queues.mails("unknown", tom)) == expect(scene, "for_tom")
    assert ids(queues.mails("undistributed", None)) == expect(scene, "waiting", "no_owner")
    assert ids(queues.mails("undistributed_trash", None)) == expect(scene, "trashed", "spam")
    assert ids(queues.mails("inbox", lily)) == expect(scene, "known", "followed", "for_lily")
    assert ids(queues.mails("inbox", tom)) == expect(scene, "known", "followed", "lily_trashed", "for_tom")
    assert ids(queues.mails("copies", lily)) == expect(scene, "for_tom")
    assert ids(queues.mails("copies", tom)) == []
    assert ids(queues.mails("trash", lily)) == expect(scene, "lily_trashed")
    assert ids(queues.mails("trash", tom)) == []
    everywhere = {pk for key in KEYS for who in (lily, tom, None) for pk in ids(queues.mails(key, who))}
    assert scene["deleted_known"] not in everywhere
    assert scene["deleted_waiting"] not in everywhere


def test_the_known_queue_excludes_followed_up_mail(world, scene):
    """QUE-02, QUE-05, READ-09, MAIL-19: once followed up by tom it is in neither owner's known queue."""
    followed = Mail.objects.get(pk=scene["followed"])
    assert followed.followed_up_by == world["tom"]
    for owner in (world["lily"], world["tom"]):
        assert followed.pk not in ids(queues.mails("known", owner))
        assert followed.pk in ids(queues.mails("inbox", owner))


def test_mail_from_a_customer_without_owner_waits_in_the_undistributed_queue(world, scene):
    """MAIL-18, MAIL-02: a known customer with no current owner: route no_owner, no delivery, undistributed."""
    mail = Mail.objects.get(pk=scene["no_owner"])
    assert mail.route == Mail.Route.NO_OWNER
    assert mail.customer.code == "C0030"
    assert not mail.deliveries.exists()
    assert mail.pk in ids(queues.mails("undistributed", None))
    assert all(mail.pk not in ids(queues.mails("known", e)) for e in (world["lily"], world["tom"]))


def test_queues_without_an_employee_are_empty_and_unknown_keys_are_refused(world, scene):
    """QUE-01, GEN-03: an account without an employee has empty personal queues; an unknown key is an error."""
    for key in ("known", "unknown", "inbox", "copies", "trash"):
        assert list(queues.mails(key, None)) == []
    with pytest.raises(KeyError):
        queues.mails("everything", world["lily"])


def test_personal_mailbox_mail_from_strangers_is_in_the_owners_unknown_queue(world):
    """QUE-06, MBOX-06: an unknown sender writing to tom's personal mailbox lands in tom's unknown-sender queue."""
    tom_account = Account.objects.get(username="tom")
    personal = Mailbox.objects.create(address="tom@tradeport.test", protocol="none", kind=Mailbox.Kind.PERSONAL,
                                      owner=tom_account)
    mail = arrive(world, "private@contact.example", mailbox=personal)
    assert mail.route == Mail.Route.PERSONAL
    assert ids(queues.mails("unknown", world["tom"])) == [mail.pk]
    assert ids(queues.mails("undistributed", None)) == []


def test_counters_count_each_queue(world, scene, boss):
    """GEN-03, QUE-02, QUE-06, MAIL-02: the numbers in parentheses; undistributed only for a distributor."""
    lily_account = Account.objects.get(username="lily")
    assert queues.counters(lily_account, world["lily"]) == {"known": 1, "unknown": 1, "reminders": 0}
    assert queues.counters(Account.objects.get(username="tom"), world["tom"]) == {"known": 2, "unknown": 1,
                                                                               "reminders": 0}
    assert queues.counters(boss, None) == {"known": 0, "unknown": 0, "reminders": 0, "undistributed": 2}

    triage.distribute(Mail.objects.get(pk=scene["waiting"]), to=world["lily"], actor=boss)
    assert queues.counters(boss, None)["undistributed"] == 1
    assert queues.counters(lily_account, world["lily"]) == {"known": 1, "unknown": 2, "reminders": 0}


def test_the_screen_shows_the_counters_and_the_queues_the_user_has(world, scene, boss):
    """QUE-01, GEN-03, GEN-04, MAIL-02: the screen opens on known mail; a salesperson is not offered triage queues."""
    lily = sign_in(Client(), Account.objects.get(username="lily"))
    screen = lily.get(reverse("mail:followup"))
    assert screen.status_code == 200
    assert screen.context["queue"].key == "known"
    assert [m.pk for m in screen.context["rows"]] == expect(scene, "known")
    assert screen.context["counters"] == {"known": 1, "unknown": 1, "reminders": 0}
    offered = [q.key for q in screen.context["queues"]]
    assert "undistributed" not in offered
    assert "undistributed_trash" not in offered
    assert {"known", "unknown", "inbox", "copies", "trash"} <= set(offered)
    copies = lily.get(reverse("mail:followup_queue", args=["copies"]))
    assert [m.pk for m in copies.context["rows"]] == expect(scene, "for_tom")
    assert lily.get(reverse("mail:followup_queue", args=["everything"])).status_code == 404

    manager = sign_in(Client(), boss)
    waiting = manager.get(reverse("mail:undistributed"))
    assert [m.pk for m in waiting.context["rows"]] == expect(scene, "waiting", "no_owner")
    assert waiting.context["counters"]["undistributed"] == 2
    trash = manager.get(reverse("mail:followup_queue", args=["undistributed_trash"]))
    assert [m.pk for m in trash.context["rows"]] == expect(scene, "trashed", "spam")


@pytest.mark.parametrize(("total", "size"), [(10, 3), (9, 3), (3, 3), (1, 3), (0, 3)])
def test_keyset_pages_visit_every_mail_once(world, total, size):
    """QUE-02, GEN-04: following `older` from page to page lists every mail exactly once, newest first."""
    made = [arrive(world, "info@hanse.de").pk for _ in range(total)]
    seen, before, pages = [], None, 0
    while True:
        rows, older = queues.page(queues.mails("known", world["lily"]), before, size=size)
        pages += 1
        assert len(rows) <= size
        seen += [m.pk for m in rows]
        if older is None:
            break
        assert older == rows[-1].pk
        before = older
        assert pages <= total
    assert seen == sorted(made, reverse=True)
    assert pages == max(1, -(-total // size))


def test_the_screen_pages_with_before(world):
    """QUE-02, GEN-04: the list follows the `older` link page by page through the whole queue."""
    made = [arrive(world, "info@hanse.de").pk for _ in range(queues.PAGE + 5)]
    lily = sign_in(Client(), Account.objects.get(username="lily"))
    first = lily.get(reverse("mail:followup"))
    assert first.context["is_first_page"] is True
    assert len(first.context["rows"]) == queues.PAGE
    second = lily.get(reverse("mail:followup"), {"before": first.context["older"]})
    assert second.context["older"] is None
    assert second.context["is_first_page"] is False
    listed = [m.pk for m in first.context["rows"]] + [m.pk for m in second.context["rows"]]
    assert listed == sorted(made, reverse=True)


def test_a_departed_rules_owner_does_not_receive_mail(world, boss):
    """MAIL-04, MAIL-14, MAIL-02: a rule for an employee who left no longer routes; the mail waits for triage."""
    leaver = Employee.objects.create(code="0009", name="离职", department=world["department"], is_salesperson=True)
    mail = arrive(world, "loyal@client.example")
    triage.distribute(mail, to=leaver, actor=boss, future_rule=True)
    Employee.objects.filter(pk=leaver.pk).update(status=Employee.Status.LEFT)
    later = arrive(world, "loyal@client.example")
    assert later.route == Mail.Route.UNDISTRIBUTED
    assert ids(queues.mails("undistributed", None)) == [later.pk]
