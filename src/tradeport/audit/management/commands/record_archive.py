from django.core.management.base import BaseCommand, CommandError

from tradeport.audit.models import ArchiveLogEntry


class Command(BaseCommand):
    help = "Record an archive or backup run in the archive log (ADM-10), e.g. from a backup script."

    def add_arguments(self, parser):
        parser.add_argument("--scope", required=True, help="What was archived, e.g. 'database'.")
        parser.add_argument("--location", default="", help="File or location of the archive.")
        parser.add_argument("--size", type=int, default=None, help="Size in bytes.")
        parser.add_argument("--result", choices=[c for c, _ in ArchiveLogEntry.Result.choices],
                            default=ArchiveLogEntry.Result.SUCCESS)
        parser.add_argument("--operator", default="scheduled", help="Account, or 'scheduled'.")
        parser.add_argument("--detail", default="")

    def handle(self, *args, scope, location, size, result, operator, detail, **options):
        if size is not None and size < 0:
            raise CommandError("--size cannot be negative")
        entry = ArchiveLogEntry.objects.create(scope=scope, location=location, size_bytes=size,
                                               result=result, operator=operator, detail=detail)
        self.stdout.write(f"recorded archive log entry {entry.pk}")
