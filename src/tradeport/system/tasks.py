from django.tasks import task
from django.utils import timezone

from tradeport.system.models import Heartbeat


@task()
def record_worker_heartbeat() -> None:
    """Run by a task worker, so /healthz can tell when a worker last took work."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"last_seen_at": timezone.now()})

