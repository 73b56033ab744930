"""Mail intake throughput: the whole pipeline against a bare stdlib parse loop, on one corpus.

    python bench/ingest.py --messages 3000

Use its own database: TRADEPORT_DATA_DIR=var/bench-ingest (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_ingest.
The corpus is generated (fixed seed): Chinese and English mail in UTF-8, GBK,
GB2312 and Big5, text and HTML alternatives, a fifth with a 20-200 KB attachment.
The floor is `email.message_from_bytes(policy.default)` plus the text, the
HTML and the attachment names, as the issue defines it. Both loops run in this
one process, one after the other, so the ratio holds when the machine drifts.
"""

import argparse
import email
import os
import random
import sys
import time
from email import policy
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tradeport.mail.models import Mail, Mailbox  # noqa: E402
from tradeport.mail.services import BATCH, message_ingest  # noqa: E402

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


def floor(messages: list[bytes]) -> float:
    began = time.perf_counter()
    for raw in messages:
        parsed = email.message_from_bytes(raw, policy=policy.default)
        for preference in (("plain",), ("html",)):
            body = parsed.get_body(preferencelist=preference)
            if body is not None:
                body.get_content()
        [part.get_filename() for part in parsed.iter_attachments()]
    return len(messages) / (time.perf_counter() - began)


def pipeline(messages: list[bytes]) -> float:
    call_command("migrate", verbosity=0)
    Mail.objects.all().delete()
    mailbox, _ = Mailbox.objects.get_or_create(address="sales@tradeport.example", defaults={"protocol": "none"})
    ours = {mailbox.address}
    began = time.perf_counter()
    for start in range(0, len(messages), BATCH):  # one transaction per batch, as fetching commits
        with transaction.atomic():
            for raw in messages[start:start + BATCH]:
                message_ingest(mailbox=mailbox, raw=raw, own_addresses=ours)
    rate = len(messages) / (time.perf_counter() - began)
    assert Mail.objects.filter(mailbox=mailbox).count() == len(messages)
    return rate


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args(argv)
    messages = corpus(args.messages)
    size = sum(map(len, messages)) / len(messages) / 1024
    bare = floor(messages)
    whole = pipeline(messages)
    print(f"{connection.vendor}: {len(messages)} messages, {size:.0f} KiB on average")
    print(f"  floor (stdlib parse + text, HTML, attachment names): {bare:7.0f} messages/s")
    print(f"  pipeline (store, parse, dedupe, match, route, persist): {whole:7.0f} messages/s")
    print(f"  ratio: {whole / bare:.0%}")


if __name__ == "__main__":
    sys.exit(main())
