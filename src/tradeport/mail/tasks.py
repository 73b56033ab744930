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
