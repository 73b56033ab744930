"""Mail intake throughput: the whole pipeline against a bare stdlib parse loop, on one corpus.

    python bench/ingest.py --messages 3000 --rounds 3 [--workers 2]

Use its own database: TRADEPORT_DATA_DIR=var/bench-ingest (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_ingest.
The corpus is generated (fixed seed): Chinese and English mail in UTF-8, GBK,
GB2312 and Big5, text and HTML alternatives, a fifth with a 20-200 KB attachment.
The floor is `email.message_from_bytes(policy.default)` plus the text, the
HTML and the attachment names, as the issue defines it. Both loops run in this
one process: one untimed round of each, then --rounds interleaved rounds
(floor first on odd rounds, pipeline first on even ones; with --workers the
workers' run closes each round). The figures are the medians of the rounds with
their spread (min-max); the ratio is the median of the per-round ratios, by wall
time and by this process's CPU time (less disturbed by other work on a shared
machine; on PostgreSQL it leaves out the server's share). A single first round,
as this script once reported, is no figure: rounds in one process differ widely.
"""

import argparse
import email
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import time
from email import policy
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from tradeport.mail.models import FetchLedger, Mail, Mailbox, Quarantine, RawMessage  # noqa: E402
from tradeport.mail.services import BATCH, ingest_batch, prepare  # noqa: E402

PHRASES = ["您好，附件是我们最新的报价单，请查收。", "样品已经寄出，运单号稍后发给您。", "請確認訂單數量與交貨期。",
           "Please find our price list attached.", "Could you confirm the delivery date?", "We need 500 units by May."]
CHARSETS = ["utf-8", "gbk", "gb2312", "big5"]


def corpus(count: int, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    messages = []
    for n in range(count):
        charset = rng.choice(CHARSETS)
        text = "\n".join(rng.choice(PHRASES) for _ in range(rng.randint(3, 40)))
        if charset in ("gb2312", "gbk"):
            text = text.replace("請確認訂單數量與交貨期。", "请确认订单数量与交货期。")
        elif charset == "big5":
            text = text.replace("您好，附件是我们最新的报价单，请查收。", "您好，附件是我們最新的報價單，請查收。").replace(
                "样品已经寄出，运单号稍后发给您。", "樣品已經寄出，運單號稍後發給您。")
        alternative = MIMEMultipart("alternative")
        alternative.attach(MIMEText(text, "plain", charset))
        alternative.attach(MIMEText("<p>" + text.replace("\n", "</p><p>") + "</p>", "html", charset))
        if rng.random() < 0.2:
            message = MIMEMultipart("mixed")
            message.attach(alternative)
            attachment = MIMEApplication(rng.randbytes(rng.randint(20_000, 200_000)), Name="报价单.pdf")
            attachment.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "报价单.pdf"))
            message.attach(attachment)
        else:
            message = alternative
        message["From"] = f"buyer{rng.randint(1, 500)}@importer{rng.randint(1, 50)}.example"
        message["To"] = "sales@tradeport.example"
        message["Subject"] = f"询价 {n}"
        message["Message-ID"] = f"<bench-{n}@importer.example>"
        message["Date"] = "Tue, 03 Mar 2026 10:00:00 +0800"
        messages.append(message.as_bytes())
    return messages


