"""`tradeport mail reparse`: re-derive stored attachments from the raw messages kept under files/raw/.

Mail taken in before the base64 fix lost the last one or two bytes of most attachments
and carried a false "truncated base64" defect; the raw bytes were always kept intact. This
parses every stored mail again, in id order and in committed batches, and writes what
differs: attachment files and rows, the defects, the content hash (MBOX-08). It is
resumable: the last finished id is kept in the data directory, so a run that is stopped
goes on from there; running it again after it finished changes nothing.
"""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from tradeport.mail.models import Mail, MailAttachment
from tradeport.mail.parsing import NotAnEmail, parse_message
from tradeport.system import options


@dataclass
class ReparseCounts:
    last_id: int = 0
    done: int = 0
    total: int = 0
    mails_changed: int = 0
    attachments_changed: int = 0
    unreadable: int = 0  # raw file missing, or no longer parses


def checkpoint_path() -> Path:
    return Path(settings.DATA_DIR) / "mail-reparse.json"


def load_checkpoint() -> ReparseCounts:
    try:
        return ReparseCounts(**json.loads(checkpoint_path().read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return ReparseCounts()


def _save_checkpoint(counts: ReparseCounts) -> None:
    path = checkpoint_path()
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(asdict(counts)))
    partial.replace(path)


def reparse(*, restart: bool = False, batch: int = 200,
            progress: Callable[[ReparseCounts], None] | None = None) -> ReparseCounts:
    """Parse every stored mail again from its raw bytes; returns the counts (also kept as the checkpoint)."""
    from tradeport.mail.services import _store_file

    counts = ReparseCounts() if restart else load_checkpoint()
    counts.total = counts.done + Mail.objects.filter(pk__gt=counts.last_id).count()
    limit = options.get("attachment_size_limit_mb") * 1024 * 1024
    while True:
        mails = list(Mail.objects.filter(pk__gt=counts.last_id).select_related("raw").order_by("pk")[:batch])
        if not mails:
            break
        stored = {}
        for attachment in MailAttachment.objects.filter(mail__in=mails).order_by("pk"):
            stored.setdefault(attachment.mail_id, []).append(attachment)
        with transaction.atomic():
            for mail in mails:
                try:
                    with default_storage.open(mail.raw.path, "rb") as handle:
                        parsed = parse_message(handle.read())
                except (OSError, NotAnEmail):
                    counts.unreadable += 1
                    continue
                old = stored.get(mail.pk, [])
                new = [(a, *_store_file("attachments", a.content)) for a in parsed.attachments]
                changed = _apply(mail, old, new, limit)
                fields = {}
                if mail.content_hash != parsed.content_hash:
                    fields["content_hash"] = parsed.content_hash
                if mail.defects != parsed.defects[:50]:
                    fields["defects"] = parsed.defects[:50]
                if fields:
                    Mail.objects.filter(pk=mail.pk).update(**fields)
                counts.attachments_changed += changed
                counts.mails_changed += bool(changed or fields)
        counts.last_id = mails[-1].pk
        counts.done += len(mails)
        _save_checkpoint(counts)  # after the commit: a stopped run repeats at most one batch
        if progress is not None:
            progress(counts)
    return counts


def _apply(mail: Mail, old: list[MailAttachment], new: list[tuple], limit: int) -> int:
    """Bring the mail's attachment rows in line with the new parse; returns how many rows changed."""
    if [a.sha256 for a in old] == [digest for _a, digest, _p in new]:
        return 0
    if len(old) == len(new):
        changed = 0
        for row, (attachment, digest, path) in zip(old, new, strict=True):
            if row.sha256 != digest:
                MailAttachment.objects.filter(pk=row.pk).update(
                    sha256=digest, path=path, size=attachment.size, oversized=attachment.size > limit)
                changed += 1
        return changed
    # A different number of parts: the rows are made again from the new parse.
    MailAttachment.objects.filter(pk__in=[row.pk for row in old]).delete()
    MailAttachment.objects.bulk_create([MailAttachment(
        mail=mail, filename=a.filename[:255], content_type=a.content_type[:150], size=a.size, sha256=digest,
        path=path, content_id=a.content_id[:300], inline=a.inline, oversized=a.size > limit)
        for a, digest, path in new])
    return max(len(old), len(new))
