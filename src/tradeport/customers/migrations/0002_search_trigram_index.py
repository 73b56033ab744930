import logging

from django.db import migrations

log = logging.getLogger(__name__)


def create_trigram_index(apps, schema_editor):
    """On PostgreSQL, a trigram index makes the 'contains' search indexed; SQLite scans."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                cursor.execute("SAVEPOINT tradeport_trgm")
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT tradeport_trgm")
            except Exception:
                cursor.execute("ROLLBACK TO SAVEPOINT tradeport_trgm")
                log.warning("pg_trgm is not available: customer search runs without its index. "
                            "A superuser can run CREATE EXTENSION pg_trgm and migrate again.")
                return
        cursor.execute("CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer "
                       "USING gin (search_text gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_customers_ownership")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