class Clock:
    """Wall and CPU time of this process over a block; CPU time is what the shared machine's other
    work disturbs least (on PostgreSQL it leaves out the server's share)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def rates(self, count: int) -> tuple[float, float]:
        return count / self.wall, count / self.cpu


def floor_rates(messages: list[bytes]) -> tuple[float, float]:
    with Clock() as clock:
        for raw in messages:
            parsed = email.message_from_bytes(raw, policy=policy.default)
            for preference in (("plain",), ("html",)):
                body = parsed.get_body(preferencelist=preference)
                if body is not None:
                    body.get_content()
            [part.get_filename() for part in parsed.iter_attachments()]
    return clock.rates(len(messages))


def floor(messages: list[bytes]) -> float:
    return floor_rates(messages)[0]


def _reset() -> None:
    """Empty mail tables and stored files, so every run writes everything, as a first sync does."""
    call_command("migrate", verbosity=0)
    Mail.objects.all().delete()
    FetchLedger.objects.all().delete()
    Quarantine.objects.all().delete()
    RawMessage.objects.all().delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "raw", ignore_errors=True)
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "attachments", ignore_errors=True)


def _ingest(mailbox: Mailbox, messages: list[bytes]) -> None:
    ours = set(Mailbox.objects.values_list("address", flat=True))
    for start in range(0, len(messages), BATCH):  # one transaction per batch, as fetching commits
        prepared = prepare(messages[start:start + BATCH])
        with transaction.atomic():
            ingest_batch(mailbox=mailbox, messages=prepared, own_addresses=ours)


def pipeline_rates(messages: list[bytes]) -> tuple[float, float]:
    _reset()
    mailbox, _ = Mailbox.objects.get_or_create(address="sales@tradeport.example", defaults={"protocol": "none"})
    with Clock() as clock:
        _ingest(mailbox, messages)
    assert Mail.objects.filter(mailbox=mailbox).count() == len(messages)
    return clock.rates(len(messages))


def pipeline(messages: list[bytes]) -> float:
    return pipeline_rates(messages)[0]


def _worker(address: str, messages: list[bytes], start_at, results) -> None:
    connections.close_all()  # a forked child opens its own connection
    mailbox = Mailbox.objects.get(address=address)
    start_at.wait()
    began = time.perf_counter()
    _ingest(mailbox, messages)
    results.put(time.perf_counter() - began)


def parallel(messages: list[bytes], workers: int) -> float:
    """`workers` processes, each with its own mailbox and an equal share of the corpus; total messages/s."""
    _reset()
    addresses = [f"sales{n}@tradeport.example" for n in range(workers)]
    for address in addresses:
        Mailbox.objects.get_or_create(address=address, defaults={"protocol": "none"})
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start_at, results = context.Barrier(workers + 1), context.Queue()
    shares = [messages[n::workers] for n in range(workers)]
    processes = [context.Process(target=_worker, args=(a, share, start_at, results))
                 for a, share in zip(addresses, shares, strict=True)]
    for process in processes:
        process.start()
    start_at.wait()
    began = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    assert all(p.exitcode == 0 for p in processes), "a worker failed"
    assert Mail.objects.count() == len(messages)
    return len(messages) / elapsed


def spread(values: list[float], unit: str = "messages/s") -> str:
    return f"median {statistics.median(values):7.0f} {unit} ({min(values):.0f}-{max(values):.0f})"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after the warm-up (at least 3)")
    parser.add_argument("--workers", type=int, default=0, help="also measure this many worker processes together")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3: a median of fewer rounds is a single round in disguise")
    messages = corpus(args.messages)
    size = sum(map(len, messages)) / len(messages) / 1024
    # A whole untimed round first: later rounds follow one that wrote and then removed a whole corpus
    # (rows, files, the kernel's writeback), and a first round that did not would look faster than it is.
    floor(messages)
    pipeline(messages)
    if args.workers > 1:
        parallel(messages, args.workers)
    bare, whole, together = [], [], []  # (wall rate, CPU rate) per round; the workers' wall rate only
    for round_ in range(args.rounds):
        steps = [("floor", lambda: bare.append(floor_rates(messages))),
                 ("pipeline", lambda: whole.append(pipeline_rates(messages)))]
        if round_ % 2:
            steps.reverse()
        if args.workers > 1:
            steps.append((f"{args.workers} workers", lambda: together.append(parallel(messages, args.workers))))
        for _name, step in steps:
            step()
        line = (f"  round {round_ + 1} ({', '.join(name for name, _ in steps)}): floor {bare[-1][0]:5.0f}/s, "
                f"pipeline {whole[-1][0]:5.0f}/s, ratio {whole[-1][0] / bare[-1][0]:.0%} "
                f"(CPU time: {bare[-1][1]:.0f}/s, {whole[-1][1]:.0f}/s, {whole[-1][1] / bare[-1][1]:.0%})")
        if together:
            line += f", {args.workers} workers {together[-1]:5.0f}/s, {together[-1] / whole[-1][0]:.2f}x one worker"
        print(line, flush=True)
    ratios = [w[0] / b[0] for w, b in zip(whole, bare, strict=True)]
    cpu_ratios = [w[1] / b[1] for w, b in zip(whole, bare, strict=True)]
    print(f"{connection.vendor}: {len(messages)} messages, {size:.0f} KiB on average; one untimed round, "
          f"then {args.rounds} rounds, floor first on odd rounds, pipeline first on even ones")
    print(f"  floor (stdlib parse + text, HTML, attachment names): {spread([b[0] for b in bare])}")
    print(f"  pipeline (store, parse, dedupe, match, route, persist): {spread([w[0] for w in whole])}")
    print(f"  ratio per round: {', '.join(f'{r:.0%}' for r in ratios)}; median {statistics.median(ratios):.0%}")
    print(f"  by this process's CPU time: {', '.join(f'{r:.0%}' for r in cpu_ratios)}; "
          f"median {statistics.median(cpu_ratios):.0%}")
    if together:
        gains = [t / w[0] for t, w in zip(together, whole, strict=True)]
        print(f"  {args.workers} workers together: {spread(together)}; per round "
              f"{', '.join(f'{g:.2f}x' for g in gains)} one worker; median {statistics.median(gains):.2f}x")


if __name__ == "__main__":
    sys.exit(main())
