"""Re-filing a sender's past mail when a record is created from a mail or a mail is merged with
"all mail from this address" (MAIL-07, MAIL-09, PERM-13): only mail the acting user may move is filed,
so that filing can never open a colleague's mail to them."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.test_mail_security import PDF, arrive, reading_urls
from mailflow.test_triage import customer_form
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.mail import triage
from tradeport.mail.models import Mail, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(world):
    return make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理")


@pytest.fixture
def lily(world):
    return Account.objects.get(username="lily")


@pytest.fixture
def tom(world):
    return Account.objects.get(username="tom")


@pytest.fixture
def toms_mailbox(tom):
    return Mailbox.objects.create(address="tom@tradeport.test", protocol="none", kind=Mailbox.Kind.PERSONAL,
                                  owner=tom)


def opens(account, mail) -> dict[str, int]:
    client = sign_in(Client(), account)
    return {name: client.get(url).status_code for name, url in reading_urls(mail).items()}


def fresh(mail) -> Mail:
    return Mail.objects.get(pk=mail.pk)


def test_a_record_created_from_a_mail_leaves_a_colleagues_personal_mail_alone(world, boss, lily, toms_mailbox):
    """MAIL-09, PERM-13, PERM-10: the reproduction of the leak. 业务员1 creates a customer from a mail the
    manager gave them; the same sender's mail in 业务员2's personal mailbox stays unfiled and unreadable."""
    first = arrive(world["mailbox"], "lead@prospect.example")
    triage.distribute(first, to=world["lily"], actor=boss)
    private = arrive(toms_mailbox, "lead@prospect.example", to="tom@tradeport.test",
                     attachments=[("offer.pdf", "application/pdf", PDF)])
    assert private.route == Mail.Route.PERSONAL
    assert set(opens(lily, private).values()) == {404}

    client = sign_in(Client(), lily)
    url = reverse("customers:customer_create") + f"?from_mail={first.pk}"
    response = client.post(url, customer_form(world["customer"].region, name="Prospect Ltd",
                                              main_email="lead@prospect.example"), follow=True)
    assert response.status_code == 200
    created = Customer.objects.get(name="Prospect Ltd")
    assert fresh(first).customer == created
    assert fresh(private).customer is None
    assert set(opens(lily, private).values()) == {404}
    assert set(opens(toms_mailbox.owner, private).values()) == {200}
    page = response.content.decode()
    assert "1 mail filed under the customer." in page
    assert "1 mail from this address that a colleague holds was not moved." in page


def test_merging_all_mail_from_an_address_takes_only_the_actors_own_mail(world, boss, lily, tom):
    """MAIL-07, PERM-13: two mails of one sender were given to 业务员1 and 业务员2; 业务员1 merges all mail
    from the address into their customer, and 业务员2's mail stays theirs, unreadable to 业务员1."""
    own = Customer.objects.create(code="C0031", name="Lily Only Ltd", region=world["customer"].region)
    Ownership.objects.create(customer=own, employee=world["lily"])
    for_lily = arrive(world["mailbox"], "buyer@twohands.example")
    for_tom = arrive(world["mailbox"], "buyer@twohands.example", attachments=[("po.pdf", "application/pdf", PDF)])
    triage.distribute(for_lily, to=world["lily"], actor=boss)
    triage.distribute(for_tom, to=world["tom"], actor=boss)

    client = sign_in(Client(), lily)
    response = client.post(reverse("mail:mail_action", args=[for_lily.pk, "merge"]),
                           {"customer": own.pk, "scope": "all"}, follow=True)
    assert response.status_code == 200
    assert fresh(for_lily).customer == own
    assert fresh(for_tom).customer is None
    assert set(opens(lily, for_tom).values()) == {404}
    assert set(opens(tom, for_tom).values()) == {200}
    assert EmailAddress.objects.get(address="buyer@twohands.example").customer == own
    assert "1 mail from this address that a colleague holds was not moved." in response.content.decode()


def test_a_distributor_refiles_the_waiting_queue_but_not_what_colleagues_hold(world, boss, toms_mailbox):
    """MAIL-07, MAIL-09, PERM-08, PERM-13: the manager's merge takes the sender's mail still waiting in the
    undistributed queue; mail already given to a salesperson and a salesperson's personal mail stay put."""
    acted_on = arrive(world["mailbox"], "jo@waiting.example")
    waiting = arrive(world["mailbox"], "jo@waiting.example")
    given = arrive(world["mailbox"], "jo@waiting.example")
    triage.distribute(given, to=world["tom"], actor=boss)
    private = arrive(toms_mailbox, "jo@waiting.example", to="tom@tradeport.test")

    refiled = triage.merge(fresh(acted_on), customer=world["customer"], actor=boss, all_from_address=True)
    assert (refiled.filed, refiled.left_alone) == (2, 2)
    assert fresh(acted_on).customer == fresh(waiting).customer == world["customer"]
    assert fresh(given).customer is None
    assert fresh(private).customer is None


