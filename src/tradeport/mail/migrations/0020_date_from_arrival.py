from django.db import migrations
from django.db.models import F


def date_from_arrival(apps, schema_editor):
    """Mail stored without a usable Date header takes its arrival time, as new mail now does."""
    apps.get_model("mail", "Mail").objects.filter(date__isnull=True).update(date=F("received_at"))


class Migration(migrations.Migration):
    dependencies = [("mail", "0019_mass_version")]

    operations = [migrations.RunPython(date_from_arrival, migrations.RunPython.noop)]
