from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SystemOption(models.Model):
    """A changed system option; options at their default have no row."""

    key = models.CharField(max_length=64, unique=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )

    class Meta:
        verbose_name = _("system option")

    def __str__(self) -> str:
        return self.key


class Heartbeat(models.Model):
    """When a background process last proved it was alive (worker, scheduler)."""

    name = models.CharField(max_length=32, primary_key=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class ScheduledJob(models.Model):
    """The last time the scheduler enqueued a periodic job."""

    name = models.CharField(max_length=64, primary_key=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class PresetLoad(models.Model):
    """A preset set that has been loaded once; deleted presets are not brought back."""

    name = models.CharField(max_length=64, primary_key=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
