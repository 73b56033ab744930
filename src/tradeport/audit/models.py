from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnly(models.Model):
    """Log rows are written once and never edited or deleted by the application."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionDenied("log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("log entries cannot be deleted")


class SystemLogEntry(AppendOnly):
    """ADM-08: every account entering and leaving the system."""

    class Event(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGOUT = "logout", _("Logout")
        FAILED = "failed", _("Failed login")
        REFUSED = "refused", _("Login refused")
        TIMEOUT = "timeout", _("Idle timeout")
        FORCED_LOGOUT = "forced_logout", _("Forced logout")
        REPLACED = "replaced", _("Replaced by a newer login")
        BLOCKED_REQUEST = "blocked_request", _("Request refused")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("account"),
    )
    username = models.CharField(_("username"), max_length=150, db_index=True)
    event = models.CharField(_("event"), max_length=20, choices=Event)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("system log entry")
        verbose_name_plural = _("system log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["username", "event", "created_at"], name="syslog_user_event_time"),
            models.Index(fields=["ip_address", "event", "created_at"], name="syslog_ip_event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.event}"


class OperationLogEntry(AppendOnly):
    """ADM-09 / GEN-05: every create, modify, delete and permission change."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Modify")
        DELETE = "delete", _("Delete")
        GRANT = "grant", _("Grant")
        REVOKE = "revoke", _("Revoke")
        OTHER = "other", _("Other")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("account"),
    )
    username = models.CharField(_("account"), max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    module = models.CharField(_("module"), max_length=40, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="oplog_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"


class ArchiveLogEntry(AppendOnly):
    """ADM-10: archive, export and backup runs."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Succeeded")
        FAILURE = "failure", _("Failed")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    operator = models.CharField(_("operator"), max_length=150, help_text=_("Account, or 'scheduled'."))
    scope = models.CharField(_("scope"), max_length=200)
    location = models.CharField(_("file or location"), max_length=500, blank=True)
    size_bytes = models.BigIntegerField(_("size"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("archive log entry")
        verbose_name_plural = _("archive log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.scope} {self.result}"
