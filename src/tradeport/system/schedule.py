"""Periodic jobs, registered in one place and enqueued by the single scheduler."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from tradeport.system.models import Heartbeat, ScheduledJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path to a @task
    every: timezone.timedelta


JOBS: tuple[Job, ...] = (
    Job("worker_heartbeat", "tradeport.system.tasks.record_worker_heartbeat", timezone.timedelta(minutes=1)),
    Job("expire_idle_logins", "tradeport.accounts.tasks.expire_idle_logins", timezone.timedelta(minutes=1)),
    Job("fetch_due_mailboxes", "tradeport.mail.tasks.fetch_due_mailboxes", timezone.timedelta(minutes=1)),
    Job("send_due_mail", "tradeport.mail.tasks.send_due_mail", timezone.timedelta(minutes=1)),
    Job("resume_mass_mailings", "tradeport.mail.tasks.resume_mass_mailings", timezone.timedelta(minutes=1)),
    Job("purge_recycle_bin", "tradeport.mail.tasks.purge_recycle_bin", timezone.timedelta(hours=6)),
)


def run_due_jobs(now=None) -> list[str]:
    """Enqueue every job whose interval has passed; returns the names enqueued.

    The claim is a conditional UPDATE, so two schedulers started by mistake
    still enqueue each job once per interval.
    """
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(name="scheduler", defaults={"last_seen_at": now})
    enqueued = []
    for job in JOBS:
        ScheduledJob.objects.get_or_create(name=job.name)
        due = Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - job.every)
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(due, name=job.name).update(last_enqueued_at=now)
            if claimed:
                import_string(job.task).enqueue()
                enqueued.append(job.name)
    return enqueued
