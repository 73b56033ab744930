"""Collision safety of triage on PostgreSQL (MAIL-02, MAIL-03, MAIL-10, MAIL-19): two people act on the same mail
at the same moment in parallel transactions; exactly one action happens and the other is told who was first."""

import itertools
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.mail import triage
from tradeport.mail.models import AddressRule, BlockedAddress, Delivery, Mail, MailEvent
from tradeport.mail.services import message_ingest

ROUNDS = 5
_serial = itertools.count(1)


def arrive(world, sender: str) -> Mail:
    number = next(_serial)
    result = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        sender, subject=f"Race {number}", message_id=f"<race-{number}@{sender.rpartition('@')[2]}>"))
    assert result.outcome == "stored", result.outcome
    return result.mail


def race(*contenders):
    """Run each callable in its own thread (own connection), released together by a barrier.

    Returns one outcome per contender: ("ok", value), ("refused", message) or ("error", repr).
    """
    barrier = threading.Barrier(len(contenders))
    outcomes: list = [None] * len(contenders)

    def run(index, action):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", action())
        except triage.AlreadyHandled as refused:
            outcomes[index] = ("refused", str(refused))
        except Exception as failure:  # reported by the assertion below, not lost in the thread
            outcomes[index] = ("error", repr(failure))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(not t.is_alive() for t in threads), "a contender hung"
    assert all(o is not None and o[0] != "error" for o in outcomes), outcomes
    return outcomes


@pytest.fixture
def managers(world):
    return (make_account("wangjl", template=MANAGER_TEMPLATE, employee_name="王经理"),
            make_account("zhaojl", template=MANAGER_TEMPLATE, employee_name="赵经理"))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_managers_distributing_the_same_mail_at_once(world, managers):
    """MAIL-02, MAIL-03: one distribution wins; the other gets AlreadyHandled naming the winner; one delivery, one event."""
    targets = (world["lily"], world["tom"])
    winners = set()
    for round_number in range(ROUNDS):
        mail = arrive(world, f"contested{round_number}@race.example")
        opened = [Mail.objects.get(pk=mail.pk) for _ in managers]  # both screens show the mail untriaged

        def distributing(index, opened=opened):
            return lambda: triage.distribute(opened[index], to=targets[index], actor=managers[index],
                                             future_rule=True, note=f"from {managers[index].username}")

        outcomes = race(distributing(0), distributing(1))
        assert sorted(kind for kind, _value in outcomes) == ["ok", "refused"], outcomes
        won = next(i for i, (kind, _value) in enumerate(outcomes) if kind == "ok")
        lost = 1 - won
        winners.add(won)
        winner = managers[won]
        assert f"{winner.employee_name} already handled this mail (Distributed) at " in outcomes[lost][1]

        stored = Mail.objects.get(pk=mail.pk)
        assert stored.triaged_by_id == winner.pk
        deliveries = list(Delivery.objects.filter(mail=mail))
        assert [(d.employee_id, d.reason) for d in deliveries] == [(targets[won].pk, Delivery.Reason.DISTRIBUTED)]
        distributed = list(MailEvent.objects.filter(mail=mail, action=MailEvent.Action.DISTRIBUTED))
        assert [(e.actor_id, e.employee_id, e.note) for e in distributed] == [
            (winner.pk, targets[won].pk, f"from {winner.username}")]
        assert MailEvent.objects.filter(mail=mail).count() == 1
        assert AddressRule.objects.get(address=stored.from_address).employee_id == targets[won].pk
    assert winners  # at least one round was decided; which manager wins varies


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_distribute_and_spam_at_once_do_not_both_happen(world, managers):
    """MAIL-02, MAIL-03, MAIL-10, MAIL-13: distribution against spam-and-block: either the delivery or the block."""
    for round_number in range(ROUNDS):
        mail = arrive(world, f"either{round_number}@race.example")
        first, second = Mail.objects.get(pk=mail.pk), Mail.objects.get(pk=mail.pk)
        outcomes = race(
            lambda first=first: triage.distribute(first, to=world["lily"], actor=managers[0]),
            lambda second=second: triage.trash_undistributed(second, actor=managers[1], spam=True, block=True),
        )
        assert sorted(kind for kind, _value in outcomes) == ["ok", "refused"], outcomes
        stored = Mail.objects.get(pk=mail.pk)
        delivered = Delivery.objects.filter(mail=mail).count()
        blocked = BlockedAddress.objects.filter(address=stored.from_address).exists()
        if outcomes[0][0] == "ok":
            assert (stored.triage_action, delivered, blocked) == ("distributed", 1, False)
            assert "王经理 already handled this mail (Distributed)" in outcomes[1][1]
        else:
            assert (stored.triage_action, delivered, blocked) == ("spam", 0, True)
            assert "赵经理 already handled this mail (Spam)" in outcomes[0][1]
        assert MailEvent.objects.filter(mail=mail, action__in=["distributed", "spam"]).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_owners_marking_followed_up_at_once_record_one_name(world):
    """MAIL-19, READ-09: both owners tick [Followed up] together: one name is recorded, one event, both queues empty."""
    lily_account, tom_account = Account.objects.get(username="lily"), Account.objects.get(username="tom")
    owners = ((world["lily"], lily_account), (world["tom"], tom_account))
    for _round in range(ROUNDS):
        mail = arrive(world, "info@hanse.de")
        opened = [Mail.objects.get(pk=mail.pk) for _owner in owners]  # each owner's screen has the mail open
        outcomes = race(*[
            (lambda mine=mine, owner=owner: triage.mark_followed_up(mine, employee=owner[0], actor=owner[1],
                                                                    followed_up=True))
            for mine, owner in zip(opened, owners, strict=True)])
        assert [kind for kind, _value in outcomes] == ["ok", "ok"]
        stored = Mail.objects.get(pk=mail.pk)
        events = list(MailEvent.objects.filter(mail=mail, action=MailEvent.Action.FOLLOWED_UP))
        assert len(events) == 1
        assert stored.followed_up_by_id == events[0].employee_id
        assert stored.followed_up_by_id in {world["lily"].pk, world["tom"].pk}
        assert set(Delivery.objects.filter(mail=mail).values_list("state", flat=True)) == {Delivery.State.HANDLED}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("htmx", [False, True], ids=["redirect", "htmx"])
