"""Shared by the page benchmarks: a signed-in test client, and timing a set of requests."""

import statistics
import time

from django.test import Client
from django.utils import timezone

from tradeport.accounts.models import Account, OnlineSession


def signed_in_client(username: str) -> Client:
    """The test client as `username`, with a seat, as a real login would leave it."""
    account = Account.objects.get(username=username)
    account.must_change_password = False
    account.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account)
    OnlineSession.objects.update_or_create(account=account, defaults={
        "session_key": client.session.session_key, "ip_address": "127.0.0.1", "last_seen_at": timezone.now()})
    return client


def time_requests(cases: dict, repeat: int) -> None:
    """Print p50 and p95 of `repeat` timed GETs per case ({label: (client, url)}), after one warm-up each."""
    for label, (client, url) in cases.items():
        client.get(url)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"  {label:45s} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def generate_or_run(doc: str, generate, run, *, size_option: str, size_default: int, argv=None) -> None:
    """The command line of a page benchmark: `generate --SIZE N` or `run --repeat N`."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate").add_argument(f"--{size_option}", type=int, default=size_default, dest="size")
    sub.add_parser("run").add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.size)
        settle_after_bulk_load()
    else:
        run(args.repeat)


def settle_after_bulk_load() -> None:
    """What autovacuum would do soon after a real bulk load: statistics (and on PostgreSQL the visibility
    map). Without them the planner guesses one row per table and picks plans no live system would."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
