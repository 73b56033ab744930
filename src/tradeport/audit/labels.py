"""The operation log in words its reader knows (ADM-09).

Rows store app labels, model labels, field names and raw values, so that they stay
true whatever the language. They are put into words when shown, from the model
registry, in the reader's language; a name whose model or field is gone shows as stored.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tradeport.accounts.functions import (
    EMPLOYEE_TEMPLATE,
    FUNCTIONS,
    MANAGEMENT,
    MANAGER_TEMPLATE,
)
from tradeport.audit.context import SYSTEM_ACTOR

# Actions written by services beyond create/modify/delete/grant/revoke.
ACTIONS = {
    "distribute": _("Distribute"),
    "merge": _("Merge"),
    "transfer": _("Transfer"),
    "restore": _("Restore"),
}
# Keys written by services that are not fields of the logged model.
KEYS = {
    "template": _("Role template"),
    "functions": _("Function permissions"),
    "management": _("Management permissions"),
    "permissions": _("Permissions"),
    "owners": _("Owners"),
    "how": pgettext_lazy("operation log", "How"),
    "to": pgettext_lazy("operation log", "To"),
    "from": pgettext_lazy("operation log", "From"),
    "rule": pgettext_lazy("operation log", "Rule for the address"),
    "all_from_address": pgettext_lazy("operation log", "All mail from the address"),
    "source": pgettext_lazy("operation log", "From salesperson"),
    "target": pgettext_lazy("operation log", "To salesperson"),
    "regions": pgettext_lazy("operation log", "Regions"),
    "customers": pgettext_lazy("operation log", "Customers"),
    "default_owners": pgettext_lazy("operation log", "Default owners"),
    "creators": pgettext_lazy("operation log", "Who may create customers"),
    "mail_reviewer": _("Current reviewer"),
}
PAIRS = {"owners"}
TEMPLATES = {MANAGER_TEMPLATE: _("Manager template"), EMPLOYEE_TEMPLATE: _("Employee template")}
NONE = "∅"


@dataclass
class Change:
    label: str
    before: str = ""
    after: str = ""
    values: str = ""  # a grant, a revoke or a plain value: what, instead of before → after
    is_pair: bool = True


def module_label(module: str) -> str:
    try:
        return str(apps.get_app_config(module).verbose_name)
    except LookupError:
        return module


def actor_label(entry) -> str:
    """Who acted; work done outside any login (scheduler, command line) is the system's."""
    if entry.account_id is None and entry.username == SYSTEM_ACTOR.username:
        return gettext("System")
    return entry.username


def action_label(entry) -> str:
    if entry.action in ACTIONS:
        return str(ACTIONS[entry.action])
    return str(entry.get_action_display())


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = _model(object_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else object_type


def object_label(entry) -> str:
    """The object as its reader knows it: a system option by its name, anything else as logged."""
    if entry.object_type == "system.systemoption":
        from tradeport.system.options import BY_KEY

        option = BY_KEY.get(entry.object_repr)
        if option is not None:
            return str(option.label)
    return entry.object_repr


def _field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if not field.auto_created or field.concrete else None  # not a reverse relation


def field_label(object_type: str, name: str) -> str:
    field = _field(_model(object_type), name)
    if field is not None:
        return capfirst(gettext(str(field.verbose_name)))
    if name in KEYS:
        return str(KEYS[name])
    return name


def _value(field, value) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        try:
            return timezone.localtime(datetime.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(_value(None, v) for v in value)
    return str(value)


def _granted(key: str, codes) -> str:
    names = []
    for code in codes if isinstance(codes, list) else [codes]:
        known = FUNCTIONS.get(code) or MANAGEMENT.get(code)
        if known is not None:
            names.append(str(known.label))
        elif key == "template" and code in TEMPLATES:
            names.append(str(TEMPLATES[code]))
        else:
            names.append(str(code))
    return ", ".join(names)


def changes(entry) -> list[Change]:
    """Each logged change as label and values in the reader's language."""
    model = _model(entry.object_type)
    rows = []
    for name, value in (entry.changes or {}).items():
        label = field_label(entry.object_type, name)
        if entry.action in ("grant", "revoke") or name in ("template", "functions", "management", "permissions"):
            rows.append(Change(label, values=_granted(name, value), is_pair=False))
            continue
        field = _field(model, name)
        # [before, after] for a field of the object (and owners); any other list is just a list.
        if isinstance(value, list) and len(value) == 2 and (field is not None or name in PAIRS):
            rows.append(Change(label, _value(field, value[0]), _value(field, value[1])))
        else:
            rows.append(Change(label, values=_value(field, value), is_pair=False))
    return rows