def test_a_salesperson_refiles_their_own_personal_mail(world, tom, toms_mailbox):
    """MAIL-09, PERM-13: mail in the actor's own personal mailbox is theirs to file."""
    own = Customer.objects.create(code="C0032", name="Tom Only Ltd", region=world["customer"].region,
                                  main_email="kim@mine.example")
    Ownership.objects.create(customer=own, employee=world["tom"])
    first = arrive(toms_mailbox, "kim@mine.example", to="tom@tradeport.test")
    second = arrive(toms_mailbox, "kim@mine.example", to="tom@tradeport.test")
    refiled = triage.record_created(fresh(first), customer=own, actor=tom)
    assert (refiled.filed, refiled.left_alone) == (2, 0)
    assert fresh(second).customer == own


# The matrix: where the sender's other mail lies, who acts, which action -----------------------------

PLACES = ("undistributed queue", "colleague's unknown-sender queue", "own unknown-sender queue",
          "colleague's personal mailbox", "own personal mailbox")
# Who may move the other mail by acting on a mail of their own: a salesperson what they hold,
# a PERM-08 distributor also the undistributed queue; nobody what a colleague holds.
MOVES = {
    "salesperson": {"own unknown-sender queue", "own personal mailbox"},
    "distributor": {"undistributed queue", "own unknown-sender queue", "own personal mailbox"},
}


def place(world, where: str, *, actor_employee, colleague, boss, mailboxes) -> Mail:
    sender = "same@sender.example"
    if where == "undistributed queue":
        return arrive(world["mailbox"], sender)
    if where.endswith("unknown-sender queue"):
        mail = arrive(world["mailbox"], sender)
        triage.distribute(mail, to=actor_employee if where.startswith("own") else colleague, actor=boss)
        return mail
    box = mailboxes["own" if where.startswith("own") else "colleague"]
    return arrive(box, sender, to=box.address)


@pytest.mark.parametrize("action", ["create record", "merge all"])
@pytest.mark.parametrize("role", ["salesperson", "distributor"])
@pytest.mark.parametrize("where", PLACES)
def test_refiling_matrix(world, boss, lily, tom, role, action, where):
    """MAIL-07, MAIL-09, PERM-08, PERM-10, PERM-13: for every queue and mailbox kind, the sender's other
    mail is re-filed exactly when the actor holds it (or, for a distributor, when it still waits)."""
    from tradeport.accounts.models import Account
    from tradeport.org.models import Employee

    if role == "distributor":
        Employee.objects.create(code="0009", name="经理", department=world["department"], is_salesperson=True)
        boss.employee_code = "0009"
        boss.save()
        actor, actor_employee = Account.objects.get(pk=boss.pk), Employee.objects.get(code="0009")
    else:
        actor, actor_employee = lily, world["lily"]
    mailboxes = {
        "own": Mailbox.objects.create(address="own@tradeport.test", protocol="none", kind=Mailbox.Kind.PERSONAL,
                                      owner=actor),
        "colleague": Mailbox.objects.create(address="tom@tradeport.test", protocol="none",
                                            kind=Mailbox.Kind.PERSONAL, owner=tom),
    }
    acted_on = arrive(world["mailbox"], "same@sender.example")
    triage.distribute(acted_on, to=actor_employee, actor=boss)
    other = place(world, where, actor_employee=actor_employee, colleague=world["tom"], boss=boss,
                  mailboxes=mailboxes)
    customer = Customer.objects.create(code="C0040", name="Same Sender Ltd", region=world["customer"].region,
                                       main_email="" if action == "merge all" else "same@sender.example")
    Ownership.objects.create(customer=customer, employee=actor_employee)

    if action == "create record":
        refiled = triage.record_created(fresh(acted_on), customer=customer, actor=actor)
    else:
        refiled = triage.merge(fresh(acted_on), customer=customer, actor=actor, all_from_address=True)
    moves = where in MOVES[role]
    assert (fresh(other).customer == customer) is moves
    assert (refiled.filed, refiled.left_alone) == ((2, 0) if moves else (1, 1))
    if not moves and where.startswith("colleague") and role == "salesperson":  # PERM-08 reads all anyway
        assert set(opens(actor, other).values()) == {404}
