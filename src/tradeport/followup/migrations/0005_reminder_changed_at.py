import django.utils.timezone
from django.db import migrations, models
from django.utils.dateparse import parse_datetime


def changed_from_history(apps, schema_editor):
    """The last event of each reminder's history (or its creation) is when it last changed."""
    Reminder = apps.get_model("followup", "Reminder")
    for reminder in Reminder.objects.only("pk", "created_at", "closed_at", "history").iterator():
        moments = [reminder.created_at, reminder.closed_at]
        moments += [parse_datetime(event.get("at", "")) for event in reminder.history if isinstance(event, dict)]
        Reminder.objects.filter(pk=reminder.pk).update(changed_at=max(m for m in moments if m is not None))


class Migration(migrations.Migration):
    dependencies = [("followup", "0004_folders")]

    operations = [
        migrations.RemoveIndex(model_name="reminder", name="reminder_by_customer"),
        migrations.AddField(model_name="reminder", name="changed_at",
                            field=models.DateTimeField(default=django.utils.timezone.now)),
        migrations.RunPython(changed_from_history, migrations.RunPython.noop),
        migrations.AddIndex(model_name="reminder", index=models.Index(
            fields=["customer", "employee", "-changed_at"], name="reminder_by_customer")),
    ]
