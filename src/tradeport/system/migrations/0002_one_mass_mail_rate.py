"""Two options set the mass-mail rate, and only `mass_mail_per_minute` was read.

A value the administrator gave the other one is moved into it (the later change wins
when both were set). Safe to run again; reversing it copies the value back.
"""

from django.db import migrations

KEPT, REMOVED = "mass_mail_per_minute", "mass_mail_rate_per_minute"


def fold_into_kept(apps, schema_editor):
    option = apps.get_model("system", "SystemOption")
    removed = option.objects.filter(key=REMOVED).first()
    if removed is None:
        return
    kept = option.objects.filter(key=KEPT).first()
    if kept is None:
        option.objects.create(key=KEPT, value=removed.value, updated_by_id=removed.updated_by_id)
        option.objects.filter(key=KEPT).update(updated_at=removed.updated_at)
    elif removed.updated_at > kept.updated_at:
        option.objects.filter(pk=kept.pk).update(value=removed.value, updated_at=removed.updated_at,
                                                 updated_by_id=removed.updated_by_id)
    removed.delete()


def copy_back(apps, schema_editor):
    option = apps.get_model("system", "SystemOption")
    kept = option.objects.filter(key=KEPT).first()
    if kept is not None and not option.objects.filter(key=REMOVED).exists():
        option.objects.create(key=REMOVED, value=kept.value, updated_by_id=kept.updated_by_id)


class Migration(migrations.Migration):

    dependencies = [("system", "0001_initial")]

    operations = [migrations.RunPython(fold_into_kept, copy_back)]
