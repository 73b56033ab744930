"""IMAP fetching throughput against a private Dovecot: the fetch layer and a first sync.

    python bench/imap_sync.py --messages 3000 --repeat 3

Needs root and /usr/sbin/dovecot (as the test suite's Dovecot fixture does): a
throwaway server is started in a temporary directory, one user gets the corpus
of bench/ingest.py (fixed seed) by IMAP APPEND, and the server is stopped again
at the end, also on error. Use a database of its own, TRADEPORT_DATA_DIR=var/bench-sync
(SQLite, the default here) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_sync,
created empty: the mail tables are emptied between rounds.

Two comparisons, each interleaved over --repeat rounds in this one process
(Tradeport first on odd rounds, the reference first on even ones), each after an
untimed warm-up of both sides; the medians of the rounds are compared, and the
range of the per-round ratios is printed:

* fetch layer: `ImapClient` (open INBOX, `uids_after(0)`, `fetch` in batches of
  services.BATCH) against bare imaplib (login, SELECT read-only, UID SEARCH ALL,
  UID FETCH of the same batches with BODY.PEEK[]), connect and logout included.
* first sync: `fetch_mailbox()` of an IMAP mailbox with an empty fetch state
  against bench/ingest.py's `pipeline()` on the very bytes the server serves
  (APPEND turned the corpus's LF line ends into CRLF). The mail rows, the raw
  and attachment files and the fetch state are removed before every run, so
  neither finds the other's stored files. Both take the mail in batches of
  services.BATCH (`prepare`, then `ingest_batch` in one transaction), so the
  difference is the fetching and its bookkeeping (ledger, folder state, lease).
  pipeline() runs `migrate` first: do not add migrations while this runs.
"""

import argparse
import imaplib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("TRADEPORT_DATA_DIR", str(HERE.parent / "var" / "bench-sync"))
sys.path[:0] = [str(HERE), str(HERE.parent)]  # bench/ for ingest, the repository for tests.mailserver

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from ingest import corpus, pipeline  # noqa: E402  (sets Django up)

from tests.mailserver.dovecot import DovecotServer, dovecot_unavailable  # noqa: E402
from tradeport.mail.models import (  # noqa: E402
    FetchLedger,
    FolderState,
    Mail,
    Mailbox,
    Quarantine,
    RawMessage,
)
from tradeport.mail.protocols import ImapClient, Server  # noqa: E402
from tradeport.mail.services import BATCH, fetch_mailbox  # noqa: E402

USER, PASSWORD = "sales", "bench-sync-password"
FETCH_TARGET, SYNC_TARGET = 0.70, 0.90  # the targets


def layer(server: Server) -> tuple[float, list[bytes]]:
    """Tradeport's IMAP client, as _fetch_imap drives it, without the database."""
    fetched: list[bytes] = []
    began = time.perf_counter()
    with ImapClient(server) as client:
        client.open("INBOX")
        uids = client.uids_after(0)
        for start in range(0, len(uids), BATCH):
            fetched.extend(raw for _uid, raw in client.fetch(uids[start:start + BATCH]))
    return len(fetched) / (time.perf_counter() - began), fetched


def bare(server: Server) -> tuple[float, list[bytes]]:
    """The floor: imaplib alone, the same commands and batches."""
    fetched: list[bytes] = []
    began = time.perf_counter()
    conn = imaplib.IMAP4(server.host, server.port)
    try:
        conn.login(server.username, server.password)
        conn.select("INBOX", readonly=True)
        _typ, data = conn.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        for start in range(0, len(uids), BATCH):
            _typ, data = conn.uid("FETCH", b",".join(uids[start:start + BATCH]).decode(), "(BODY.PEEK[])")
            fetched.extend(item[1] for item in data if isinstance(item, tuple))
    finally:
        conn.logout()
    return len(fetched) / (time.perf_counter() - began), fetched


def forget_mail() -> None:
    """Empty the mail tables, the fetch state and the stored files: every run starts from nothing."""
    Mail.objects.all().delete()
    Quarantine.objects.all().delete()
    FetchLedger.objects.all().delete()
    FolderState.objects.all().delete()
    RawMessage.objects.all().delete()
    for folder in ("raw", "attachments"):
        shutil.rmtree(Path(settings.MEDIA_ROOT) / folder, ignore_errors=True)
    Mailbox.objects.update(lease_owner="", lease_until=None, failures=0, last_error="")


def sync(address: str, count: int) -> float:
    forget_mail()
    mailbox = Mailbox.objects.get(address=address)
    began = time.perf_counter()
    report = fetch_mailbox(mailbox)
    rate = count / (time.perf_counter() - began)
    assert report.stored == count, report
    assert Mail.objects.filter(mailbox=mailbox).count() == count
    return rate


