"""External mail import (ADM-11, ADM-12): .eml files, folders, .zip, .mbox and Outlook .msg.

Sources are read one message at a time (an mbox is indexed, not loaded), so a
large archive does not sit in memory. Importing twice imports nothing new:
the pipeline skips what it already has by Message-ID (or content, without one).
"""

import mailbox as mbox_format
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

SENT_FOLDERS = {"sendbox", "sent", "sent items", "sent messages", "已发送", "已发送邮件", "发件箱"}


@dataclass
class Source:
    """One message to import: a label for progress and errors, a way to read it, and its direction."""

    label: str
    read: object  # callable returning bytes
    sent: bool


def _msg_bytes(path_or_bytes) -> bytes:
    """An Outlook .msg converted to RFC 822 bytes (extract-msg)."""
    import extract_msg

    message = extract_msg.openMsg(path_or_bytes)
    try:
        return message.asEmailMessage().as_bytes()
    finally:
        message.close()


def _in_sent_folder(path: Path) -> bool:
    return any(part.lower() in SENT_FOLDERS for part in path.parts[:-1])


def sources(paths: list[Path], *, sent: bool = False) -> Iterator[Source]:
    """Every message under these paths; a folder named like `sendbox` marks sent mail (Foxmail/Outlook exports)."""
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            yield from sources(files, sent=sent)
            continue
        suffix = path.suffix.lower()
        is_sent = sent or _in_sent_folder(path)
        if suffix == ".eml":
            yield Source(str(path), path.read_bytes, is_sent)
        elif suffix == ".msg":
            yield Source(str(path), lambda p=path: _msg_bytes(str(p)), is_sent)
        elif suffix in (".mbox", ".mbx") or (suffix == "" and _looks_like_mbox(path)):
            box = mbox_format.mbox(str(path), create=False)
            for key in box.iterkeys():
                yield Source(f"{path}#{key}", lambda k=key, b=box: b.get_bytes(k), is_sent)
        elif suffix == ".zip":
            archive = zipfile.ZipFile(path)  # stays open while its members are read, one at a time
            for info in archive.infolist():
                inner = Path(info.filename)
                if info.is_dir() or inner.suffix.lower() not in (".eml", ".msg"):
                    continue
                if inner.suffix.lower() == ".msg":
                    reader = lambda a=archive, i=info: _msg_bytes(a.read(i))  # noqa: E731
                else:
                    reader = lambda a=archive, i=info: a.read(i)  # noqa: E731
                yield Source(f"{path}:{info.filename}", reader, sent or _in_sent_folder(inner))


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


@dataclass
class ImportCounts:
    total: int = 0
    done: int = 0
    stored: int = 0
    duplicate: int = 0
    quarantined: int = 0
    blocked: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"imported={self.stored} duplicates={self.duplicate} quarantined={self.quarantined} "
                f"blocked={self.blocked} failed={self.failed}")


def import_sources(mailbox, items: list[Source], *, followed_up: bool = False,
                   progress: Callable[[ImportCounts], None] | None = None, batch: int = 100) -> ImportCounts:
    """Run listed sources through the intake pipeline, one committed batch at a time.

    An unreadable file is counted as failed, named in `errors`, and skipped. `progress` is
    called after each batch, so a bar or a progress row can follow.
    """
    from tradeport.mail.models import Mailbox
    from tradeport.mail.services import ingest_batch, prepare

    counts = ImportCounts(total=len(items))
    ours = set(Mailbox.objects.values_list("address", flat=True))
    for start in range(0, len(items), batch):
        messages, directions = [], []
        for source in items[start:start + batch]:
            try:
                messages.append(source.read())
            except Exception as exc:  # never stops the run
                counts.failed += 1
                if len(counts.errors) < 100:
                    counts.errors.append(f"{source.label}: {type(exc).__name__}: {exc}")
                continue
            directions.append(True if source.sent else None)
        prepared = prepare(messages)  # parsing holds no database lock
        with transaction.atomic():
            results = ingest_batch(mailbox=mailbox, messages=prepared, outgoing=directions,
                                   followed_up=followed_up, own_addresses=ours)
        for result in results:
            setattr(counts, result.outcome, getattr(counts, result.outcome) + 1)
        counts.done = min(start + batch, len(items))
        if progress is not None:
            progress(counts)
    return counts


def progress_bar(counts: ImportCounts, elapsed: float, width: int = 30) -> str:
    """One terminal line: [#######-------]  45%  4,500/10,000  312 msg/s  ETA 18 s."""
    share = counts.done / counts.total if counts.total else 1.0
    filled = round(width * share)
    rate = counts.done / elapsed if elapsed > 0 else 0.0
    eta = (counts.total - counts.done) / rate if rate else 0.0
    return (f"[{'#' * filled}{'-' * (width - filled)}] {share:4.0%}  {counts.done:,}/{counts.total:,}  "
            f"{rate:,.0f} msg/s  ETA {eta:,.0f} s")
