"""OWN-14..21: ownership query conditions compiled to ORM filters from an allow-list, never SQL."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

COLUMNS = {  # key: (label, lookup path, type)
    "employee_code": (gettext_lazy("Employee code"), "employee__code", "text"),
    "employee_name": (gettext_lazy("Employee name"), "employee__name", "text"),
    "customer_code": (gettext_lazy("Customer code"), "customer__code", "text"),
    "customer_name": (gettext_lazy("Customer name"), "customer__name", "text"),
    "assigned_at": (gettext_lazy("Assignment date"), "assigned_at__date", "date"),
    "is_latest": (gettext_lazy("Latest assignment"), "is_latest", "bool"),
}
OPERATORS = {  # key: (label, ORM lookup or None for "not equal")
    "eq": (gettext_lazy("equals"), "exact"),
    "gt": (gettext_lazy("greater than"), "gt"),
    "gte": (gettext_lazy("greater than or equal"), "gte"),
    "lt": (gettext_lazy("less than"), "lt"),
    "lte": (gettext_lazy("less than or equal"), "lte"),
    "ne": (gettext_lazy("not equal"), None),
    "contains": (gettext_lazy("contains"), "icontains"),
}
COMBINATORS = {"and": gettext_lazy("AND"), "or": gettext_lazy("OR")}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "真"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "假"}


class ConditionError(ValueError):
    """A condition the user must correct; the message says which and why."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: str
    combinator: str = "and"

    def as_dict(self) -> dict:
        return {"column": self.column, "op": self.op, "value": self.value, "combinator": self.combinator}


def parse(rows: list[dict]) -> list[Condition]:
    return [Condition(str(r.get("column", "")), str(r.get("op", "")), str(r.get("value", "")).strip(),
                      str(r.get("combinator", "and"))) for r in rows]


def _value(condition: Condition, position: int):
    label, _path, kind = COLUMNS[condition.column]
    if kind == "date":
        try:
            return datetime.date.fromisoformat(condition.value)
        except ValueError:
            raise ConditionError(_("Condition %(n)s: %(column)s needs a date like %(example)s.") % {
                "n": position, "column": label, "example": timezone.localdate().isoformat()}) from None
    if kind == "bool":
        word = condition.value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConditionError(_("Condition %(n)s: %(column)s needs yes or no.") % {"n": position, "column": label})
    return condition.value


def compile_conditions(conditions: list[Condition]) -> Q:
    """Left to right, each condition joined to everything before it by its own AND/OR (OWN-15)."""
    combined = Q()
    for position, condition in enumerate(conditions, start=1):
        if condition.column not in COLUMNS:
            raise ConditionError(_("Condition %(n)s: choose a column.") % {"n": position})
        if condition.op not in OPERATORS:
            raise ConditionError(_("Condition %(n)s: choose an operator.") % {"n": position})
        if condition.combinator not in COMBINATORS:
            raise ConditionError(_("Condition %(n)s: choose AND or OR.") % {"n": position})
        _label, path, kind = COLUMNS[condition.column]
        if condition.op == "contains" and kind != "text":
            raise ConditionError(_("Condition %(n)s: 'contains' works only on text columns.") % {"n": position})
        if condition.value == "" and kind != "text":
            raise ConditionError(_("Condition %(n)s: enter a value.") % {"n": position})
        value = _value(condition, position)
        lookup = OPERATORS[condition.op][1]
        term = ~Q(**{path: value}) if lookup is None else Q(**{f"{path}__{lookup}": value})
        if position == 1:
            combined = term
        elif condition.combinator == "or":
            combined = combined | term
        else:
            combined = combined & term
    return combined