def test_two_managers_posting_distribute_at_once(world, managers, htmx):
    """MAIL-02, MAIL-03, READ-01, GEN-03: through HTTP the winner is told it is done, the loser that someone was first."""
    headers = {"HX-Request": "true", "HX-Target": "reading"} if htmx else {}
    clients = [sign_in(Client(headers=headers), account) for account in managers]
    targets = (world["lily"], world["tom"])
    for round_number in range(3):
        mail = arrive(world, f"http{round_number}@race.example")
        url = reverse("mail:mail_action", args=[mail.pk, "distribute"])

        def posting(index, url=url):
            def post():
                response = clients[index].post(url, {"employee": targets[index].pk})
                if htmx:
                    return response.status_code, response.content.decode(), response.get("HX-Trigger")
                page = clients[index].get(response["Location"])  # the message is shown on the next page
                return response.status_code, page.content.decode(), None
            return post

        outcomes = race(posting(0), posting(1))
        results = [value for _kind, value in outcomes]
        expected = 200 if htmx else 302
        assert [status for status, _page, _trigger in results] == [expected, expected]
        if htmx:
            assert [trigger for _status, _page, trigger in results] == ["queues-changed", "queues-changed"]
        succeeded = [i for i, (_status, page, _t) in enumerate(results) if f"Distributed to {targets[i].name}." in page]
        assert len(succeeded) == 1, [page[:300] for _s, page, _t in results]
        won = succeeded[0]
        loser_page = results[1 - won][1]
        assert f"{managers[won].employee_name} already handled this mail (Distributed) at" in loser_page
        assert list(Delivery.objects.filter(mail=mail).values_list("employee_id", flat=True)) == [targets[won].pk]
        assert MailEvent.objects.filter(mail=mail, action=MailEvent.Action.DISTRIBUTED).count() == 1
