"""One Message-ID, different content: a different mail (MBOX-08); a content hash tells them apart."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0021_reports_index'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='mail',
            name='mail_message_id_per_mailbox',
        ),
        migrations.AddField(
            model_name='mail',
            name='content_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddConstraint(
            model_name='mail',
            constraint=models.UniqueConstraint(condition=models.Q(('message_id', ''), _negated=True), fields=('mailbox', 'message_id', 'content_hash'), name='mail_message_id_content_per_mailbox'),
        ),
    ]
