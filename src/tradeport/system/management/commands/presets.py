from django.core.management.base import BaseCommand

from tradeport.system.presets import load_all


class Command(BaseCommand):
    help = "Load the preset accounts, templates and master data. Safe to run again."

    def handle(self, *args, **options):
        loaded = load_all()
        self.stdout.write(f"presets loaded: {', '.join(loaded)}" if loaded else "presets already loaded")
