from django.db import migrations, models


class Migration(migrations.Migration):
    """The reports on one sent mail (reading pane): an index SQLite's planner does not pass over."""

    dependencies = [("mail", "0020_date_from_arrival")]

    operations = [
        migrations.AddIndex(
            model_name="mail",
            index=models.Index(condition=models.Q(("report_for__isnull", False)),
                               fields=["report_for", "-received_at", "-id"], name="mail_reports"),
        ),
    ]
