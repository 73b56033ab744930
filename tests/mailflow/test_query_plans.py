"""Query plans of the reading pane at scale (READ-01; reports on sent mail, SEND-07, SEND-17).

A test database holds a handful of mails, so the planner's choices are checked under the statistics
a real installation has: on SQLite the `sqlite_stat1` rows ANALYZE wrote for 10⁶ mails (bench/queues.py),
on PostgreSQL with sorting priced out, so only an index that gives the order can be chosen.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mailflow.test_reports import bounce, sent_mail
from mailflow.test_sending import lily_client, sendable  # noqa: F401
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db

# What ANALYZE wrote for mail_mail in bench/queues.py's database at 10⁶ mails, none of them a report
# (by indexed columns; the partial mail_reports index, empty there, has no row). report_for_id is NULL
# everywhere, so its own index promises a million rows per value, while received_at promises one.
MILLION_MAILS = {
    ("customer_id", "date"): "1000000 500 1",
    ("customer_id",): "1000000 500",
    ("date",): "1000000 1",
    ("from_address",): "1000000 144",
    ("message_id",): "1000000 1",
    ("received_at",): "1000000 1",
    ("thread_key",): "1000000 1",
    ("mailbox_id", "message_id"): "1000000 1000000 1",
    ("mailbox_id", "message_id", "content_hash"): "1000000 1000000 1 1",
    ("sent_by_id", "id"): "1000000 1000000 1",
    ("route", "triaged_at", "deleted_at"): "1000000 500000 500000 500000",
    **dict.fromkeys([(column,) for column in (
        "category_id", "contact_id", "deleted_at", "deleted_by_id", "folder_id", "followed_up_by_id", "in_reply_to",
        "mailbox_id", "purpose_id", "raw_id", "report_for_id", "suggested_customer_id", "thread_subject",
        "triaged_by_id")], "1000000 1000000"),
}


def reports_query(client, mail_pk: int) -> str:
    """The SQL the reading pane runs to list the reports on one mail."""
    with CaptureQueriesContext(connection) as queries:
        pane = client.get(reverse("mail:mail_read", args=[mail_pk]))
    assert pane.status_code == 200
    assert 'data-report="dsn"' in pane.content.decode()
    found = [q["sql"] for q in queries.captured_queries if 'WHERE ("mail_mail"."report_for_id" = ' in q["sql"]]
    assert len(found) == 1, "\n\n".join(found)
    return found[0]


@pytest.fixture
def forget_statistics():
    """The planner keeps loaded statistics for the connection: leave none of ours to later tests."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'mail_mail'")
            cursor.execute("ANALYZE sqlite_schema")


def load_million_mail_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'mail_mail'")
        cursor.execute("SELECT name FROM pragma_index_list('mail_mail')")
        for (name,) in cursor.fetchall():
            cursor.execute("SELECT name FROM pragma_index_info(%s) ORDER BY seqno", [name])
            columns = tuple(row[0] for row in cursor.fetchall())
            if columns in MILLION_MAILS and name != "mail_reports":
                cursor.execute("INSERT INTO sqlite_stat1 VALUES ('mail_mail', %s, %s)", [name, MILLION_MAILS[columns]])
        cursor.execute("ANALYZE sqlite_schema")  # reload the statistics just written


@pytest.fixture
def reported_mail(sendable, smtp_sink):  # noqa: F811
    client = lily_client(sendable)
    outgoing = sent_mail(sendable, client)
    message_ingest(mailbox=sendable["mailbox"], raw=bounce(outgoing.message_id, "anna@hanse.de"))
    return client, outgoing.mail.pk


def sqlite_plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner and statistics")
def test_sqlite_lists_a_mails_reports_from_their_index_at_a_million_mails(reported_mail, forget_statistics):
    """READ-01, SEND-17: with the statistics of 10⁶ mails, the reports on a sent mail come from the
    mail_reports index in order, not from a walk of every mail along received_at (311 ms at 10⁶);
    and so they do without statistics, as an installation that never ran ANALYZE has none."""
    client, mail_pk = reported_mail
    sql = reports_query(client, mail_pk)
    by_index = ["SEARCH mail_mail USING INDEX mail_reports (report_for_id=?)"]
    assert sqlite_plan(sql) == by_index
    load_million_mail_statistics()
    assert sqlite_plan(sql) == by_index


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_postgresql_lists_a_mails_reports_from_their_index_in_order(reported_mail):
    """READ-01, SEND-17: an index serves both the mail it reports on and the newest-first order."""
    client, mail_pk = reported_mail
    sql = reports_query(client, mail_pk)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using mail_reports on mail_mail" in plan, plan
    assert "Sort" not in plan, plan