def ingest(messages: list[bytes]) -> float:
    forget_mail()
    return pipeline(messages)  # migrates and empties the mail tables again, then times the batches


def median_and_best(rates: list[float]) -> tuple[float, float]:
    return statistics.median(rates), max(rates)


def run(server: DovecotServer, messages: list[bytes], repeat: int) -> None:
    address = server.add_user(USER, PASSWORD)
    began = time.perf_counter()
    server.deliver_many(USER, messages)
    print(f"  delivered {len(messages)} messages by APPEND in {time.perf_counter() - began:.1f} s", flush=True)
    imap = Server(server.host, server.imap_port, "plain", address, PASSWORD)

    _rate, served = bare(imap)  # warm-up, and the bytes the server serves
    assert len(served) == len(messages)
    layer(imap)  # warm-up of the other side
    ours, floor = [], []
    for round_ in range(repeat):
        order = (("ImapClient", layer, ours), ("imaplib", bare, floor))
        for name, function, rates in order if round_ % 2 == 0 else reversed(order):
            rate, fetched = function(imap)
            assert fetched == served, f"{name} fetched other bytes"
            rates.append(rate)
        print(f"  fetch round {round_ + 1}: ImapClient {ours[-1]:6.0f}/s, imaplib {floor[-1]:6.0f}/s, "
              f"ratio {ours[-1] / floor[-1]:.0%}", flush=True)

    call_command("migrate", verbosity=0)
    mailbox = Mailbox.objects.filter(address=address).first() or Mailbox(address=address)  # a re-used database
    mailbox.protocol, mailbox.security = Mailbox.Protocol.IMAP, Mailbox.Security.PLAIN
    mailbox.host, mailbox.port, mailbox.username = server.host, server.imap_port, address
    mailbox.password = PASSWORD
    mailbox.save()
    sync(address, len(served))  # warm-up of both, untimed: a first round runs cold
    ingest(served)
    syncs, pipelines = [], []
    for round_ in range(repeat):
        order = ((syncs, lambda: sync(address, len(served))), (pipelines, lambda: ingest(served)))
        for rates, step in order if round_ % 2 == 0 else reversed(order):
            rates.append(step())
        print(f"  sync round {round_ + 1}: fetch_mailbox {syncs[-1]:5.0f}/s, ingest pipeline {pipelines[-1]:5.0f}/s, "
              f"ratio {syncs[-1] / pipelines[-1]:.0%}", flush=True)
    forget_mail()

    size = sum(map(len, served)) / len(served) / 1024
    (fetch_ours, fetch_ours_best), (fetch_floor, fetch_floor_best) = median_and_best(ours), median_and_best(floor)
    (sync_rate, sync_best), (ingest_rate, ingest_best) = median_and_best(syncs), median_and_best(pipelines)
    rows = (("fetch layer: ImapClient / bare imaplib", fetch_ours, fetch_floor, fetch_ours_best, fetch_floor_best,
             FETCH_TARGET),
            ("first sync: fetch_mailbox / ingest pipeline", sync_rate, ingest_rate, sync_best, ingest_best,
             SYNC_TARGET))
    serial = 1 / (1 / fetch_ours + 1 / ingest_rate)
    print(f"{connection.vendor}: {len(served)} messages, {size:.0f} KiB on average as served, batches of {BATCH}, "
          f"{repeat} rounds (medians; best rounds in brackets)")
    print("| comparison | Tradeport msg/s | reference msg/s | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for label, mine, theirs, best_mine, best_theirs, target in rows:
        ratio = mine / theirs
        print(f"| {label} | {mine:.0f} ({best_mine:.0f}) | {theirs:.0f} ({best_theirs:.0f}) "
              f"| {ratio:.0%} ({best_mine / best_theirs:.0%}) | ≥ {target:.0%} {'met' if ratio >= target else 'missed'} |")
    for label, mine, theirs in (("fetch", ours, floor), ("sync", syncs, pipelines)):
        ratios = [m / t for m, t in zip(mine, theirs, strict=True)]
        print(f"  {label} ratio per round: {', '.join(f'{r:.0%}' for r in ratios)}")
    print(f"  fetching, then ingesting, one after the other would give {serial:.0f} messages/s "
          f"({serial / ingest_rate:.0%} of the pipeline)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    reason = dovecot_unavailable()
    if reason:
        sys.exit(f"cannot run Dovecot here: {reason}")
    messages = corpus(args.messages)
    directory = Path(tempfile.mkdtemp(prefix="tp-bench-dovecot-"))
    server = DovecotServer(directory, instance="tradeport-bench")
    try:
        server.start()
        run(server, messages, args.repeat)
    finally:
        server.close()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
