from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tradeport.codes.models import CodeItem
from tradeport.system.usage import describe, references


@transaction.atomic
def code_item_save(*, item: CodeItem) -> CodeItem:
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def code_item_delete(*, item: CodeItem) -> None:
    """CODE-04: an item in use can only be deactivated."""
    found = references(item)
    if found:
        raise ValidationError(_("%(name)s is in use (%(what)s); deactivate it instead.")
                              % {"name": item.name, "what": describe(found)})
    item.delete()
