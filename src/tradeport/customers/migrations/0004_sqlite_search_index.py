from django.db import migrations

# SQLite: an FTS5 table with the trigram tokenizer indexes search_text for
# substring (LIKE '%term%') lookups of three or more characters; triggers keep
# it in step with the customer table. PostgreSQL has its trigram index (0002).
CREATE = [
    "CREATE VIRTUAL TABLE customers_search USING fts5("
    "search_text, content='customers_customer', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER customers_search_delete AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_search(customers_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text ON customers_customer BEGIN "
    "INSERT INTO customers_search(customers_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO customers_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO customers_search(customers_search) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS customers_search_update",
    "DROP TRIGGER IF EXISTS customers_search_delete",
    "DROP TRIGGER IF EXISTS customers_search_insert",
    "DROP TABLE IF EXISTS customers_search",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_listed_customers_index")]

    operations = [migrations.RunPython(create, drop)]
