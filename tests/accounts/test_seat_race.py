import threading

import pytest
from django.db import connection
from django.test import Client, override_settings

from conftest import make_account
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.models import OnlineSession, SeatGuard

ROUNDS = 5
RACERS = 4


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@override_settings(TRADEPORT_SEATS=1)
def test_parallel_logins_never_both_take_the_last_seat():
    """ACC-04: logins racing for the last seat, in parallel transactions: exactly one wins."""
    SeatGuard.objects.get_or_create(pk=1)
    names = [f"racer{n}" for n in range(RACERS)]
    for name in names:
        make_account(name, template=EMPLOYEE_TEMPLATE, password="Race-Track-9")

    for _round in range(ROUNDS):
        OnlineSession.objects.all().delete()
        barrier = threading.Barrier(RACERS)
        statuses: dict[str, int] = {}

        def race(name, barrier=barrier, statuses=statuses):
            try:
                client = Client()
                barrier.wait()
                response = client.post("/login/", {"username": name, "password": "Race-Track-9"})
                statuses[name] = response.status_code
            finally:
                connection.close()

        threads = [threading.Thread(target=race, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(statuses.values()) == [302] + [403] * (RACERS - 1), statuses
        assert OnlineSession.objects.filter(takes_seat=True).count() == 1
