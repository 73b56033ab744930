import logging

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from tradeport.mail.models import Mailbox
from tradeport.mail.protocols import MailServerError

log = logging.getLogger(__name__)


@task()
def fetch_mailbox(mailbox_id: int) -> str:
    """Fetch one mailbox; a failure is recorded on the mailbox (with back-off), not lost."""
    from tradeport.mail.services import fetch_mailbox as fetch

    mailbox = Mailbox.objects.filter(pk=mailbox_id, enabled=True).first()
    if mailbox is None:
        return "gone"
    try:
        return str(fetch(mailbox))
    except MailServerError as exc:
        log.warning("fetching %s failed: %s", mailbox.address, exc.message)
        return f"failed: {exc.kind}"


@task()
def fetch_due_mailboxes() -> int:
    """Enqueue a fetch for every enabled mailbox whose time has come (MBOX-07)."""
    due = Mailbox.objects.filter(enabled=True).exclude(protocol=Mailbox.Protocol.NONE).filter(
        Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=timezone.now()))
    count = 0
    for mailbox_id in due.values_list("pk", flat=True):
        fetch_mailbox.enqueue(mailbox_id=mailbox_id)
        count += 1
    return count


@task()
def run_import_job(job_id: int) -> str:
    """ADM-11: import an uploaded set of files, with progress on the job row; idempotent when run again."""
    import shutil
    from pathlib import Path

    from django.conf import settings

    from tradeport.mail.importing import import_sources, sources
    from tradeport.mail.models import ImportJob

    job = ImportJob.objects.select_related("mailbox").filter(pk=job_id).first()
    if job is None:
        return "gone"
    folder = Path(settings.DATA_DIR) / job.folder
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, updated_at=timezone.now())

    def record(counts) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            total=counts.total, done=counts.done, imported=counts.stored, duplicates=counts.duplicate,
            quarantined=counts.quarantined, blocked=counts.blocked, failed=counts.failed,
            errors=counts.errors, updated_at=timezone.now())

    try:
        items = list(sources(sorted(p for p in folder.iterdir()), sent=job.sent))
        ImportJob.objects.filter(pk=job.pk).update(total=len(items), done=0)
        counts = import_sources(job.mailbox, items, followed_up=job.followed_up, progress=record)
        record(counts)
    except Exception as exc:  # a broken archive fails the job with the reason; the files stay for a rerun
        log.exception("import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, errors=[f"{type(exc).__name__}: {exc}"], finished_at=timezone.now(),
            updated_at=timezone.now())
        return "failed"
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE, finished_at=timezone.now(),
                                               updated_at=timezone.now())
    shutil.rmtree(folder, ignore_errors=True)
    return counts.summary()


@task()
def purge_recycle_bin() -> int:
    """SYS-04: mail that has stayed in the recycle bin past the retention option is removed for good."""
    from tradeport.mail.triage import purge_recycle_bin as purge
    from tradeport.system import options

    return purge(options.get("recycle_bin_retention_days"))


@task()
def send_outgoing(outgoing_id: int) -> str:
    """SEND-14: send one outbox row; temporary failures come back through send_due_mail."""
    from tradeport.mail.sending import deliver

    return deliver(outgoing_id)


@task()
def send_due_mail() -> int:
    """Retries whose wait is over, and rows left behind by a worker that died mid-send."""
    from tradeport.mail.sending import deliver, due_ids, release_stale

    release_stale()
    ids = due_ids()
    for outgoing_id in ids:
        deliver(outgoing_id)
    return len(ids)


@task()
def run_mass_mailing(mailing_id: int) -> str:
    """MASS-05: send a mailing's waiting recipients at the rate option."""
    from tradeport.mail.mass import run

    return run(mailing_id)


@task()
def resume_mass_mailings() -> int:
    """A mailing whose worker died is handed to a new one (its in-flight recipients are not resent)."""
    from tradeport.mail.mass import release_stale

    stale = release_stale()
    for mailing_id in stale:
        run_mass_mailing.enqueue(mailing_id=mailing_id)
    return len(stale)
