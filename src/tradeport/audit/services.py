"""Writing the logs. The model registry here is the one audit hook (GEN-05)."""

import datetime
import decimal
import uuid

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from tradeport.audit.context import current_actor
from tradeport.audit.models import OperationLogEntry, SystemLogEntry

_TRACKED: dict[type[models.Model], "_Tracking"] = {}
REDACTED = "******"


def _plain(value):
    """A JSON-safe version of a field value for the log."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class _Tracking:
    def __init__(self, model, module: str, exclude: set[str], secret: set[str]):
        self.model = model
        self.module = module
        self.exclude = exclude
        self.secret = secret

    def snapshot(self, instance) -> dict:
        data = {}
        for field in instance._meta.concrete_fields:
            if field.name in self.exclude:
                continue
            data[field.name] = _plain(getattr(instance, field.attname))
        return data

    def redact(self, changes: dict) -> dict:
        """Secret fields show that they changed, never their values."""
        return {k: ([REDACTED if x else x for x in v] if k in self.secret else v) for k, v in changes.items()}


def track(model: type[models.Model], *, module: str, exclude: tuple[str, ...] = (),
          secret: tuple[str, ...] = ()) -> None:
    """Log every create, modify and delete of `model` in the operation log.

    `secret` fields are logged as changed but never with their values.
    """
    _TRACKED[model] = _Tracking(model, module, set(exclude), set(secret))
    uid = f"audit-{model._meta.label}"
    pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
    post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post")
    post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-delete")


def _before_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    tracking = _TRACKED[sender]
    old = None
    if instance.pk is not None:
        old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = tracking.snapshot(old) if old is not None else None


def _after_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    tracking = _TRACKED[sender]
    after = tracking.snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        record_operation(module=tracking.module, action=OperationLogEntry.Action.CREATE,
                         instance=instance, changes=tracking.redact(changes))
        return
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        record_operation(module=tracking.module, action=OperationLogEntry.Action.UPDATE,
                         instance=instance, changes=tracking.redact(changes))


def _after_delete(sender, instance, **kwargs):
    tracking = _TRACKED[sender]
    before = tracking.snapshot(instance)
    changes = {k: [v, None] for k, v in before.items() if v not in (None, "", [], {})}
    record_operation(module=tracking.module, action=OperationLogEntry.Action.DELETE,
                     instance=instance, changes=tracking.redact(changes))


def record_operation(*, module: str, action: str, instance=None, object_type: str = "",
                     object_id: str = "", object_repr: str = "", changes: dict | None = None
                     ) -> OperationLogEntry:
    """Append one operation-log row, attributed to the current actor."""
    actor = current_actor()
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)
    return OperationLogEntry.objects.create(
        account_id=actor.account_id, username=actor.username, ip_address=actor.ip_address,
        module=module, action=action, object_type=object_type, object_id=object_id,
        object_repr=object_repr[:200], changes=_plain(changes or {}),
    )


def record_system_event(*, event: str, username: str, account=None, reason: str = "",
                        ip_address: str | None = None, user_agent: str = "") -> SystemLogEntry:
    """Append one system-log row (ADM-08)."""
    return SystemLogEntry.objects.create(
        event=event, username=username[:150], account=account, reason=str(reason)[:300],
        ip_address=ip_address, user_agent=user_agent[:300],
    )
