"""Shared by the page benchmarks: a signed-in test client, and timing a set of requests."""

import math
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


def percentile(sorted_times: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted figures (share 0.95 for p95)."""
    return sorted_times[max(0, math.ceil(len(sorted_times) * share) - 1)]


def time_requests(cases: dict, repeat: int, budgets: dict | None = None) -> dict:
    """Print p50 and p95 of `repeat` timed GETs per case ({label: (client, url)}), after one warm-up each,
    then the query count and slowest query of one more request. Returns {label: (p50, p95, slowest query)}.
    `budgets` ({label: (p95 ms, slowest query ms)}) marks a case over either; `over_budget()` lists them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = {}
    for label, (client, url) in cases.items():
        client.get(url)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        slowest = max((float(q["time"]) * 1000 for q in queries.captured_queries), default=0.0)
        figures[label] = (p50, p95, slowest)
        mark = ""
        if budgets and label in budgets:
            mark = f"   budget {budgets[label][0]}/{budgets[label][1]} ms{'  OVER' if over_budget({label: figures[label]}, budgets) else ''}"
        print(f"  {label:45s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
              f"{len(queries.captured_queries):3d} queries, slowest {slowest:6.1f} ms{mark}", flush=True)
    return figures


def over_budget(figures: dict, budgets: dict) -> list[str]:
    """The cases whose p95 or slowest query is over their budget."""
    return [label for label, (_p50, p95, slowest) in figures.items()
            if label in budgets and (p95 > budgets[label][0] or slowest > budgets[label][1])]


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
