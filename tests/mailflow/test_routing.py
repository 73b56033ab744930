import pytest

from mailflow.conftest import raw_mail
from tradeport.mail.models import (
    AddressRule,
    BlockedAddress,
    Delivery,
    Mail,
    Mailbox,
    Quarantine,
)
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def test_known_customer_mail_goes_to_every_owner_with_the_reason(world):
    """MAIL-01, MAIL-16, MAIL-19: mail from a backup email is filed under the customer and delivered to both owners."""
    result = message_ingest(mailbox=world["mailbox"], raw=raw_mail("Sales@Hanse.de"))
    assert result.outcome == "stored"
    mail = result.mail
    assert (mail.customer, mail.route) == (world["customer"], Mail.Route.CUSTOMER)
    assert mail.route_reason == "backup email of C0012 Hanse Trade → owners 李丽, Tom"
    assert set(mail.deliveries.values_list("employee__code", "reason")) == {("0002", "owner"), ("0003", "owner")}


def test_contact_mail_is_linked_to_the_contact(world):
    """MAIL-01, MAIL-17: mail from a contact's address names the contact."""
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de")).mail
    assert mail.contact == world["anna"]
    assert "(contact Anna)" in mail.route_reason


def test_a_strangers_mail_is_undistributed(world):
    """MAIL-01, MAIL-02: an address in no record goes to the undistributed queue, with no delivery."""
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("buyer@unknown.example")).mail
    assert (mail.route, mail.customer) == (Mail.Route.UNDISTRIBUTED, None)
    assert mail.route_reason == "unknown sender buyer@unknown.example → undistributed"
    assert not mail.deliveries.exists()


def test_a_same_domain_stranger_is_not_routed_to_the_customer(world):
    """MAIL-01: a domain match never routes; only the address index does."""
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("new.person@hanse.de")).mail
    assert mail.route == Mail.Route.UNDISTRIBUTED


def test_a_blocked_senders_mail_is_refused_and_counted(world):
    """MAIL-13, MBOX-09: blocked senders' mail is not taken in; the block counts it."""
    BlockedAddress.objects.create(address="spam@junk.example")
    result = message_ingest(mailbox=world["mailbox"], raw=raw_mail("spam@junk.example"))
    assert result.outcome == "blocked"
    assert not Mail.objects.exists()
    assert BlockedAddress.objects.get().blocked_count == 1


def test_an_address_rule_routes_a_stranger(world):
    """MAIL-04, MAIL-14: an address rule sends the sender's mail to its salesperson."""
    AddressRule.objects.create(address="buyer@unknown.example", employee=world["tom"])
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("buyer@unknown.example")).mail
    assert mail.route == Mail.Route.RULE
    assert list(mail.deliveries.values_list("employee__code", "reason")) == [("0003", "rule")]


def test_a_customer_without_owner_is_undistributed_but_filed(world):
    """MAIL-18: a matched customer with no owner is filed under it and waits in undistributed."""
    world["customer"].ownerships.update(is_latest=False)
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de")).mail
    assert (mail.route, mail.customer) == (Mail.Route.NO_OWNER, world["customer"])
    assert not mail.deliveries.exists()


def test_personal_mailbox_strangers_go_to_its_owner(world):
    """MBOX-06: an unknown sender in a personal mailbox goes to its owner, not to undistributed."""
    from tradeport.accounts.models import Account

    personal = Mailbox.objects.create(address="lily@tradeport.test", kind="personal", protocol="none",
                                      owner=Account.objects.get(username="lily"))
    mail = message_ingest(mailbox=personal, raw=raw_mail("buyer@unknown.example")).mail
    assert mail.route == Mail.Route.PERSONAL
    assert list(mail.deliveries.values_list("employee__code", "reason")) == [("0002", "personal")]


def test_mail_sent_by_our_mailbox_is_filed_as_outgoing_to_the_customer(world):
    """MAIL-01, MAIL-16: mail from one of our own mailboxes is outgoing and filed under the recipient's customer."""
    mail = message_ingest(mailbox=world["mailbox"],
                          raw=raw_mail("info@tradeport.test", to="Anna <anna@hanse.de>")).mail
    assert (mail.direction, mail.route, mail.customer) == (Mail.Direction.OUT, Mail.Route.OUTGOING, world["customer"])
    assert not mail.deliveries.exists()


def test_the_same_message_twice_is_stored_once(world):
    """MBOX-08: a message with the same Message-ID in the same mailbox is stored once."""
    first = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de"))
    second = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de"))
    assert (first.outcome, second.outcome) == ("stored", "duplicate")
    assert Mail.objects.count() == 1
    assert Delivery.objects.count() == 2


def test_bytes_that_are_not_mail_are_quarantined_with_the_reason(world):
    """MAIL-20: what cannot be parsed is kept raw, quarantined, with the reason; nothing raises."""
    result = message_ingest(mailbox=world["mailbox"], raw=b"\x00\x01\x02 not mail")
    assert result.outcome == "quarantined"
    quarantined = Quarantine.objects.get()
    assert quarantined.reason.startswith("not an email")
    assert quarantined.raw.size == len(b"\x00\x01\x02 not mail")


def test_mail_visibility_follows_the_customer_and_the_deliveries(world):
    """PERM-13: owners see their customer's mail; others do not; PERM-08 holders see all."""
    from conftest import make_account
    from tradeport.accounts.models import Account

    customer_mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de")).mail
    stranger_mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("x@unknown.example",
                                                                          message_id="<m2@x>")).mail
    lily = Account.objects.get(username="lily")
    outsider = make_account("bob", template="employee", employee_code="")
    manager = make_account("boss", template="manager")
    assert set(Mail.objects.visible_to(lily)) == {customer_mail}
    assert not Mail.objects.visible_to(outsider).exists()
    assert set(Mail.objects.visible_to(manager)) == {customer_mail, stranger_mail}
