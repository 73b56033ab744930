"""A throw-away model that refers to codes, employees and regions, for the "in use" rules.

No model of the application refers to a code item, an employee or a region yet
(customers, orders and mail come in later features). To exercise the real
"in use" refusals (CODE-04, ORG-11, ORG-18) against the real database, this
registers a small model with foreign keys to all three, creates its table
inside the test's transaction (rolled back with it), and unregisters it again.
"""

from contextlib import contextmanager

from django.apps import apps
from django.db import connection, models

from tradeport.codes.models import CodeItem
from tradeport.org.models import Employee, Region

_RELATED_NAMES = {CodeItem: "test_orders", Employee: "test_orders", Region: "test_orders"}


@contextmanager
def temporary_referrer():
    """Yield a model `TestOrder(code_item, employee, region)` with a real table."""
    attrs = {
        "__module__": "scopetest.models",
        "code_item": models.ForeignKey(CodeItem, on_delete=models.PROTECT, null=True,
                                       related_name="test_orders"),
        "employee": models.ForeignKey(Employee, on_delete=models.PROTECT, null=True,
                                      related_name="test_orders"),
        "region": models.ForeignKey(Region, on_delete=models.PROTECT, null=True,
                                    related_name="test_orders"),
        "Meta": type("Meta", (), {"app_label": "scopetest", "verbose_name": "test order",
                                  "verbose_name_plural": "test orders"}),
    }
    model = type("TestOrder", (models.Model,), attrs)
    try:
        editor = connection.schema_editor()
        sql, params = editor.table_sql(model)
        with connection.cursor() as cursor:  # inside the test transaction: rolled back with it
            cursor.execute(sql, params)
        yield model
    finally:
        del apps.all_models["scopetest"]["testorder"]
        for target, name in _RELATED_NAMES.items():
            if name in target.__dict__:
                delattr(target, name)
        apps.clear_cache()
